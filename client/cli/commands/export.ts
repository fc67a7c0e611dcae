/**
 * `cloud-sync export --out PATH`: every document of the user, decrypted, as plain JSON files in the
 * folder layout `sync --dir` uses (ai_persona--state is ai_persona/state.json); with `--history`,
 * every version the server keeps, under PATH/.history/<file>/<version>.json.
 */
import { readdir } from "node:fs/promises";
import { resolve } from "node:path";
import { SyncError, type Json } from "../../core/index.ts";
import { pathForDocName } from "../../node/index.ts";
import { filePath, writeLocalFile } from "../../node/folder-files.ts";
import type { Command } from "../command.ts";
import { required, userOf, USERNAME } from "../options.ts";

/** Where `--history` puts old versions: a hidden folder, so `import` and `sync --dir` of the export leave it out. */
export const HISTORY_FOLDER = ".history";

export const exportCommand: Command = {
  name: "export",
  summary: "write every document, decrypted, as plain JSON files in the folder layout (your data, out)",
  usage: "--username U --out PATH [--history]",
  options: {
    username: USERNAME,
    out: { type: "string", short: "o", value: "PATH", description: "a new or empty folder to write the files into" },
    history: {
      type: "boolean",
      description: `also every version the server keeps, as ${HISTORY_FOLDER}/<file>/<version>.json with an index.json`,
    },
  },
  details:
    "Files deleted in a synced folder are left out (their history is exported with --history).\n" +
    "Bring an export back, into this account or another, with `cloud-sync import --dir PATH`.\n" +
    "With --json: {username, out, documents: [{doc, file, version}], deleted: [doc], history_versions}.",
  async run(ctx) {
    const username = userOf(ctx.values, "export");
    const out = resolve(ctx.cwd, required(ctx.values, "out", "export"));
    const existing = await readdir(out).catch(() => []);
    if (existing.length > 0)
      throw new SyncError(
        "invalid_config",
        `export --out ${out}: the folder is not empty (export writes into a new or empty one).`,
      );
    const manager = await ctx.manager();
    const documents = await manager.listDocuments(username);
    const written: Array<{ doc: string; file: string; version: number }> = [];
    const deleted: string[] = [];
    const taken = new Set<string>();
    let historyVersions = 0;
    for (const info of [...documents].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const doc = info.name;
      const file = pathForDocName(doc) ?? `${doc}.json`;
      if (taken.has(file)) throw new SyncError("invalid_config", `export: two documents would both be ${file}.`);
      taken.add(file);
      const data = await manager.syncDownload(username, { doc });
      if (data === null) deleted.push(doc);
      else {
        await writeLocalFile(filePath(out, file), data, null);
        written.push({ doc, file, version: info.version });
      }
      if (ctx.values["history"] === true) historyVersions += await exportHistory(manager, username, doc, file, out);
    }
    const parts = [`Exported ${written.length} document(s) of ${username} to ${out}`];
    if (deleted.length > 0) parts.push(`${deleted.length} deleted file(s) left out`);
    if (ctx.values["history"] === true) parts.push(`${historyVersions} version(s) in ${HISTORY_FOLDER}/`);
    return {
      json: { username, out, documents: written, deleted, history_versions: historyVersions },
      text: `${parts.join("; ")}.`,
    };
  },
};

type Manager = Awaited<ReturnType<Parameters<Command["run"]>[0]["manager"]>>;

async function exportHistory(
  manager: Manager,
  username: string,
  doc: string,
  file: string,
  out: string,
): Promise<number> {
  const versions = await manager.listVersions(username, { doc });
  const folder = `${HISTORY_FOLDER}/${file}`;
  const index: Json[] = [];
  // Oldest first, as one reads a history.
  for (const v of [...versions].reverse()) {
    const content = await manager.getVersion(username, { doc, version: v.version });
    await writeLocalFile(filePath(out, `${folder}/${v.version}.json`), content.data, null);
    index.push({
      version: v.version,
      stored_at: v.updated_at,
      device_id: content.deviceId,
      deleted: content.data === null,
    });
  }
  await writeLocalFile(filePath(out, `${folder}/index.json`), index, null);
  return versions.length;
}
