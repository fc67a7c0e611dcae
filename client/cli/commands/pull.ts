/** `cloud-sync pull`: the document's current data as JSON on stdout (`null` when it does not exist yet). */
import type { Command } from "../command.ts";
import { DOC, docOf, userOf, USERNAME } from "../options.ts";

export const pull: Command = {
  name: "pull",
  summary: "print the document's data as JSON",
  usage: "--username U [--doc D]",
  options: { username: USERNAME, doc: DOC },
  details: "Prints null when the document does not exist yet. With --json: {username, doc, data}.",
  async run(ctx) {
    const username = userOf(ctx.values, "pull");
    const doc = docOf(ctx.values);
    const data = await (await ctx.manager()).syncDownload(username, { doc });
    if (data === null && !ctx.out.json) ctx.out.note(`${username}/${doc} does not exist on the server yet.`);
    return { json: { username, doc, data }, text: JSON.stringify(data, null, 2) };
  },
};
