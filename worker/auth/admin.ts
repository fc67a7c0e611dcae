/**
 * The admin credential: a second token derived from the key with its own label (docs/PROTOCOL.md,
 * "Credentials"), which alone may replace credentials, delete the account, remove devices and
 * manage the capability URL. It never travels on routine requests: a claim carries only its hash
 * (`X-Admin-Hash`), and an admin route the token itself.
 *
 * Accounts of the previous release have no admin hash, nor does one claimed by a client that sent
 * none (the Python setup, a script). The server cannot tell who knows the key, so
 * the first routine-authenticated request that offers `X-Admin-Hash` sets it, once: whoever holds
 * the routine token first after the upgrade (the owner's client sends the hash on every request)
 * becomes the admin. Until then admin routes answer 401 for such an account.
 */
import type { AppContext } from "../context.ts";
import { type Account, updateAccount } from "../storage/accounts.ts";
import { rememberAccount } from "./account-cache.ts";

const HASH_SHAPE = /^[0-9a-f]{64}$/;

/** The admin token's hash a request offers (`X-Admin-Hash`, lowercase hex SHA-256), or null. */
export function offeredAdminHash(c: AppContext): string | null {
  const offered = c.req.header("X-Admin-Hash");
  return offered !== undefined && HASH_SHAPE.test(offered) ? offered : null;
}

/** Sets the admin hash of an account that has none from the request's `X-Admin-Hash`; the account as it now is. */
export async function adoptAdminHash(c: AppContext, account: Account): Promise<Account> {
  if (account.adminHash !== null) return account;
  const offered = offeredAdminHash(c);
  if (offered === null) return account;
  // Conditional on the record verified: a concurrent change (another request adopting) wins.
  const updated = await updateAccount(c.env.BLOBS, account, { adminHash: offered });
  if (updated === null) return account;
  rememberAccount(c.env.BLOBS, updated, Date.now(), c.var.config.authCacheMs);
  return updated;
}
