// client/cli/: the `cloud-sync` CLI: configuration from the environment and .env, commands, output, exit codes.
/** The `cloud-sync` executable (dist/cli.mjs): runs the command and exits with its code. The only file that exits. */
import { createInterface } from "node:readline/promises";
import { runCli } from "./run.ts";

/** A yes/no question on the terminal; only offered when stdin is one, so scripts never hang on it. */
async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

const { code, out } = await runCli({
  argv: process.argv.slice(2),
  env: process.env,
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  ...(process.stdin.isTTY ? { confirm } : {}),
});
// Exit only after stdout and stderr have been handed over: a pipe may still hold the result.
await out.flush();
process.exit(code);
