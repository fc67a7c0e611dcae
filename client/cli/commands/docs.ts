/** `cloud-sync docs`: the user's documents, as the server lists them, with the file a folder sync gives each. */
import type { DocumentInfo } from "../../core/index.ts";
import { pathForDocName } from "../../node/index.ts";
import type { Command } from "../command.ts";
import { userOf, USERNAME } from "../options.ts";
import { table } from "../table.ts";

export interface DocEntry {
  doc: string;
  /** The file `sync --dir` and `export` give the document; null when its name is no file's. */
  file: string | null;
  version: number;
  /** Bytes of the stored (encrypted) version. */
  size: number;
  updated_at: string;
  device_id: string;
  /** The writing device's registered name, when it has one. */
  device_name: string | null;
  this_device: boolean;
}

export const docs: Command = {
  name: "docs",
  summary: "list the user's documents with size, version, last writer and time",
  usage: "--username U",
  options: { username: USERNAME },
  details:
    "With --json: an array of {doc, file, version, size, updated_at, device_id, device_name, this_device}.\n" +
    "A file deleted in a synced folder stays listed: its document's newest version records the deletion.",
  async run(ctx) {
    const username = userOf(ctx.values, "docs");
    const manager = await ctx.manager();
    const [documents, devices] = await Promise.all([manager.listDocuments(username), manager.listDevices(username)]);
    const names = new Map(devices.map((d) => [d.device_id, d.name]));
    const entries = [...documents]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map(
        (d: DocumentInfo): DocEntry => ({
          doc: d.name,
          file: pathForDocName(d.name),
          version: d.version,
          size: d.size,
          updated_at: d.updated_at,
          device_id: d.device_id,
          device_name: names.get(d.device_id) ?? null,
          this_device: d.device_id === manager.deviceId,
        }),
      );
    return { json: entries, text: docsText(username, entries) };
  },
};

function docsText(username: string, entries: DocEntry[]): string {
  if (entries.length === 0) return `${username} has no documents yet.`;
  const rows = entries.map((e) => [
    e.doc,
    e.file ?? "-",
    String(e.version),
    `${e.size} B`,
    (e.device_name === null ? e.device_id : `${e.device_name} (${e.device_id})`) +
      (e.this_device ? " (this device)" : ""),
    e.updated_at,
  ]);
  return table(["DOCUMENT", "FILE", "VERSION", "SIZE", "LAST WRITER", "UPDATED (UTC)"], rows);
}
