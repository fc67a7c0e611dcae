/**
 * The command line, read with node:util parseArgs in two passes: a lenient one that finds the
 * command's name wherever the global flags put it, then a strict one with that command's options,
 * so an unknown flag or a stray argument is a usage error (exit 2) naming it.
 */
import { parseArgs } from "node:util";
import { SyncError } from "../core/index.ts";
import type { Command, OptionSpec, OptionValues } from "./command.ts";
import { COMMANDS, findCommand } from "./commands.ts";
import { GLOBAL_OPTIONS } from "./options.ts";

export type CommandLine =
  | { kind: "help"; command: Command | null }
  | { kind: "run"; command: Command; values: OptionValues; words: string[] };

type ParseOptions = Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }>;

export function parseCommandLine(argv: readonly string[]): CommandLine {
  const every = Object.assign({}, GLOBAL_OPTIONS, ...COMMANDS.map((c) => c.options)) as Record<string, OptionSpec>;
  const lenient = parseArgs({
    args: attachDashValues(argv, every),
    options: forParser(every),
    strict: false,
    allowPositionals: true,
  });
  const name = lenient.positionals[0];
  if (name === undefined) {
    if (lenient.values["help"] === true) return { kind: "help", command: null };
    throw usage("no command given (run `cloud-sync --help` for the list).");
  }
  const command = findCommand(name);
  if (command === undefined) throw usage(`unknown command "${name}" (run \`cloud-sync --help\` for the list).`);

  const options: Record<string, OptionSpec> = { ...command.options, ...GLOBAL_OPTIONS };
  let parsed: { values: OptionValues; positionals: string[] };
  try {
    parsed = parseArgs({
      args: attachDashValues(argv, options),
      options: forParser(options),
      strict: true,
      allowPositionals: true,
      // Only string options are `multiple`, so every list holds strings.
    }) as { values: OptionValues; positionals: string[] };
  } catch (error) {
    throw usage(parseError(error, command));
  }
  if (parsed.values["help"] === true) return { kind: "help", command };
  const words = parsed.positionals.slice(1);
  const allowed = command.words ?? 0;
  if (words.length > allowed)
    throw usage(
      `${command.name} takes no argument ${JSON.stringify(words[allowed])} (see \`cloud-sync ${command.name} --help\`).`,
    );
  return { kind: "run", command, values: parsed.values, words };
}

/**
 * Node's parseArgs refuses `--new-key -Abc…` as ambiguous, yet one Fernet key in 64 starts with "-"
 * (URL-safe base64), as may a file name. So an option that takes a value takes the next word, as
 * getopt does, unless that word is itself one of the options: then the value was left out, and the
 * strict pass says so ("needs a value").
 */
function attachDashValues(argv: readonly string[], options: Record<string, OptionSpec>): string[] {
  const takesValue = new Map<string, string>();
  const flags = new Set<string>();
  for (const [name, spec] of Object.entries(options)) {
    const spellings = spec.short === undefined ? [`--${name}`] : [`--${name}`, `-${spec.short}`];
    for (const flag of spellings) {
      flags.add(flag);
      if (spec.type === "string") takesValue.set(flag, name);
    }
  }
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const name = takesValue.get(arg);
    const next = argv[i + 1];
    if (name && next?.startsWith("-") && !flags.has(next.split("=")[0] as string)) {
      out.push(`--${name}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

function forParser(options: Record<string, OptionSpec>): ParseOptions {
  return Object.fromEntries(
    Object.entries(options).map(([name, spec]) => [
      name,
      {
        type: spec.type,
        ...(spec.short === undefined ? {} : { short: spec.short }),
        ...(spec.multiple === true ? { multiple: true } : {}),
      },
    ]),
  );
}

/** Node's messages are long and suggest `--` tricks; ours name the flag and the command. */
function parseError(error: unknown, command: Command): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  // Node quotes the flag as '--name', '-n, --name <value>' or '--name <value>'.
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? "";
  const flag = /--[\w-]+/.exec(quoted)?.[0] ?? quoted.split(/[ ,]/)[0];
  const help = `see \`cloud-sync ${command.name} --help\``;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION")
    return `unknown option ${flag ?? message} for ${command.name} (${help}).`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    // "ambiguous": the next word is another option, so the value was left out.
    const what = /argument missing|ambiguous/.test(message)
      ? "needs a value"
      : message.includes("does not take")
        ? "takes no value"
        : "is misused";
    return `option ${flag ?? "?"} of ${command.name} ${what} (${help}).`;
  }
  return `${message.replace(/\s+/g, " ")} (${help}).`;
}

function usage(message: string): SyncError {
  return new SyncError("invalid_config", message);
}
