/**
 * `cloud-sync sync`: merges a JSON file with the server's copy of the document (three-way, per key,
 * against what this device last synced) and writes the merged result back to the file, atomically.
 */
import { resolve } from "node:path";
import { SyncError, jsonEqual, type SyncManager } from "../../core/index.ts";
import type { Command, CommandResult } from "../command.ts";
import { readJsonFile, writeJsonFileAtomic } from "../json-file.ts";
import { DIR, EXCLUDE, INCLUDE } from "../folder.ts";
import { introduceDevice } from "../introduce.ts";
import { DOC, docOf, FILE, optional, required, RULES, rulesOption, userOf, USERNAME } from "../options.ts";
import { syncDir } from "./sync-dir.ts";

export const sync: Command = {
  name: "sync",
  summary: "merge a JSON file, or a folder of them, with the server's copy both ways and write the result back",
  usage: "--username U (--file F [--doc D] | --dir DIR [--include GLOB]... [--exclude GLOB]...) [--rules FILE]",
  options: { username: USERNAME, file: FILE, doc: DOC, dir: DIR, include: INCLUDE, exclude: EXCLUDE, rules: RULES },
  details:
    "Edits to different keys on different devices all survive; for the same key the later edit wins.\n" +
    "A file that does not exist yet is created from the server's copy, which later syncs merge against:\n" +
    "start a new device that way (a file made with `pull` has no common base, so its values win at its first sync).\n" +
    "If the server cannot be reached, the change is queued (exit 4) and the file is left as it is.\n" +
    "Lists merge as one value unless a rule says otherwise: --rules, else the rules the document declares,\n" +
    'else Project-AI\'s defaults for its name (docs/CLI.md, "Merge rules").\n' +
    "With --dir, every JSON file of the folder is a document named after its path (ai_persona/state.json is\n" +
    "ai_persona--state); files created or deleted on one device are on the others after their next sync. An empty\n" +
    "or missing folder is filled from the server: start a new device that way. --rules then holds either one set\n" +
    'of rules for every file or path globs to sets: {"ai_persona/state.json": {"/interaction_count": "max"}}.',
  async run(ctx) {
    const username = userOf(ctx.values, "sync");
    if (optional(ctx.values, "dir") !== undefined) return syncDir(ctx, username);
    const file = required(ctx.values, "file", "sync");
    const doc = docOf(ctx.values);
    const rules = await rulesOption(ctx.values, ctx.cwd);
    const manager = await ctx.manager(rules === undefined ? {} : { rules: { [doc]: rules } });
    await introduceDevice(ctx, manager, username);
    const path = resolve(ctx.cwd, file);
    const local = await readJsonFile(path, { missingOk: true });
    if (local === undefined) return checkout({ username, doc, file, path }, manager);
    const result = await manager.bidirectionalSync(username, local, { doc });
    const fileUpdated = !jsonEqual(result.data, local);
    if (fileUpdated) await writeJsonFileAtomic(path, result.data);
    const what = [
      result.uploaded ? "uploaded local changes" : null,
      fileUpdated ? `${file} updated with changes from other devices` : null,
    ].filter((s) => s !== null);
    const version = result.version === null ? "still empty" : `version ${result.version}`;
    return {
      json: { username, doc, version: result.version, uploaded: result.uploaded, file_updated: fileUpdated },
      text: `Synced ${file} with ${username}/${doc}: ${version} (${what.length === 0 ? "already in sync" : what.join("; ")}).`,
    };
  },
};

/** A first sync into a missing file: the server's copy, adopted as the merge base (the manager's way: sync the downloaded data). */
async function checkout(
  t: { username: string; doc: string; file: string; path: string },
  manager: SyncManager,
): Promise<CommandResult> {
  const remote = await manager.syncDownload(t.username, { doc: t.doc });
  if (remote === null) {
    throw new SyncError(
      "invalid_config",
      `${t.file} does not exist and ${t.username}/${t.doc} is empty: nothing to sync (create ${t.file}, or use push).`,
    );
  }
  const result = await manager.bidirectionalSync(t.username, remote, { doc: t.doc });
  await writeJsonFileAtomic(t.path, result.data);
  return {
    json: { username: t.username, doc: t.doc, version: result.version, uploaded: result.uploaded, file_updated: true },
    text: `Created ${t.file} from ${t.username}/${t.doc} (version ${result.version ?? "-"}); later syncs merge against it.`,
  };
}
