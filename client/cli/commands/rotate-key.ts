/**
 * `cloud-sync rotate-key`: moves the credentials to a new key (with the admin credential), then
 * re-encrypts every document of the user under it. It prints what FERNET_KEY must hold next, never a key itself.
 */
import { SyncError, decodeFernetKey } from "../../core/index.ts";
import type { Command } from "../command.ts";
import { required, userOf, USERNAME } from "../options.ts";

export const rotateKey: Command = {
  name: "rotate-key",
  summary: "move the credential to a new key, then re-encrypt every document under it",
  usage: "--username U --new-key K",
  options: {
    username: USERNAME,
    "new-key": {
      type: "string",
      value: "K",
      description: "the new Fernet key (make one with `cloud-sync keygen`); FERNET_KEY holds the current one",
    },
  },
  details:
    "Afterwards every device needs the new key. Versions written before the rotation stay encrypted\n" +
    "under the old key: keep both in FERNET_KEY, new first (FERNET_KEY=<new>,<old>), to read them.",
  async run(ctx) {
    const username = userOf(ctx.values, "rotate-key");
    const newKey = required(ctx.values, "new-key", "rotate-key");
    ctx.out.addSecret(newKey);
    try {
      decodeFernetKey(newKey).fill(0);
    } catch {
      throw new SyncError(
        "invalid_config",
        "--new-key is not a Fernet key: it must be 32 bytes of URL-safe base64 (make one with `cloud-sync keygen`).",
      );
    }
    const config = ctx.config();
    if (config.keys[0] === newKey.trim())
      throw new SyncError("invalid_config", "--new-key is the key FERNET_KEY already starts with.");
    const { documents } = await (await ctx.manager()).rotateKey(username, newKey.trim());
    const next = "FERNET_KEY=<new key>,<old key>";
    return {
      json: { username, documents, next_fernet_key: "<new key>,<old key>" },
      text: [
        `Moved the credential of ${username} to the new key and re-encrypted ${documents.length} document(s) under it.`,
        "Next, on every device of this user (the Python module too):",
        "  FERNET_KEY=<new key>                the key you gave as --new-key; the old one no longer opens the account",
        `  ${next.padEnd(35)} the same, and still reads versions from before the rotation (history, rollback)`,
        "Python devices also need a new CLOUD_SYNC_URL (the old one is revoked): run `cloud-sync legacy-url` with the new key.",
      ].join("\n"),
    };
  },
};
