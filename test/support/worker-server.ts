/**
 * Starts the real Worker in workerd on a loopback port, configured from wrangler.toml exactly as
 * `npm start` is (wrangler's programmatic dev server, which drives miniflare), with fresh R2, KV
 * and Durable Object storage per server, for tests that need a whole server over HTTP.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { unstable_startWorker } from "wrangler";

const root = resolve(import.meta.dirname, "../..");

export interface WorkerServer {
  /** Origin such as http://127.0.0.1:34567, without a trailing slash. */
  url: string;
  /** Where this server keeps its R2/KV/DO state (a fresh temporary folder unless given). */
  persistTo: string;
  stop(): Promise<void>;
}

export interface WorkerServerOptions {
  /** Extra `vars`, e.g. CLAIM_SECRET or lower limits for a test. */
  vars?: Record<string, string>;
  port?: number;
  /** Reuse state from an earlier server (to test restarts). */
  persistTo?: string;
  /** Another Worker's wrangler config (the bench's baseline Workers); the product's wrangler.toml by default. */
  config?: string;
  /** Bindings that replace wrangler.toml's, e.g. a strict rate limiter: `{ USER_LIMITER: { type: "ratelimit", ... } }`. */
  bindings?: Record<string, Record<string, unknown>>;
  /**
   * Keep wrangler.toml's per-address claim limit (CLAIM_LIMITER, 5 a minute). Off by default: a
   * test or bench run claims many names from 127.0.0.1, so the server gets a limit none reaches.
   */
  productionClaimLimit?: boolean;
  /**
   * "none" for suites whose point is broken connections (the fault proxy): wrangler logs each one
   * as an error although the Worker is fine. Default "error".
   */
  logLevel?: "error" | "none";
}

const GENEROUS_CLAIM_LIMITER = {
  type: "ratelimit",
  name: "9003",
  namespace_id: "9003",
  simple: { limit: 1_000_000, period: 60 },
};

export async function startWorkerServer(options: WorkerServerOptions = {}): Promise<WorkerServer> {
  // wrangler's own logger (asset parsing, proxy errors) reads WRANGLER_LOG, not dev.logLevel; it is
  // process-wide, and each test file runs in a process of its own.
  const logLevel = options.logLevel ?? "error";
  if (process.env["WRANGLER_LOG"] === undefined || options.logLevel !== undefined)
    process.env["WRANGLER_LOG"] = logLevel;
  const persistTo = options.persistTo ?? mkdtempSync(join(tmpdir(), "cloud-sync-state-"));
  const bindings = {
    ...Object.fromEntries(
      Object.entries(options.vars ?? {}).map(([k, v]) => [k, { type: "plain_text" as const, value: v }]),
    ),
    ...(options.productionClaimLimit === true ? {} : { CLAIM_LIMITER: GENEROUS_CLAIM_LIMITER }),
    ...options.bindings,
  };
  const worker = await unstable_startWorker({
    config: options.config ?? join(root, "wrangler.toml"),
    bindings,
    dev: {
      server: { hostname: "127.0.0.1", port: options.port ?? 0 },
      inspector: false,
      persist: persistTo,
      watch: false,
      logLevel,
    },
  } as Parameters<typeof unstable_startWorker>[0]);
  const url = (await worker.url).origin;
  return { url, persistTo, stop: () => worker.dispose() };
}
