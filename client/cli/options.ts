/** Options shared by several commands, the global flags, and typed access to parsed values (missing or malformed: a usage error). */
import { DEFAULT_DOC, SyncError, checkDocName, checkUsername } from "../core/index.ts";
import type { OptionSpec, OptionValues } from "./command.ts";

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  json: { type: "boolean", description: "print the result as JSON (for scripts)" },
  verbose: {
    type: "boolean",
    short: "v",
    description: "print details on stderr: configuration, each request, stack traces",
  },
  help: { type: "boolean", short: "h", description: "show help" },
};

export const USERNAME: OptionSpec = { type: "string", short: "u", value: "U", description: "the account's username" };
export const DOC: OptionSpec = {
  type: "string",
  short: "d",
  value: "D",
  description: `the document (default: "${DEFAULT_DOC}", the one the Python module syncs)`,
};
export const FILE: OptionSpec = { type: "string", short: "f", value: "F", description: "a JSON file" };
/** Read with `rulesOption` (rules-file.ts), before any other work. */
export const RULES: OptionSpec = {
  type: "string",
  value: "FILE",
  description:
    'merge rules, a JSON object of JSON-pointer patterns to lww, append or max (e.g. {"/turns": "append"}); declared in the document, so every device merges it alike',
};
export { rulesOption } from "./rules-file.ts";

/** A string option the command cannot do without. */
export function required(values: OptionValues, name: string, command: string): string {
  const value = values[name];
  if (typeof value !== "string" || value === "") {
    throw new SyncError("invalid_config", `${command} needs --${name} (see \`cloud-sync ${command} --help\`).`);
  }
  return value;
}

export function optional(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

/** `--doc`, checked before any file or network work, else the default document. */
export function docOf(values: OptionValues): string {
  return checkDocName(optional(values, "doc") ?? DEFAULT_DOC);
}

/** `--username`, required and checked. */
export function userOf(values: OptionValues, command: string): string {
  return checkUsername(required(values, "username", command));
}

/** A number option: `integer` for versions, else any positive number (seconds). */
export function numberOption(values: OptionValues, name: string, options: { integer: boolean }): number | undefined {
  const text = optional(values, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  const ok =
    text.trim() !== "" && Number.isFinite(value) && value > 0 && (!options.integer || Number.isSafeInteger(value));
  if (!ok)
    throw new SyncError(
      "invalid_config",
      `--${name} must be a ${options.integer ? "whole number >= 1" : "positive number"}, got ${JSON.stringify(text)}.`,
    );
  return value;
}
