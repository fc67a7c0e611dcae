/** `cloud-sync keygen`: a new Fernet key, as Python's `Fernet.generate_key()` writes one. */
import { generateKey } from "../../core/index.ts";
import type { Command } from "../command.ts";

export const keygen: Command = {
  name: "keygen",
  summary: "print a new random Fernet key (for FERNET_KEY)",
  usage: "",
  options: {},
  details:
    "Every device of a user must use the same key. Keep it secret: whoever has it can read and write the user's data.",
  async run() {
    const key = generateKey();
    return { json: { key }, text: key };
  },
};
