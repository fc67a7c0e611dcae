/** What a CLI command is: its options and usage for parsing and help, and a `run` that returns what to print. */
import type { MergeRules, SyncManager } from "../core/index.ts";
import type { CommandResult, Output } from "./output.ts";
import type { SyncConfig } from "./env.ts";

export type { CommandResult };

/** One option, as node:util parseArgs takes it, with the words `--help` shows. */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  /** May be given several times (its value is then a list). */
  multiple?: boolean;
  /** Placeholder in usage lines, e.g. `U` for `--username U`. */
  value?: string;
  description: string;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/** What a command adds to the configuration's manager options. */
export interface ManagerExtras {
  /** Merge rules per document (`--rules`), which the manager declares in each write; a function of the name for a folder's documents. */
  rules?: Readonly<Record<string, MergeRules>> | ((doc: string) => MergeRules | undefined);
}

export interface CommandContext {
  values: OptionValues;
  /** The words after the command's name that are not options (`devices remove ID`), at most `Command.words`. */
  words: readonly string[];
  /** Asks the person at the terminal a yes/no question; false when there is nobody to ask (no TTY). */
  confirm(question: string): Promise<boolean>;
  /** The process environment merged with `.env` of the working directory. */
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  out: Output;
  /** CLOUD_SYNC_URL, FERNET_KEY and the rest, checked (SyncError `invalid_config` naming what is missing). */
  config(): SyncConfig;
  /** A SyncManager on this configuration (created once: `extras` count at the first call). */
  manager(extras?: ManagerExtras): Promise<SyncManager>;
}

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The arguments after the command's name, e.g. `--username U --file F [--doc D]`. */
  usage: string;
  options: Record<string, OptionSpec>;
  /** How many words (sub-command, id) may follow the command's name; none by default. */
  words?: number;
  /** Extra lines for `cloud-sync <command> --help`. */
  details?: string;
  run(ctx: CommandContext): Promise<CommandResult>;
}
