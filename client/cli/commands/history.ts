/**
 * `cloud-sync history`: the document's versions, newest first. The device shown is the one sealed
 * inside each token (the server's record is only what the writing request claimed in X-Device-Id,
 * which any holder of the bearer token can set); a difference between the two is flagged.
 */
import { isSyncError, type HistoryEntry as LibraryEntry } from "../../core/index.ts";
import type { Command } from "../command.ts";
import { DOC, docOf, userOf, USERNAME } from "../options.ts";
import { table } from "../table.ts";

export interface HistoryEntry {
  version: number;
  /** When the server stored it (ISO-8601 UTC). */
  timestamp: string;
  /** The writer's device id from inside the token; null when this key cannot open the version. */
  device_id: string | null;
  /** The device id the server recorded (the writing request's self-declared X-Device-Id). */
  server_device_id: string;
  /** True when the token opened and names another device than the server recorded. */
  device_mismatch: boolean;
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
    "DEVICE is the writer named inside each token; a server record that differs is flagged. With --json: an array of " +
    "{version, timestamp, device_id, server_device_id, device_mismatch, size, etag, this_device}. Roll back with `cloud-sync rollback`.",
  async run(ctx) {
    const username = userOf(ctx.values, "history");
    const doc = docOf(ctx.values);
    const manager = await ctx.manager();
    let versions: LibraryEntry[];
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
      device_id: v.envelope_device_id,
      server_device_id: v.device_id,
      device_mismatch: v.device_mismatch,
      size: v.size,
      etag: v.etag,
      this_device: v.envelope_device_id === manager.deviceId,
    }));
    return { json: entries, text: historyText(username, doc, entries) };
  },
};

function historyText(username: string, doc: string, entries: HistoryEntry[]): string {
  if (entries.length === 0) return `${username}/${doc} has no history yet.`;
  const rows = entries.map((e) => [String(e.version), e.timestamp, deviceCell(e), `${e.size} B`]);
  return table(["VERSION", "STORED (UTC)", "DEVICE", "SIZE"], rows);
}

function deviceCell(e: HistoryEntry): string {
  if (e.device_id === null) return `? (not readable with this key; server says ${e.server_device_id})`;
  const own = e.this_device ? " (this device)" : "";
  return e.device_mismatch ? `${e.device_id}${own} [MISMATCH: server says ${e.server_device_id}]` : e.device_id + own;
}
