/** `cloud-sync history`: the document's versions, newest first, as the server lists them. */
import { isSyncError, type VersionInfo } from "../../core/index.ts";
import type { Command } from "../command.ts";
import { DOC, docOf, userOf, USERNAME } from "../options.ts";
import { table } from "../table.ts";

export interface HistoryEntry {
  version: number;
  /** When the server stored it (ISO-8601 UTC). */
  timestamp: string;
  device_id: string;
  /** Bytes of the stored token. */
  size: number;
  etag: string;
  this_device: boolean;
}

export const history: Command = {
  name: "history",
  summary: "list the document's versions, newest first",
  usage: "--username U [--doc D]",
  options: { username: USERNAME, doc: DOC },
  details:
    "With --json: an array of {version, timestamp, device_id, size, etag, this_device}. Roll back with `cloud-sync rollback`.",
  async run(ctx) {
    const username = userOf(ctx.values, "history");
    const doc = docOf(ctx.values);
    const manager = await ctx.manager();
    let versions: VersionInfo[];
    try {
      versions = await manager.listVersions(username, { doc });
    } catch (error) {
      // A document never written has no history: an empty list, not a failure.
      if (!isSyncError(error, "not_found")) throw error;
      versions = [];
    }
    const entries: HistoryEntry[] = versions.map((v) => ({
      version: v.version,
      timestamp: v.updated_at,
      device_id: v.device_id,
      size: v.size,
      etag: v.etag,
      this_device: v.device_id === manager.deviceId,
    }));
    return { json: entries, text: historyText(username, doc, entries) };
  },
};

function historyText(username: string, doc: string, entries: HistoryEntry[]): string {
  if (entries.length === 0) return `${username}/${doc} has no history yet.`;
  const rows = entries.map((e) => [
    String(e.version),
    e.timestamp,
    e.device_id + (e.this_device ? " (this device)" : ""),
    `${e.size} B`,
  ]);
  return table(["VERSION", "STORED (UTC)", "DEVICE", "SIZE"], rows);
}
