/**
 * `cloud-sync rollback`: one document back to an earlier version (`--version N`), or every document
 * back to how it was at a time (`--at ISO-8601`). The old content becomes a new version, so the
 * history keeps every step and other devices take the restored content at their next sync.
 */
import { SyncError, type RollbackToOutcome } from "../../core/index.ts";
import type { Command } from "../command.ts";
import { DOC, docOf, numberOption, optional, userOf, USERNAME } from "../options.ts";

export const rollback: Command = {
  name: "rollback",
  summary: "restore a document's earlier version, or every document as it was at a time",
  usage: "--username U (--version N [--doc D] | --at ISO-8601)",
  options: {
    username: USERNAME,
    version: {
      type: "string",
      short: "n",
      value: "N",
      description: "the version to restore (see `cloud-sync history`)",
    },
    doc: DOC,
    at: {
      type: "string",
      value: "ISO-8601",
      description: "restore every document as it was at this time, e.g. 2025-01-31T12:00:00Z",
    },
  },
  async run(ctx) {
    const username = userOf(ctx.values, "rollback");
    const version = numberOption(ctx.values, "version", { integer: true });
    const at = optional(ctx.values, "at");
    if ((version === undefined) === (at === undefined)) {
      throw new SyncError("invalid_config", "rollback needs either --version N or --at ISO-8601 (one of them).");
    }
    if (at !== undefined && optional(ctx.values, "doc") !== undefined) {
      throw new SyncError("invalid_config", "rollback --at restores every document; it takes no --doc.");
    }
    const manager = await ctx.manager();
    if (version !== undefined) {
      const doc = docOf(ctx.values);
      const result = await manager.rollback(username, { doc, version });
      return {
        json: { username, doc: result.doc, restored_from: result.restoredFrom, version: result.version },
        text: `Restored ${username}/${doc} to the content of version ${result.restoredFrom}: now version ${result.version}.`,
      };
    }
    const when = Date.parse(at!);
    if (!/^\d{4}-\d{2}-\d{2}/.test(at!) || !Number.isFinite(when)) {
      throw new SyncError(
        "invalid_config",
        `--at must be an ISO-8601 time such as 2025-01-31T12:00:00Z, got ${JSON.stringify(at)}.`,
      );
    }
    const outcomes = await manager.rollbackTo(username, new Date(when));
    return {
      json: { username, at: new Date(when).toISOString(), documents: outcomes },
      text: outcomesText(username, at!, outcomes),
    };
  },
};

function outcomesText(username: string, at: string, outcomes: RollbackToOutcome[]): string {
  if (outcomes.length === 0) return `${username} has no documents.`;
  const lines = outcomes.map((o) => {
    switch (o.outcome) {
      case "restored":
        return `${o.doc}: restored version ${o.to} (was ${o.from}), now version ${o.version}`;
      case "unchanged":
        return `${o.doc}: unchanged (version ${o.version} was already current at that time)`;
      case "absent":
        return `${o.doc}: did not exist yet at that time; left at version ${o.version}`;
      default:
        return `${o.doc}: the version of that time is no longer in the history; left at version ${o.version}`;
    }
  });
  return [`${username} as at ${at}:`, ...lines.map((l) => `  ${l}`)].join("\n");
}
