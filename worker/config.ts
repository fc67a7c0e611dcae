/** The Worker's bindings (`Env`) and its validated configuration (`parseConfig`), read once per environment object. */

/** Variables a deployment may set that wrangler.toml leaves out (docs/WORKER.md "Configuration"). */
interface OptionalVars {
  MAX_BODY_BYTES?: string;
  USER_QUOTA_BYTES?: string;
  HISTORY_RETENTION?: string;
  HISTORY_DAYS?: string;
  CLAIM_SECRET?: string;
  AUTH_CACHE_SECONDS?: string;
  RATE_LIMITS?: string;
  CLAIM_LIMIT?: string;
  MAX_DOCUMENTS?: string;
  MAX_DEVICES?: string;
}

/**
 * The Worker's bindings: `Cloudflare.Env` is generated from wrangler.toml by `wrangler types`
 * (worker/worker-configuration.d.ts; `npm test` checks it is current). Its vars are widened to
 * strings because a deployment may set any value, which parseConfig validates; a missing rate
 * limiter binding means no limit.
 */
export type Env = Omit<Cloudflare.Env, keyof OptionalVars | "USER_LIMITER" | "ADDRESS_LIMITER" | "CLAIM_LIMITER"> &
  OptionalVars & { USER_LIMITER?: RateLimit; ADDRESS_LIMITER?: RateLimit; CLAIM_LIMITER?: RateLimit };

export interface Config {
  readonly maxBodyBytes: number;
  readonly userQuotaBytes: number;
  /** How many versions of a document stay readable, the current one included. */
  readonly historyRetention: number;
  /**
   * How many days of a document's changes stay restorable once it is compacted: every entry inside
   * the window, and the newest base before it (docs/PROTOCOL.md "Retention").
   */
  readonly historyDays: number;
  /** When set, claiming a new username needs header X-Claim-Secret with this value. */
  readonly claimSecret: string | null;
  /** How long a verified account record may be reused from isolate memory. */
  readonly authCacheMs: number;
  /** What the rate limiters count (worker/limits/rate-limit.ts). */
  readonly rateLimits: "writes" | "all" | "off";
  /**
   * Whether new accounts per address are limited (CLAIM_LIMITER, worker/limits/rate-limit.ts): on
   * by default, whatever RATE_LIMITS says, in addition to CLAIM_SECRET.
   */
  readonly claimLimit: "on" | "off";
  /** How many live documents an account may hold; a write that would create one more is refused. */
  readonly maxDocuments: number;
  /** How many devices an account's registry may hold; past it new devices are not recorded. */
  readonly maxDevices: number;
}

const cache = new WeakMap<Env, Config>();

/** Validates `env` once per environment object; throws an Error naming the bad variable. */
export function parseConfig(env: Env): Config {
  let config = cache.get(env);
  if (config === undefined) {
    config = Object.freeze({
      maxBodyBytes: positiveInt(env, "MAX_BODY_BYTES", 64 * 1024 * 1024),
      userQuotaBytes: positiveInt(env, "USER_QUOTA_BYTES", 1024 * 1024 * 1024),
      historyRetention: positiveInt(env, "HISTORY_RETENTION", 50),
      historyDays: nonNegativeInt(env, "HISTORY_DAYS", 30),
      claimSecret: env.CLAIM_SECRET ? env.CLAIM_SECRET : null,
      authCacheMs: nonNegativeInt(env, "AUTH_CACHE_SECONDS", 5) * 1000,
      rateLimits: oneOf(env, "RATE_LIMITS", ["writes", "all", "off"] as const, "writes"),
      claimLimit: oneOf(env, "CLAIM_LIMIT", ["on", "off"] as const, "on"),
      maxDocuments: positiveInt(env, "MAX_DOCUMENTS", 1000),
      maxDevices: positiveInt(env, "MAX_DEVICES", 100),
    });
    cache.set(env, config);
  }
  return config;
}

function nonNegativeInt(env: Env, name: keyof Env, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (typeof raw !== "string" || !/^\d{1,15}$/.test(raw)) {
    throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

function positiveInt(env: Env, name: keyof Env, fallback: number): number {
  const value = nonNegativeInt(env, name, fallback);
  if (value === 0) throw new Error(`${name} must be a positive integer, got "0"`);
  return value;
}

function oneOf<T extends string>(env: Env, name: keyof Env, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (typeof raw === "string" && (allowed as readonly string[]).includes(raw)) return raw as T;
  throw new Error(`${name} must be one of ${allowed.join(", ")}; got ${JSON.stringify(raw)}`);
}
