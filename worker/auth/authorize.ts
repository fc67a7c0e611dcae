/** Authenticates a request as a username: a Bearer header or a `/legacy/<token>` capability URL, against the stored hash. */
import type { AppContext } from "../context.ts";
import { ApiError, unauthorized } from "../errors.ts";
import { countFailure, countRequest, refuseBlockedAddress, type Access } from "../limits/rate-limit.ts";
import { createAccount, deleteAccountRecord, readAccount, type Account } from "../storage/accounts.ts";
import { cachedAccount, forgetAccount, rememberAccount } from "./account-cache.ts";
import { constantTimeEqual, hashToken, isAuthTokenShape, secretsEqual } from "./token-hash.ts";

export interface Authorized {
  account: Account;
  /** True when this request created the account (claimed the username). */
  claimed: boolean;
}

/** The token from the capability URL (route param `token`) or from `Authorization: Bearer`. */
export function presentedToken(c: AppContext): string | null {
  const fromPath = c.req.param("token");
  if (fromPath !== undefined) return fromPath;
  const header = c.req.header("Authorization");
  const match = header === undefined ? null : /^Bearer +(\S+) *$/i.exec(header);
  return match?.[1] ?? null;
}

function clientAddress(c: AppContext): string {
  return c.req.header("CF-Connecting-IP") ?? "unknown";
}

async function loadAccount(c: AppContext, username: string, fresh: boolean): Promise<Account | null> {
  const { authCacheMs } = c.var.config;
  const now = Date.now();
  if (!fresh) {
    const hit = cachedAccount(c.env.BLOBS, username, now);
    if (hit !== null) return hit;
  }
  const account = await readAccount(c.env.BLOBS, username);
  if (account !== null) rememberAccount(c.env.BLOBS, account, now, authCacheMs);
  return account;
}

async function claim(c: AppContext, username: string, tokenHash: string): Promise<Account | null> {
  const config = c.var.config;
  if (config.claimSecret !== null) {
    const offered = c.req.header("X-Claim-Secret");
    if (offered === undefined || !(await secretsEqual(offered, config.claimSecret))) {
      throw new ApiError(403, "claim_secret_required", "claiming a new username needs the deployment's X-Claim-Secret");
    }
  }
  const created = await createAccount(c.env.BLOBS, username, tokenHash, new Date());
  if (created !== null) rememberAccount(c.env.BLOBS, created, Date.now(), config.authCacheMs);
  return created;
}

/**
 * Resolves the request's credential for `username`. With `mayClaim`, a username with no account
 * is claimed for this token (atomically: of two concurrent claims exactly one creates it).
 * `onMismatch` decides what an existing account with another token means (401, or 409 for a claim).
 */
export async function authorize(
  c: AppContext,
  username: string,
  // `token`: a credential the route found elsewhere (the live route's `bearer.<token>` subprotocol).
  // `access`: whether the request changes anything (counted by the rate limiter by default).
  options: { mayClaim?: boolean; onMismatch?: () => ApiError; token?: string; access?: Access } = {},
): Promise<Authorized> {
  const config = c.var.config;
  const address = clientAddress(c);
  refuseBlockedAddress(c.env, config, address);
  try {
    const authorized = await verify(c, username, options);
    try {
      await countRequest(
        c.env,
        config,
        username,
        address,
        options.access ?? (options.mayClaim === true ? "write" : "read"),
      );
    } catch (err) {
      if (authorized.claimed) await releaseClaim(c, username);
      throw err;
    }
    return authorized;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403 || err.status === 409))
      await countFailure(c.env, config, address);
    throw err;
  }
}

async function verify(
  c: AppContext,
  username: string,
  options: { mayClaim?: boolean; onMismatch?: () => ApiError; token?: string },
): Promise<Authorized> {
  const token = options.token ?? presentedToken(c);
  const [tokenHash, cached] = await Promise.all([
    token !== null && isAuthTokenShape(token) ? hashToken(token) : null,
    loadAccount(c, username, false),
  ]);
  if (tokenHash === null) throw unauthorized();
  const mismatch = options.onMismatch ?? unauthorized;

  let account = cached;
  // A cached record may predate a credential change made through another isolate: re-read once.
  if (account !== null && !constantTimeEqual(account.tokenHash, tokenHash))
    account = await loadAccount(c, username, true);
  if (account === null && options.mayClaim === true) {
    const created = await claim(c, username, tokenHash);
    if (created !== null) return { account: created, claimed: true };
    account = await loadAccount(c, username, true);
  }
  if (account === null) throw unauthorized();
  if (!constantTimeEqual(account.tokenHash, tokenHash)) throw mismatch();
  return { account, claimed: false };
}

/** Undoes a claim made by this request when the request then fails, so a refused request leaves no account behind. */
export async function releaseClaim(c: AppContext, username: string): Promise<void> {
  forgetAccount(c.env.BLOBS, username);
  await deleteAccountRecord(c.env.BLOBS, username).catch((cause) => console.error("claim_rollback", cause));
}
