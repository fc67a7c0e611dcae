/**
 * `cloud-sync watch`: keeps a JSON file and a document in sync until SIGINT or SIGTERM. The
 * manager's auto-sync does the work (interval with back-off, and the live socket so other devices'
 * writes arrive at once); a change to the file wakes a sync too. Passing failures (network, a file
 * caught mid-edit) are reported and retried; a wrong key or a refused credential stops the watch.
 */
import { watch as watchFolder, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import type { Json, LiveStatus, SyncManager } from "../../core/index.ts";
import type { Command, CommandContext } from "../command.ts";
import { EXIT, exitCodeFor } from "../exit-codes.ts";
import { readJsonFile, writeJsonFileAtomic } from "../json-file.ts";
import { DIR, EXCLUDE, INCLUDE } from "../folder.ts";
import { introduceDevice } from "../introduce.ts";
import {
  DOC,
  docOf,
  FILE,
  numberOption,
  optional,
  required,
  RULES,
  rulesOption,
  userOf,
  USERNAME,
} from "../options.ts";
import { watchDir } from "./watch-dir.ts";

const DEFAULT_INTERVAL_SECONDS = 60;
/** Editors save in several steps; one sync after they settle. */
const FILE_SETTLE_MS = 200;

export const watch: Command = {
  name: "watch",
  summary: "keep a JSON file, or a folder of them, in sync until interrupted",
  usage:
    "--username U (--file F [--doc D] | --dir DIR [--include GLOB]... [--exclude GLOB]...) [--interval S] [--rules FILE]",
  options: {
    username: USERNAME,
    file: FILE,
    doc: DOC,
    dir: DIR,
    include: INCLUDE,
    exclude: EXCLUDE,
    rules: RULES,
    interval: {
      type: "string",
      short: "i",
      value: "S",
      description: `seconds between polls (default ${DEFAULT_INTERVAL_SECONDS}); other devices' changes arrive at once over the live socket when the server offers it`,
    },
  },
  details:
    "Stops cleanly (exit 0) on Ctrl-C or SIGTERM. With --json, each event is one JSON line on stdout.\n" +
    "With --dir, a file is synced within a second of changing (alone), another device's write as soon as the\n" +
    "server announces it; the server is polled every --interval seconds only while live updates are down.",
  async run(ctx) {
    const username = userOf(ctx.values, "watch");
    if (optional(ctx.values, "dir") !== undefined)
      return watchDir(
        ctx,
        username,
        numberOption(ctx.values, "interval", { integer: false }) ?? DEFAULT_INTERVAL_SECONDS,
      );
    const file = required(ctx.values, "file", "watch");
    const doc = docOf(ctx.values);
    const interval = numberOption(ctx.values, "interval", { integer: false }) ?? DEFAULT_INTERVAL_SECONDS;
    const rules = await rulesOption(ctx.values, ctx.cwd);
    const manager = await ctx.manager(rules === undefined ? {} : { rules: { [doc]: rules } });
    await introduceDevice(ctx, manager, username);
    const session = new WatchSession(ctx, manager, { username, doc, file, path: resolve(ctx.cwd, file) });
    const outcome = await session.run(interval);
    return {
      json: { event: "stopped", signal: outcome.signal, syncs: outcome.syncs },
      text: `Stopped (${outcome.signal}) after ${outcome.syncs} sync(s).`,
      compact: true,
    };
  },
};

interface WatchTarget {
  username: string;
  doc: string;
  file: string;
  path: string;
}

class WatchSession {
  readonly #ctx: CommandContext;
  readonly #manager: SyncManager;
  readonly #t: WatchTarget;
  #syncs = 0;
  /** What this session last wrote to the file, so its own writes do not wake another sync. */
  #written: string | null = null;
  #fatal: unknown = null;
  #stop: (signal: string) => void = () => undefined;

  constructor(ctx: CommandContext, manager: SyncManager, target: WatchTarget) {
    this.#ctx = ctx;
    this.#manager = manager;
    this.#t = target;
  }

  async run(intervalSeconds: number): Promise<{ signal: string; syncs: number }> {
    const { out } = this.#ctx;
    const { username, doc, file } = this.#t;
    const stopped = new Promise<string>((resolve) => (this.#stop = resolve));
    const onSignal = (signal: NodeJS.Signals) => this.#stop(signal);
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    let watcher: FSWatcher | null = null;
    try {
      this.#manager.enableAutoSync(intervalSeconds, {
        username,
        documents: [doc],
        read: () => readJsonFile(this.#t.path, { missingOk: true }),
        write: (_doc, data) => this.#write(data),
        onSync: (result) => {
          this.#syncs += 1;
          if (result.uploaded)
            out.event(
              { event: "pushed", doc, version: result.version },
              `${time()} pushed ${file} to ${username}/${doc}: version ${result.version}`,
            );
          else out.detail(`${time()} ${username}/${doc} in sync at version ${result.version ?? "-"}`);
        },
        onError: (error) => this.#failed(error),
        onLiveStatus: (status) => this.#live(status, intervalSeconds),
      });
      watcher = this.#watchFile();
      out.note(
        `Watching ${file} for ${username}/${doc} (polling every ${intervalSeconds} s, live updates when the server offers them). Ctrl-C to stop.`,
      );
      const signal = await stopped;
      if (this.#fatal !== null) throw this.#fatal;
      return { signal, syncs: this.#syncs };
    } finally {
      watcher?.close();
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
      await this.#manager.disableAutoSync();
    }
  }

  async #write(data: Json): Promise<void> {
    await writeJsonFileAtomic(this.#t.path, data);
    this.#written = await readFile(this.#t.path, "utf8").catch(() => null);
    const { username, doc, file } = this.#t;
    this.#ctx.out.event({ event: "pulled", doc }, `${time()} updated ${file} with changes from ${username}/${doc}`);
  }

  /** Network trouble and a file caught mid-edit pass; a wrong key or a refused credential will not. */
  #failed(error: unknown): void {
    const code = exitCodeFor(error);
    if (code === EXIT.unavailable || code === EXIT.usage) {
      this.#ctx.out.note(`${time()} ${(error as Error).message} (will retry)`);
      return;
    }
    this.#fatal ??= error;
    this.#stop("error");
  }

  #live(status: LiveStatus, intervalSeconds: number): void {
    const { out } = this.#ctx;
    if (status.state === "open") out.detail(`${time()} live updates on`);
    else if (status.state === "fallback")
      out.detail(
        `${time()} live updates unavailable (${status.reason ?? "no socket"}); polling every ${intervalSeconds} s`,
      );
  }

  /** Watches the folder, not the file: saving by rename (editors, our own atomic write) replaces the file. */
  #watchFile(): FSWatcher {
    const name = basename(this.#t.path);
    let settle: NodeJS.Timeout | undefined;
    const watcher = watchFolder(dirname(this.#t.path), (_event, changed) => {
      if (changed !== name) return;
      clearTimeout(settle);
      settle = setTimeout(() => void this.#fileChanged(), FILE_SETTLE_MS);
    });
    watcher.on("close", () => clearTimeout(settle));
    return watcher;
  }

  async #fileChanged(): Promise<void> {
    const text = await readFile(this.#t.path, "utf8").catch(() => null);
    if (text === null || text === this.#written) return;
    this.#ctx.out.detail(`${time()} ${this.#t.file} changed`);
    this.#manager.requestSync(this.#t.doc);
  }
}

function time(): string {
  return new Date().toISOString().slice(11, 19);
}
