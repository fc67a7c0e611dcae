// worker/limits/: abuse limits through the Workers Rate Limiting bindings.
/**
 * Per-user and per-address limits with the Workers Rate Limiting bindings (USER_LIMITER,
 * ADDRESS_LIMITER in wrangler.toml, where their limits and periods live).
 *
 * RATE_LIMITS picks what is counted:
 * - "writes" (default): every write counts against its username, and every failed authentication
 *   against the caller's address. Reads by an authenticated owner are not counted: locally each
 *   limiter call is a Durable Object round trip with a SQLite write, which would cost reads more
 *   than their own R2 read.
 * - "all": every authenticated request counts against both.
 * - "off": nothing is counted.
 * An address that the limiter refused is refused by this isolate, before any token check, until
 * Retry-After has passed, so guessing stays bounded even when a guess would be right.
 */
import type { Config, Env } from "../config.ts";
import { ApiError } from "../errors.ts";
import { perBinding } from "../isolate-memory.ts";

/** The longer of the two binding periods in wrangler.toml: after it every counter has restarted. */
export const RATE_LIMIT_RETRY_AFTER_SECONDS = 60;

export type Access = "read" | "write";

function rateLimited(): ApiError {
  return new ApiError(429, "rate_limited", "too many requests; retry later", {
    "Retry-After": String(RATE_LIMIT_RETRY_AFTER_SECONDS),
  });
}

// Addresses refused by the limiter, and until when (ms).
const blockedFor = perBinding<RateLimit, Map<string, number>>(() => new Map());

async function allowed(limiter: RateLimit | undefined, key: string): Promise<boolean> {
  return limiter === undefined || (await limiter.limit({ key })).success;
}

/** Throws 429 when this address was refused recently (checked before any credential work). */
export function refuseBlockedAddress(env: Env, config: Config, address: string): void {
  if (config.rateLimits === "off" || env.ADDRESS_LIMITER === undefined) return;
  const map = blockedFor(env.ADDRESS_LIMITER);
  const until = map.get(address);
  if (until === undefined) return;
  if (until > Date.now()) throw rateLimited();
  map.delete(address);
}

async function countAddress(env: Env, address: string): Promise<void> {
  if (await allowed(env.ADDRESS_LIMITER, `addr:${address}`)) return;
  const map = blockedFor(env.ADDRESS_LIMITER!);
  if (map.size > 10_000) map.clear();
  map.set(address, Date.now() + RATE_LIMIT_RETRY_AFTER_SECONDS * 1000);
  throw rateLimited();
}

/** Counts an authenticated request as RATE_LIMITS says; throws 429 past a limit. */
export async function countRequest(
  env: Env,
  config: Config,
  username: string,
  address: string,
  access: Access,
): Promise<void> {
  if (config.rateLimits === "off" || (access === "read" && config.rateLimits === "writes")) return;
  const [user] = await Promise.all([
    allowed(env.USER_LIMITER, `user:${username}`),
    config.rateLimits === "all" ? countAddress(env, address) : undefined,
  ]);
  if (!user) throw rateLimited();
}

/**
 * Counts the creation of an account against the caller's address (CLAIM_LIMITER, its limit and
 * period in wrangler.toml); throws 429 past it, before anything is stored. Without it one address
 * could create accounts without end (CLAIM_SECRET, when set, is a second gate, not a rate).
 */
export async function countClaim(env: Env, config: Config, address: string): Promise<void> {
  if (config.claimLimit === "off") return;
  if (!(await allowed(env.CLAIM_LIMITER, `claim:${address}`))) throw rateLimited();
}

/** Counts a failed authentication against the address; throws 429 instead of 401 past the limit. */
export async function countFailure(env: Env, config: Config, address: string): Promise<void> {
  if (config.rateLimits !== "off") await countAddress(env, address);
}
