/**
 * `cloud-sync legacy-url`: the CLOUD_SYNC_URL that lets the unmodified Python module use the Worker,
 * `<base>/legacy/<token>` (PROTOCOL.md "Credential"), after claiming the username for this key so
 * the legacy routes can write to it (deployments with CLAIM_SECRET accept legacy writes to claimed names only).
 */
import { deriveAuthToken } from "../../core/index.ts";
import type { Command } from "../command.ts";
import { userOf, USERNAME } from "../options.ts";

export const legacyUrl: Command = {
  name: "legacy-url",
  summary: "claim the username if needed and print the CLOUD_SYNC_URL for the Python module",
  usage: "--username U",
  options: { username: USERNAME },
  details:
    "The URL carries a credential derived from FERNET_KEY: treat it as a secret. The Python module\n" +
    "needs the same FERNET_KEY to read what this CLI writes, and the reverse.",
  async run(ctx) {
    const username = userOf(ctx.values, "legacy-url");
    const config = ctx.config();
    const { created } = await (await ctx.manager()).claim(username);
    ctx.out.detail(
      created ? `claimed the username ${username} for this key` : `the username ${username} was already this key's`,
    );
    const url = `${config.url}/legacy/${await deriveAuthToken(config.keys[0]!, username)}`;
    return { json: { username, url, claimed: created }, text: url };
  },
};
