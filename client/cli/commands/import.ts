/**
 * `cloud-sync import --dir PATH`: a folder of JSON files (an export, or any folder in that layout)
 * uploaded as new versions, each merged per key with what the server holds: keys only the server
 * has stay, and the server's previous version stays in the history. The merge runs on a throwaway
 * copy of this device's sync state, so the import never moves what this device's own syncs merge
 * against.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { isSyncError, SyncError, type Json } from "../../core/index.ts";
import { docNameForPath, FolderFilter } from "../../node/index.ts";
import { listFolder, readLocalFile } from "../../node/folder-files.ts";
import type { Command } from "../command.ts";
import { EXCLUDE, filterOptions, INCLUDE } from "../folder.ts";
import { openManager } from "../open-manager.ts";
import { required, userOf, USERNAME } from "../options.ts";

export const importCommand: Command = {
  name: "import",
  summary: "upload a folder of JSON files (e.g. an export) as new versions, merged with the server's",
  usage: "--username U --dir PATH [--include GLOB]... [--exclude GLOB]...",
  options: {
    username: USERNAME,
    dir: {
      type: "string",
      value: "PATH",
      description: "the folder to upload (the layout of `export` and `sync --dir`)",
    },
    include: INCLUDE,
    exclude: EXCLUDE,
  },
  details:
    "Each file merges per key with the document's current version: the file's values win where both have\n" +
    "a key, keys only the server has are kept, and the version it replaces stays in the history.\n" +
    "Nothing is uploaded unless every file is valid JSON with a name the server can hold.\n" +
    "With --json: {username, dir, documents: [{file, doc, version, uploaded}]}.",
  async run(ctx) {
    const username = userOf(ctx.values, "import");
    const dir = resolve(ctx.cwd, required(ctx.values, "dir", "import"));
    const filter = new FolderFilter(filterOptions(ctx.values));
    const { files, folders } = await listFolder(dir, filter);
    if (folders.length === 0) throw new SyncError("invalid_config", `import --dir ${dir}: no such folder.`);
    const plan: Array<{ file: string; doc: string; data: Json }> = [];
    for (const [file, abs] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const doc = docNameForPath(file);
      const local = await readLocalFile(abs);
      if (local.state !== "ok")
        throw new SyncError(
          "invalid_config",
          `import: ${file} cannot be imported: ${local.state === "unsettled" ? local.reason : "it is gone"}.`,
        );
      plan.push({ file, doc, data: local.data });
    }
    const state = await mkdtemp(join(tmpdir(), "cloud-sync-import-"));
    try {
      const manager = await openManager({ ...ctx.config(), dataDir: state }, ctx.env, ctx.out);
      const documents = [];
      for (const { file, doc, data } of plan) {
        try {
          const result = await manager.bidirectionalSync(username, data, { doc });
          documents.push({ file, doc, version: result.version, uploaded: result.uploaded });
        } catch (error) {
          if (!isSyncError(error, "network")) throw error;
          throw new SyncError(
            "network",
            `${error.message.split(" The change")[0]} The import stopped at ${file} (${documents.length} of ${plan.length} imported); run it again: it merges, so nothing is doubled.`,
            { cause: error },
          );
        }
      }
      const uploaded = documents.filter((d) => d.uploaded).length;
      return {
        json: { username, dir, documents },
        text: `Imported ${plan.length} file(s) from ${dir} into ${username}: ${uploaded} new version(s), ${plan.length - uploaded} already as imported.`,
      };
    } finally {
      await rm(state, { recursive: true, force: true });
    }
  },
};
