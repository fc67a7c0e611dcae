/**
 * Verified account records kept in isolate memory for a few seconds (AUTH_CACHE_SECONDS), so a
 * request usually needs no R2 read to authenticate. Revocation delay: a credential replaced or an
 * account deleted through another isolate is still accepted here for at most that long; through
 * this isolate the entry is dropped at once.
 */
import { perBinding } from "../isolate-memory.ts";
import { type Account, readAccount } from "../storage/accounts.ts";

interface Entry {
  account: Account;
  expires: number;
}

const cacheFor = perBinding<R2Bucket, Map<string, Entry>>(() => new Map());
const MAX_ENTRIES = 10_000;

export function cachedAccount(bucket: R2Bucket, username: string, now: number): Account | null {
  const entry = cacheFor(bucket).get(username);
  return entry !== undefined && entry.expires > now ? entry.account : null;
}

export function rememberAccount(bucket: R2Bucket, account: Account, now: number, ttlMs: number): void {
  if (ttlMs <= 0) return;
  const cache = cacheFor(bucket);
  if (cache.size >= MAX_ENTRIES) cache.clear();
  cache.set(account.username, { account, expires: now + ttlMs });
}

/**
 * The account record: from isolate memory while fresh enough (`cached` then says so), unless
 * `fresh` asks for R2, whose answer is remembered for `ttlMs`.
 */
export async function loadAccount(
  bucket: R2Bucket,
  username: string,
  options: { fresh: boolean; ttlMs: number },
): Promise<{ account: Account | null; cached: boolean }> {
  const now = Date.now();
  if (!options.fresh) {
    const hit = cachedAccount(bucket, username, now);
    if (hit !== null) return { account: hit, cached: true };
  }
  const account = await readAccount(bucket, username);
  if (account !== null) rememberAccount(bucket, account, now, options.ttlMs);
  return { account, cached: false };
}

export function forgetAccount(bucket: R2Bucket, username: string): void {
  cacheFor(bucket).delete(username);
}
