/** The `cloud-sync` executable (dist/cli.mjs): runs the command and exits with its code. The only file that exits. */
import { runCli } from "./run.ts";

const { code, out } = await runCli({
  argv: process.argv.slice(2),
  env: process.env,
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
});
// Exit only after stdout and stderr have been handed over: a pipe may still hold the result.
await out.flush();
process.exit(code);
