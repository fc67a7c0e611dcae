/**
 * Capability URLs, `/legacy/<token>/upload|download|devices`: the Python module's CLOUD_SYNC_URL,
 * which sends no headers. Their token is one of their own (derived from the key with its own salt
 * and a generation number, docs/PROTOCOL.md "Credentials"), stored as a hash in the account record
 * and in the capability index, so the path alone names the account before any body is read. It
 * opens the Python-compatible routes only, never `/v1`, and is revoked or replaced on its own (admin routes).
 *
 * Upgrade in place: a capability URL issued by the previous release carries the routine token.
 * The routine token keeps opening `/legacy/<token>` until the owner first issues a capability URL
 * (`cloud-sync legacy-url`, which only ever prints a capability token), revokes it, or replaces the
 * credential; from then on it never does again. Such a request names its account by its
 * `username` (query, or the upload's body), as before.
 */
import type { MiddlewareHandler } from "hono";
import type { AppContext, AppEnv } from "../context.ts";
import { ApiError, unauthorized } from "../errors.ts";
import { perBinding } from "../isolate-memory.ts";
import { type Account, updateAccount } from "../storage/accounts.ts";
import { capabilityOwner, deleteCapability, putCapability } from "../storage/capabilities.ts";
import { forgetAccount, loadAccount, rememberAccount } from "./account-cache.ts";
import { constantTimeEqual, hashToken, isAuthTokenShape } from "./token-hash.ts";

const ownersFor = perBinding<R2Bucket, Map<string, { username: string | null; expires: number }>>(() => new Map());

/**
 * The username the index names for a token hash, from isolate memory for AUTH_CACHE_SECONDS. A
 * miss is remembered too, so a device still on a routine-token URL costs no index read per
 * request; a token is unknown to everyone until it is issued, so no miss can hide a new one.
 */
async function ownerOf(c: AppContext, hash: string): Promise<string | null> {
  const owners = ownersFor(c.env.BLOBS);
  const now = Date.now();
  const hit = owners.get(hash);
  if (hit !== undefined && hit.expires > now) return hit.username;
  const username = await capabilityOwner(c.env.BLOBS, hash);
  if (c.var.config.authCacheMs > 0) {
    if (owners.size >= 10_000) owners.clear();
    owners.set(hash, { username, expires: now + c.var.config.authCacheMs });
  }
  return username;
}

async function accountOf(c: AppContext, username: string, fresh = false): Promise<Account | null> {
  return (await loadAccount(c.env.BLOBS, username, { fresh, ttlMs: c.var.config.authCacheMs })).account;
}

/**
 * On `/legacy/:token/*`, before the route reads anything: a token the index knows, and whose
 * account record still holds its hash, sets `c.var.capability`. Anything else is left to
 * `verifyCapabilityUrl`, which answers 401 unless it is a routine token that still opens the URL.
 */
export const resolveCapability: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = c.req.param("token");
  if (token !== undefined && isAuthTokenShape(token)) {
    const hash = await hashToken(token);
    const username = await ownerOf(c, hash);
    let account = username === null ? null : await accountOf(c, username);
    // A cached record may predate an issue made through another isolate: read it once more.
    if (account !== null && !holds(account, hash)) account = await accountOf(c, account.username, true);
    if (account !== null && holds(account, hash)) c.set("capability", account);
  }
  await next();
};

function holds(account: Account, hash: string): boolean {
  return account.capabilityHash !== null && constantTimeEqual(account.capabilityHash, hash);
}

/** Whether the routine token still opens `/legacy/<token>` (see the top), and this is it. */
function routineUrlOpens(account: Account, hash: string): boolean {
  return account.capabilityGeneration === null && constantTimeEqual(account.tokenHash, hash);
}

/**
 * The account a `/legacy/<token>` request opens for `username`: the one its path names, or else the
 * account `username` if the token is its routine token and that still opens it (see the top).
 * Never claims.
 */
export async function verifyCapabilityUrl(c: AppContext, username: string, token: string): Promise<Account> {
  const named = c.var.capability;
  if (named !== undefined) {
    if (named.username !== username) throw unauthorized();
    return named;
  }
  const tokenHash = await hashToken(token);
  let account = await accountOf(c, username);
  if (account !== null && !routineUrlOpens(account, tokenHash)) account = await accountOf(c, username, true);
  if (account === null || !routineUrlOpens(account, tokenHash)) throw unauthorized();
  return account;
}

/** What the owner may know of the capability URL: which token number is current, if any. */
export function capabilityState(account: Account): {
  generation: number;
  active: boolean;
  routine_url: boolean;
} {
  return {
    generation: account.capabilityGeneration ?? 0,
    active: account.capabilityHash !== null,
    routine_url: account.capabilityGeneration === null,
  };
}

function changedMeanwhile(): ApiError {
  return new ApiError(412, "precondition_failed", "the account was changed meanwhile; read the capability and retry");
}

/**
 * Issues capability token number `generation`, which must be the next one: the previous token (and
 * a previous-release routine-token URL) stops opening anything at once. The index entry is written
 * first, so the record never names a token the index cannot find.
 */
export async function issueCapability(
  c: AppContext,
  account: Account,
  token: string,
  generation: number,
): Promise<void> {
  const next = (account.capabilityGeneration ?? 0) + 1;
  if (generation !== next)
    throw new ApiError(412, "precondition_failed", `the next capability token is number ${next}, not ${generation}`);
  const hash = await hashToken(token);
  ownersFor(c.env.BLOBS).delete(hash);
  await putCapability(c.env.BLOBS, hash, account.username);
  const updated = await updateAccount(c.env.BLOBS, account, { capabilityHash: hash, capabilityGeneration: generation });
  forgetAccount(c.env.BLOBS, account.username);
  if (updated === null) {
    await deleteCapability(c.env.BLOBS, hash);
    throw changedMeanwhile();
  }
  rememberAccount(c.env.BLOBS, updated, Date.now(), c.var.config.authCacheMs);
  await dropIndexEntry(c, account.capabilityHash);
}

/** Revokes the capability URL (and a previous-release routine-token URL): nothing at `/legacy/<token>` opens the account. */
export async function revokeCapability(c: AppContext, account: Account): Promise<void> {
  const updated = await updateAccount(c.env.BLOBS, account, {
    capabilityHash: null,
    capabilityGeneration: account.capabilityGeneration ?? 0,
  });
  forgetAccount(c.env.BLOBS, account.username);
  if (updated === null) throw changedMeanwhile();
  rememberAccount(c.env.BLOBS, updated, Date.now(), c.var.config.authCacheMs);
  await dropIndexEntry(c, account.capabilityHash);
}

/** Removes a replaced token's index entry. A failure is only logged: the record no longer names it, so it opens nothing. */
export async function dropIndexEntry(c: AppContext, hash: string | null): Promise<void> {
  if (hash === null) return;
  ownersFor(c.env.BLOBS).delete(hash);
  await deleteCapability(c.env.BLOBS, hash).catch((err: unknown) => console.error("capability cleanup", err));
}
