/**
 * `cloud-sync watch --dir DIR`: keeps a folder in sync until SIGINT or SIGTERM. A changed file is
 * synced once it has settled (alone: the other files are not read again), another device's write
 * is pulled when the server announces it, and the server is polled only while the live socket is
 * down. Passing failures (network, a file caught mid-write) are reported and retried; a wrong key or
 * a refused credential stops the watch.
 */
import type { FileOutcome } from "../../node/index.ts";
import { FolderWatcher } from "../../node/index.ts";
import type { CommandContext, CommandResult } from "../command.ts";
import { EXIT, exitCodeFor } from "../exit-codes.ts";
import { openFolder, outcomeJson, outcomeText } from "../folder.ts";
import { introduceDevice } from "../introduce.ts";

export async function watchDir(ctx: CommandContext, username: string, intervalSeconds: number): Promise<CommandResult> {
  const { out } = ctx;
  const folder = await openFolder(ctx, username, "watch");
  let stop: (signal: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  let fatal: unknown = null;
  let syncs = 0;
  /** A file still not whole JSON is reported once, not at every retry. */
  const reported = new Map<string, string>();
  const report = (o: FileOutcome) => {
    if (o.action === "skipped" || o.action === "failed") {
      const line = outcomeText(o);
      if (reported.get(o.path) === line) return;
      reported.set(o.path, line);
      out.note(`${time()} ${line}`);
      return;
    }
    reported.delete(o.path);
    out.event({ event: o.action, ...outcomeJson(o) }, `${time()} ${outcomeText(o)}`);
  };
  const watcher = new FolderWatcher(folder, {
    intervalSeconds,
    onSync: (outcomes) => {
      syncs += 1;
      outcomes.forEach(report);
    },
    onError: (error) => {
      const code = exitCodeFor(error);
      if (code === EXIT.unavailable || code === EXIT.internal) {
        out.note(`${time()} ${(error as Error).message} (will retry)`);
        return;
      }
      fatal ??= error;
      stop("error");
    },
    onLiveStatus: (status) => {
      if (status.state === "open") out.detail(`${time()} live updates on`);
      else if (status.state === "fallback")
        out.detail(
          `${time()} live updates unavailable (${status.reason ?? "no socket"}); polling every ${intervalSeconds} s`,
        );
    },
  });
  const onSignal = (signal: NodeJS.Signals) => stop(signal);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await watcher.start();
    if (fatal === null) {
      await introduceDevice(ctx, folder.manager, username);
      out.note(
        `Watching ${folder.dir} for ${username} (files as they change, other devices' writes as announced). Ctrl-C to stop.`,
      );
    }
    const signal = await stopped;
    if (fatal !== null) throw fatal;
    return {
      json: { event: "stopped", signal, syncs },
      text: `Stopped (${signal}) after ${syncs} sync(s).`,
      compact: true,
    };
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    await watcher.close();
  }
}

function time(): string {
  return new Date().toISOString().slice(11, 19);
}
