/**
 * One run of the CLI, without exiting (main.ts exits): parses the command line, reads the
 * configuration, runs the command and turns a failure into its exit code and one line on stderr
 * (with `--json`, also `{"error":{...}}` on stdout; with `--verbose`, the stack and causes).
 */
import { SyncError, type SyncManager } from "../core/index.ts";
import { parseCommandLine } from "./args.ts";
import type { CommandContext } from "./command.ts";
import { loadEnv, syncConfig, type EnvVars, type SyncConfig } from "./env.ts";
import { EXIT, exitCodeFor, type ExitCode } from "./exit-codes.ts";
import { commandHelp, mainHelp } from "./help.ts";
import { openManager } from "./open-manager.ts";
import { Output, type TextStream } from "./output.ts";

export interface CliIo {
  argv: readonly string[];
  /** The process environment; `.env` of `cwd` fills what it lacks. */
  env: EnvVars;
  cwd: string;
  stdout: TextStream;
  stderr: TextStream;
  /** Asks a yes/no question at the terminal (main.ts, only when stdin is one); absent: nobody to ask. */
  confirm?: (question: string) => Promise<boolean>;
}

export async function runCli(io: CliIo): Promise<{ code: ExitCode; out: Output }> {
  // Known before parsing, so a usage error is reported in the form asked for.
  let out = new Output(io, {
    json: io.argv.includes("--json"),
    verbose: io.argv.includes("--verbose") || io.argv.includes("-v"),
  });
  maskSecrets(out, io.env);
  try {
    const line = parseCommandLine(io.argv);
    if (line.kind === "help") {
      io.stdout.write(`${line.command === null ? mainHelp() : commandHelp(line.command)}\n`);
      return { code: EXIT.ok, out };
    }
    const fresh = new Output(io, { json: line.values["json"] === true, verbose: line.values["verbose"] === true });
    out = fresh;
    maskSecrets(fresh, io.env);
    const env = loadEnv(io.cwd, io.env);
    maskSecrets(fresh, env);
    let config: SyncConfig | undefined;
    let manager: Promise<SyncManager> | undefined;
    const ctx: CommandContext = {
      values: line.values,
      words: line.words,
      confirm: (question) => (io.confirm === undefined ? Promise.resolve(false) : io.confirm(question)),
      env,
      cwd: io.cwd,
      out,
      config: () => (config ??= syncConfig(env, io.cwd)),
      manager: (extras) => (manager ??= openManager(ctx.config(), env, fresh, extras)),
    };
    out.result(await line.command.run(ctx));
    return { code: EXIT.ok, out };
  } catch (error) {
    return { code: report(out, error), out };
  }
}

function maskSecrets(out: Output, env: EnvVars): void {
  for (const name of ["FERNET_KEY", "CLOUD_SYNC_CLAIM_SECRET"]) {
    for (const part of (env[name] ?? "").split(",")) out.addSecret(part.trim());
  }
}

function report(out: Output, error: unknown): ExitCode {
  const code = exitCodeFor(error);
  const sync = error instanceof SyncError ? error : null;
  const message =
    sync?.message ??
    `internal error: ${error instanceof Error ? error.message : String(error)}${out.verbose ? "" : " (run with --verbose for details)"}`;
  out.error(message);
  if (out.json)
    out.stdout.write(
      `${JSON.stringify({ error: { code: sync?.code ?? "internal_error", message: out.mask(message), exit_code: code } })}\n`,
    );
  if (out.verbose) {
    // Details only here: the stack, then each cause, masked like every line on stderr.
    for (
      let e: unknown = error, depth = 0;
      e !== undefined && depth < 5;
      e = (e as { cause?: unknown }).cause, depth++
    ) {
      const label = depth === 0 ? "" : "caused by: ";
      out.detail(label + (e instanceof Error ? (e.stack ?? e.message) : String(e)));
    }
  }
  return code;
}
