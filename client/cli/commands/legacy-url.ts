/**
 * `cloud-sync legacy-url`: the CLOUD_SYNC_URL that lets the unmodified Python module use the Worker,
 * `<base>/legacy/<token>`, after claiming the username for this key if needed. The token is a
 * capability of its own (PROTOCOL.md "Credentials"): it opens the legacy routes only, never `/v1`,
 * and `--rotate` replaces it, `--revoke` withdraws it, with the admin credential.
 */
import { SyncError } from "../../core/index.ts";
import type { Command } from "../command.ts";
import { userOf, USERNAME } from "../options.ts";

export const legacyUrl: Command = {
  name: "legacy-url",
  summary: "print the CLOUD_SYNC_URL for the Python module (--rotate: a new one, --revoke: none)",
  usage: "--username U [--rotate | --revoke]",
  options: {
    username: USERNAME,
    rotate: { type: "boolean", description: "issue a new URL; the one printed before stops working at once" },
    revoke: {
      type: "boolean",
      description: "withdraw the URL: no capability URL opens the account until the next one",
    },
  },
  details:
    "The URL carries a token of its own, derived from FERNET_KEY: it reads and writes the `default`\n" +
    "document and lists devices, nothing else. Keep it secret all the same; if it leaks, --rotate.\n" +
    "The Python module needs the same FERNET_KEY to read what this CLI writes, and the reverse.",
  async run(ctx) {
    const username = userOf(ctx.values, "legacy-url");
    if (ctx.values["rotate"] === true && ctx.values["revoke"] === true)
      throw new SyncError("invalid_config", "legacy-url takes --rotate or --revoke, not both.");
    const config = ctx.config();
    const manager = await ctx.manager();
    if (ctx.values["revoke"] === true) {
      await manager.revokeCapability(username);
      return {
        json: { username, revoked: true },
        text: `Revoked the capability URL of ${username}: Python devices stop syncing until they get a new one.`,
      };
    }
    const { created } = await manager.claim(username);
    ctx.out.detail(
      created ? `claimed the username ${username} for this key` : `the username ${username} was already this key's`,
    );
    const { token, issued } = await manager.capabilityToken(username, { rotate: ctx.values["rotate"] === true });
    if (issued) ctx.out.detail("issued a new capability URL; an earlier one no longer works");
    const url = `${config.url}/legacy/${token}`;
    return { json: { username, url, claimed: created }, text: url };
  },
};
