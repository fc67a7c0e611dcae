// worker/auth/: who a request acts for: token hashing, the verified-account cache, authorize() and the admin token.
/**
 * Authenticates a request as a username: a Bearer header (the routine token, or the admin token for
 * the routes that change credentials or remove things) or a `/legacy/<token>` capability URL,
 * against the hashes in the account record.
 */
import type { AppContext } from "../context.ts";
import { ApiError, unauthorized } from "../errors.ts";
import { countClaim, countFailure, countRequest, refuseBlockedAddress, type Access } from "../limits/rate-limit.ts";
import { createAccount, deleteUnusedAccount, type Account } from "../storage/accounts.ts";
import { hasDocuments } from "../storage/documents.ts";
import { forgetAccount, loadAccount as loadRecord, rememberAccount } from "./account-cache.ts";
import { adoptAdminHash, offeredAdminHash } from "./admin.ts";
import { verifyCapabilityUrl } from "./capability.ts";
import { constantTimeEqual, hashToken, isAuthTokenShape, secretsEqual } from "./token-hash.ts";

export interface Authorized {
  account: Account;
  /** True when this request created the account (claimed the username). */
  claimed: boolean;
}

export interface AuthorizeOptions {
  /** Whether a username with no account may be claimed for the presented token. */
  mayClaim?: boolean;
  /** What an existing account with another token means (401 by default, 409 for an explicit claim). */
  onMismatch?: () => ApiError;
  /** A credential the route found elsewhere (the live route's `bearer.<token>` subprotocol). */
  token?: string;
  /** Whether the request changes anything (counted by the rate limiter by default). */
  access?: Access;
  /** Which credential opens the route: the routine token (default) or the admin token (auth/admin.ts). */
  credential?: "routine" | "admin";
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

function loadAccount(c: AppContext, username: string, fresh: boolean) {
  return loadRecord(c.env.BLOBS, username, { fresh, ttlMs: c.var.config.authCacheMs });
}

/**
 * Whether the request carries the deployment's claim secret (true when none is set). Computed for
 * every claiming request, whether the name is free or taken, so the two cost the same.
 */
async function claimSecretOffered(c: AppContext): Promise<boolean> {
  const secret = c.var.config.claimSecret;
  if (secret === null) return true;
  const offered = c.req.header("X-Claim-Secret");
  const equal = await secretsEqual(offered ?? "", secret);
  return offered !== undefined && equal;
}

function claimSecretRequired(): ApiError {
  return new ApiError(403, "claim_secret_required", "claiming a new username needs the deployment's X-Claim-Secret");
}

/** Claims made by a request, so only that request's own record can be undone (releaseClaim). */
const claimsOf = new WeakMap<Request, Account>();

async function claim(c: AppContext, username: string, tokenHash: string): Promise<Account | null> {
  const created = await createAccount(c.env.BLOBS, username, { tokenHash, adminHash: offeredAdminHash(c) }, new Date());
  if (created !== null) {
    claimsOf.set(c.req.raw, created);
    rememberAccount(c.env.BLOBS, created, Date.now(), c.var.config.authCacheMs);
  }
  return created;
}

/**
 * Resolves the request's credential for `username`. With `mayClaim`, a username with no account
 * is claimed for this token (atomically: of two concurrent claims exactly one creates it).
 */
export async function authorize(c: AppContext, username: string, options: AuthorizeOptions = {}): Promise<Authorized> {
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

async function verify(c: AppContext, username: string, options: AuthorizeOptions): Promise<Authorized> {
  // A capability URL's token opens the legacy routes only, by rules of its own, and never claims.
  const fromPath = options.token === undefined ? c.req.param("token") : undefined;
  if (fromPath !== undefined) {
    if (!isAuthTokenShape(fromPath)) throw unauthorized();
    return { account: await verifyCapabilityUrl(c, username, fromPath), claimed: false };
  }
  const admin = options.credential === "admin";
  const mayClaim = options.mayClaim === true && !admin;
  const token = options.token ?? presentedToken(c);
  const [tokenHash, loaded, secretOffered] = await Promise.all([
    token !== null && isAuthTokenShape(token) ? hashToken(token) : null,
    loadAccount(c, username, false),
    mayClaim ? claimSecretOffered(c) : true,
  ]);
  if (tokenHash === null) throw unauthorized();
  const opens = (a: Account): boolean => {
    const stored = admin ? a.adminHash : a.tokenHash;
    return stored !== null && constantTimeEqual(stored, tokenHash);
  };

  let account = loaded.account;
  // A cached record may predate a credential change made through another isolate: re-read once.
  // A record just read from R2 is not read again, so a taken name costs the reads a free one does.
  if (account !== null && loaded.cached && !opens(account)) account = (await loadAccount(c, username, true)).account;
  if (account !== null && opens(account)) {
    return { account: admin ? account : await adoptAdminHash(c, account), claimed: false };
  }
  if (!mayClaim) throw unauthorized();
  // Without the deployment's secret a free name and a taken one get the same answer, so a claim
  // attempt does not tell a stranger whether the name exists.
  if (!secretOffered) throw claimSecretRequired();
  if (account === null) {
    await countClaim(c.env, c.var.config, clientAddress(c));
    const created = await claim(c, username, tokenHash);
    if (created !== null) return { account: created, claimed: true };
    account = (await loadAccount(c, username, true)).account;
    if (account !== null && opens(account)) return { account, claimed: false };
  }
  throw (options.onMismatch ?? unauthorized)();
}

/**
 * Undoes a claim made by this request when the request then fails, so a refused request leaves no
 * account behind. Only the record this request created goes, and only while no document was
 * written to it (a concurrent request of the same owner may have used the account meanwhile).
 */
export async function releaseClaim(c: AppContext, username: string): Promise<void> {
  const created = claimsOf.get(c.req.raw);
  if (created === undefined || created.username !== username) return;
  claimsOf.delete(c.req.raw);
  forgetAccount(c.env.BLOBS, username);
  await deleteUnusedAccount(c.env.BLOBS, created, (space) => hasDocuments(c.env.BLOBS, space)).catch((cause) =>
    console.error("claim_rollback", cause),
  );
}
