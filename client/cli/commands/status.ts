/** `cloud-sync status`: what this device knows of its syncs (the Python module's `get_sync_status`), read locally without the network. */
import type { SyncStatus } from "../../core/index.ts";
import type { Command } from "../command.ts";
import { userOf, USERNAME } from "../options.ts";

export const status: Command = {
  name: "status",
  summary: "show last upload, download and error per document, queued changes and clock skew",
  usage: "--username U",
  options: { username: USERNAME },
  details: "Reads this device's sync state only; it does not contact the server.",
  async run(ctx) {
    const username = userOf(ctx.values, "status");
    const report = await (await ctx.manager()).getSyncStatus(username);
    return { json: report, text: statusText(report) };
  },
};

function statusText(s: SyncStatus): string {
  const lines = [
    `${s.username} on device ${s.deviceId}${s.deviceName === null ? "" : ` (${s.deviceName})`}`,
    `  last upload:     ${s.lastUpload ?? "never"}`,
    `  last download:   ${s.lastDownload ?? "never"}`,
    `  pending changes: ${s.pendingChanges}${s.pendingChanges > 0 ? " (sent by the next command that reaches the server)" : ""}`,
  ];
  if (s.lastError !== null)
    lines.push(`  last error:      ${s.lastError.at} ${s.lastError.code}: ${s.lastError.message}`);
  if (s.documents.length > 0) lines.push("documents:");
  for (const d of s.documents) {
    const parts = [`version ${d.version ?? "-"}`, `up ${d.lastUpload ?? "never"}`, `down ${d.lastDownload ?? "never"}`];
    if (d.pendingChanges > 0) parts.push(`${d.pendingChanges} pending`);
    if (d.lastError !== null) parts.push(`last error ${d.lastError.code}`);
    lines.push(`  ${d.doc.padEnd(16)} ${parts.join(", ")}`);
    const gap = d.unverifiedHistory;
    if (gap !== null)
      lines.push(
        `warning: ${d.doc}: versions ${gap.from + 1}-${gap.to - 1} could not be checked (pruned or deleted); ` +
          `version ${gap.to} was taken on its binding alone (${gap.at})`,
      );
  }
  const own = s.clock.thisDevice;
  if (own !== null)
    lines.push(`clock: this device is ${signed(own.skewSeconds)} s from the server's (checked ${own.checkedAt})`);
  for (const d of s.clock.offByMoreThanAMinute) {
    const who = d.name === null ? d.deviceId : `${d.name} (${d.deviceId})`;
    lines.push(
      `warning: the clock of ${d.thisDevice ? "this device, " : ""}${who} is off by ${signed(d.skewSeconds)} s (seen ${d.observedAt})`,
    );
  }
  return lines.join("\n");
}

function signed(seconds: number): string {
  return seconds > 0 ? `+${seconds}` : String(seconds);
}
