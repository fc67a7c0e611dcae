/** `cloud-sync push`: the JSON of a file becomes the document's next version (the previous one stays in history). */
import { resolve } from "node:path";
import type { Command } from "../command.ts";
import { readJsonFile } from "../json-file.ts";
import { DOC, docOf, FILE, required, userOf, USERNAME } from "../options.ts";

export const push: Command = {
  name: "push",
  summary: "upload a JSON file as the document's new version",
  usage: "--username U --file F [--doc D]",
  options: { username: USERNAME, file: FILE, doc: DOC },
  details:
    "If the server cannot be reached, the change is queued and sent by the next command that reaches it (exit 4).",
  async run(ctx) {
    const username = userOf(ctx.values, "push");
    const file = required(ctx.values, "file", "push");
    const doc = docOf(ctx.values);
    const manager = await ctx.manager();
    const data = (await readJsonFile(resolve(ctx.cwd, file)))!;
    const { version } = await manager.syncUpload(username, data, { doc });
    return { json: { username, doc, version }, text: `Pushed ${file} to ${username}/${doc}: version ${version}.` };
  },
};
