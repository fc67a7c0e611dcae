/**
 * `npm start`: the Worker in workerd (`wrangler dev`), state kept in .wrangler/state, with wrangler's
 * request log on and every capability token masked in it. wrangler logs each request's path, and a
 * capability URL's path is a credential (`/legacy/<token>/...`): a terminal, a CI log or a shared
 * screenshot must not carry it. PORT chooses the port (default 8787).
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";

const LEGACY_TOKEN = /\/legacy\/[^/\s?#"']+/g;

/** A log line with the token of every `/legacy/<token>` path replaced by `<token>`. */
export function maskTokens(line: string): string {
  return line.replace(LEGACY_TOKEN, "/legacy/<token>");
}

function main(): void {
  const port = process.env["PORT"] ?? "8787";
  // Offline machines: wrangler would otherwise try to fetch the `cf` object from Cloudflare.
  const env = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: process.env["CLOUDFLARE_CF_FETCH_ENABLED"] ?? "false" };
  const args = ["dev", "--ip", "127.0.0.1", "--port", port, "--persist-to", ".wrangler/state", "--log-level", "info"];
  const child = spawn("wrangler", args, { env, stdio: ["inherit", "pipe", "pipe"] });
  for (const [from, to] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ] as const) {
    createInterface({ input: from }).on("line", (line) => to.write(`${maskTokens(line)}\n`));
  }
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => process.exit(code ?? (signal === null ? 0 : 1)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) main();
