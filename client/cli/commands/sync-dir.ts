/**
 * `cloud-sync sync --dir DIR`: one sync of a whole folder, every JSON file a document. On an empty
 * or missing folder it brings the whole folder down (a new device in one command). Files caught
 * mid-write are read again a few times, then left for the next sync; a file whose name the server
 * cannot hold, or that fails alone, makes the command fail once the others are synced.
 */
import { SyncError } from "../../core/index.ts";
import type { FileOutcome } from "../../node/index.ts";
import type { CommandContext, CommandResult } from "../command.ts";
import { openFolder, outcomeJson, outcomeText } from "../folder.ts";
import { introduceDevice } from "../introduce.ts";

/** Pauses before reading skipped files again: an application's write takes milliseconds. */
const REREAD_MS = [250, 500, 1000];

export async function syncDir(ctx: CommandContext, username: string): Promise<CommandResult> {
  const folder = await openFolder(ctx, username, "sync");
  await introduceDevice(ctx, folder.manager, username);
  const outcomes = new Map<string, FileOutcome>();
  for (const o of await folder.syncAll()) outcomes.set(o.path, o);
  for (const ms of REREAD_MS) {
    const skipped = [...outcomes.values()].filter((o) => o.action === "skipped").map((o) => o.path);
    if (skipped.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, ms));
    for (const o of await folder.syncPaths(skipped)) outcomes.set(o.path, o);
  }
  const all = [...outcomes.values()];
  const changed = all.filter((o) => o.action !== "unchanged");
  const failed = all.filter((o) => o.action === "failed");
  const lines = changed.map(outcomeText);
  if (failed.length > 0) {
    for (const line of lines) ctx.out.note(line);
    const first = failed[0]!.error;
    const code = first instanceof SyncError ? first.code : "invalid_config";
    throw new SyncError(
      code,
      `${failed.length} file(s) of ${folder.dir} could not be synced (the others were): ${failed
        .map(outcomeText)
        .join("; ")}${code === "invalid_name" ? " (rename them, or leave them out with --exclude)" : ""}`,
      { cause: first },
    );
  }
  for (const o of all.filter((x) => x.action === "skipped"))
    ctx.out.note(`warning: ${o.path} was not synced: ${o.reason ?? "not readable"}; the next sync takes it.`);
  const counts = count(all);
  const summary = `Synced ${folder.dir} with ${username}: ${changed.length} of ${all.length} file(s) changed${
    changed.length === 0 ? " (already in sync)" : ""
  }.`;
  return {
    json: { username, dir: folder.dir, files: changed.map(outcomeJson), counts },
    text: [...lines, summary].join("\n"),
  };
}

function count(outcomes: FileOutcome[]): Record<string, number> {
  const counts: Record<string, number> = { unchanged: 0 };
  for (const o of outcomes) counts[o.action] = (counts[o.action] ?? 0) + 1;
  return counts;
}
