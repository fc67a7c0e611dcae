/** Account records in R2 (`users/<username>/account.json`): the token hash and the creation time. */
import { guard } from "./unavailable.ts";

export interface Account {
  username: string;
  /** SHA-256 of the UTF-8 token, lowercase hex. */
  tokenHash: string;
  createdAt: string;
  /** R2 ETag of the record, for compare-and-swap when the credential is replaced. */
  etag: string;
}

interface AccountBody {
  token_hash: string;
  created_at: string;
}

export function userPrefix(username: string): string {
  return `users/${username}/`;
}

function accountKey(username: string): string {
  return `${userPrefix(username)}account.json`;
}

export async function readAccount(bucket: R2Bucket, username: string): Promise<Account | null> {
  return guard("account.read", async () => {
    const obj = await bucket.get(accountKey(username));
    if (obj === null) return null;
    const body = (await obj.json()) as AccountBody;
    return { username, tokenHash: body.token_hash, createdAt: body.created_at, etag: obj.etag };
  });
}

/**
 * Creates the account only if none exists (R2 conditional create, the atomic claim). Returns null
 * when another claim got there first.
 */
export async function createAccount(
  bucket: R2Bucket,
  username: string,
  tokenHash: string,
  now: Date,
): Promise<Account | null> {
  const body: AccountBody = { token_hash: tokenHash, created_at: now.toISOString() };
  return guard("account.create", async () => {
    const obj = await bucket.put(accountKey(username), JSON.stringify(body), {
      onlyIf: new Headers({ "If-None-Match": "*" }),
      httpMetadata: { contentType: "application/json" },
    });
    return obj === null ? null : { username, tokenHash, createdAt: body.created_at, etag: obj.etag };
  });
}

/** Replaces the token hash only if the record is still the one that was verified. Null when it changed meanwhile. */
export async function replaceAccountToken(
  bucket: R2Bucket,
  account: Account,
  tokenHash: string,
): Promise<Account | null> {
  const body: AccountBody = { token_hash: tokenHash, created_at: account.createdAt };
  return guard("account.replace", async () => {
    const obj = await bucket.put(accountKey(account.username), JSON.stringify(body), {
      onlyIf: { etagMatches: account.etag },
      httpMetadata: { contentType: "application/json" },
    });
    return obj === null ? null : { ...account, tokenHash, etag: obj.etag };
  });
}

export async function deleteAccountRecord(bucket: R2Bucket, username: string): Promise<void> {
  await guard("account.delete", () => bucket.delete(accountKey(username)));
}
