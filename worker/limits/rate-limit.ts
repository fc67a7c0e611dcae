/**
 * Per-user and per-address limits with the Workers Rate Limiting bindings (USER_LIMITER,
 * ADDRESS_LIMITER in wrangler.toml). Their limits and periods live there; RATE_LIMITS=off skips them.
 */
import type { Env, Config } from "../config.ts";
import { ApiError } from "../errors.ts";

/** The longer of the two binding periods in wrangler.toml: after it every counter has restarted. */
export const RATE_LIMIT_RETRY_AFTER_SECONDS = 60;

function rateLimited(): ApiError {
  return new ApiError(429, "rate_limited", "too many requests; retry later", {
    "Retry-After": String(RATE_LIMIT_RETRY_AFTER_SECONDS),
  });
}

/** Counts one request against the user's and the caller's address's limits; throws 429 past either. */
export async function enforceRateLimits(env: Env, config: Config, username: string, address: string): Promise<void> {
  if (!config.rateLimits) return;
  const [user, addr] = await Promise.all([
    env.USER_LIMITER?.limit({ key: `user:${username}` }),
    env.ADDRESS_LIMITER?.limit({ key: `addr:${address}` }),
  ]);
  if (user?.success === false || addr?.success === false) throw rateLimited();
}
