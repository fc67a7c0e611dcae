/** `cloud-sync account delete`: deletes the account with every document, version and device, with the admin credential. */
import { SyncError } from "../../core/index.ts";
import type { Command } from "../command.ts";
import { userOf, USERNAME } from "../options.ts";

export const account: Command = {
  name: "account",
  summary: "delete the account, with every document, version and device (asks first, or --yes)",
  usage: "--username U delete [--yes]",
  options: {
    username: USERNAME,
    yes: { type: "boolean", short: "y", description: "do not ask: delete at once (for scripts)" },
  },
  words: 1,
  details:
    "Uses the admin credential (derived from FERNET_KEY, never sent on other requests). Without --yes it asks\n" +
    "on the terminal, and refuses (exit 2) when there is no terminal to ask. Nothing can bring the data back.",
  async run(ctx) {
    const username = userOf(ctx.values, "account");
    if (ctx.words[0] !== "delete")
      throw new SyncError("invalid_config", "account needs the word `delete` (see `cloud-sync account --help`).");
    if (ctx.values["yes"] !== true && !(await ctx.confirm(`Delete ${username} and everything stored for it?`)))
      throw new SyncError("invalid_config", `Not deleted: confirm at the terminal, or pass --yes.`);
    await (await ctx.manager()).deleteAccount(username);
    return { json: { username, deleted: true }, text: `Deleted ${username}: every document, version and device.` };
  },
};
