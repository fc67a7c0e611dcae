/** The `--help` texts, built from the commands' own option specs so they cannot drift from the parser. */
import type { Command, OptionSpec } from "./command.ts";
import { COMMANDS } from "./commands.ts";
import { EXIT } from "./exit-codes.ts";
import { GLOBAL_OPTIONS } from "./options.ts";

const ENVIRONMENT = [
  ["CLOUD_SYNC_URL", "the sync server, e.g. http://127.0.0.1:8787 (required by commands that talk to it)"],
  ["FERNET_KEY", "your Fernet key, the same on every device (`new,old` after a rotation reads old versions)"],
  ["CLOUD_SYNC_DEVICE_ID", "this device's id (default: the Python module's machine fingerprint)"],
  ["CLOUD_SYNC_DATA_DIR", "where sync state and the offline queue live (default: the per-user data folder)"],
  ["CLOUD_SYNC_DEVICE_NAME", "how this device shows in `devices` and the dashboard (default: the machine's name)"],
  ["CLOUD_SYNC_CLAIM_SECRET", "for servers that set CLAIM_SECRET: needed to claim a username"],
  ["HTTPS_PROXY, NO_PROXY", "proxy settings, honoured"],
] as const;

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "Usage: cloud-sync <command> [options]",
    "",
    "End-to-end encrypted sync of JSON documents across devices (Project-AI Cloud Sync).",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Options of every command:",
    ...optionLines(GLOBAL_OPTIONS),
    "",
    "Environment (also read from .env in the working directory; the environment wins):",
    ...ENVIRONMENT.map(([name, text]) => `  ${name.padEnd(24)} ${text}`),
    "",
    `Exit codes: ${EXIT.ok} success, ${EXIT.usage} usage or configuration error, ${EXIT.authentication} wrong key or data failing authentication,`,
    `  ${EXIT.unavailable} server unreachable or unavailable (changes are queued), ${EXIT.refused} refused by the server.`,
    "",
    "Run `cloud-sync <command> --help` for a command's options.",
  ].join("\n");
}

export function commandHelp(command: Command): string {
  return [
    `Usage: cloud-sync ${command.name}${command.usage === "" ? "" : ` ${command.usage}`} [--json] [--verbose]`,
    "",
    `${command.summary[0]!.toUpperCase()}${command.summary.slice(1)}.`,
    ...(command.details === undefined ? [] : ["", command.details]),
    "",
    "Options:",
    ...optionLines({ ...command.options, ...GLOBAL_OPTIONS }),
  ].join("\n");
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  const names = Object.entries(options).map(([name, spec]) => {
    const short = spec.short === undefined ? "    " : `-${spec.short}, `;
    return [`${short}--${name}${spec.value === undefined ? "" : ` ${spec.value}`}`, spec.description] as const;
  });
  const width = Math.max(...names.map(([n]) => n.length));
  return names.map(([n, text]) => `  ${n.padEnd(width)}  ${text}`);
}
