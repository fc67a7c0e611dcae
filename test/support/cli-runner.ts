/**
 * Runs the built `cloud-sync` CLI as a user would: scripts/build.mjs bundles it (into a folder under
 * node_modules/.cache, so its one external import, undici, resolves as in the repo), and each run
 * is a child process on the system Node (20 on this machine, the oldest the CLI supports) with a
 * clean environment, so nothing of the developer's own configuration leaks in.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Default 60 s: a run that hangs fails its test instead of the whole suite. */
  timeoutMs?: number;
}

/** Builds dist/cli.mjs into a private folder; `dispose` removes it. */
export function buildCli(): { path: string; dispose(): void } {
  // A fresh clone has no node_modules/.cache yet: make it before the private folder inside it.
  const cache = join(root, "node_modules", ".cache");
  mkdirSync(cache, { recursive: true });
  const outdir = mkdtempSync(join(cache, "cli-test-"));
  execFileSync(process.execPath, [join(root, "scripts/build.mjs"), "--outdir", outdir, "--no-types"], {
    stdio: "pipe",
  });
  return { path: join(outdir, "cli.mjs"), dispose: () => rmSync(outdir, { recursive: true, force: true }) };
}

/** The first `node` on PATH outside this repository (whose node_modules brings Node 22), else this one. */
export function systemNode(): string {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir === "" || resolve(dir).startsWith(root)) continue;
    const candidate = join(dir, "node");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return process.execPath;
}

/** A fresh working folder with its own HOME, so the default data folder is private to the test. */
export function freshWorkDir(): string {
  return mkdtempSync(join(tmpdir(), "cloud-sync-cli-"));
}

/** A running `cloud-sync` whose output is kept as it comes. */
export interface CliProcess {
  /** All it has written to stdout so far. */
  readonly stdout: string;
  /** All it has written to stderr so far. */
  readonly stderr: string;
  /** Its exit code, once it has ended. */
  readonly exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

export class Cli {
  readonly #script: string;
  readonly #node = systemNode();

  constructor(script: string) {
    this.#script = script;
  }

  /** Starts `cloud-sync ...args`; the caller reads its streams and ends it. */
  spawn(args: readonly string[], options: CliOptions = {}): ChildProcess {
    const cwd = options.cwd ?? freshWorkDir();
    return spawn(this.#node, [this.#script, ...args], {
      cwd,
      // Only what a shell session would have; no proxy, no FERNET_KEY of the machine's own.
      env: { PATH: process.env["PATH"] ?? "", HOME: cwd, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
  }

  /** Starts `cloud-sync ...args` (a `watch`, say) and keeps its output; the caller ends it with `kill`. */
  start(args: readonly string[], options: CliOptions = {}): CliProcess {
    const child = this.spawn(args, options);
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolvePromise) => child.on("close", resolvePromise));
    return {
      get stdout() {
        return stdout;
      },
      get stderr() {
        return stderr;
      },
      exited,
      kill: (signal) => child.kill(signal),
    };
  }

  /** Runs `cloud-sync ...args` to the end. */
  run(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
    const child = this.spawn(args, options);
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    return new Promise((resolvePromise, reject) => {
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolvePromise({ code, stdout, stderr });
      });
    });
  }
}

/** Removes a folder made by freshWorkDir (tests call it in afterAll). */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
