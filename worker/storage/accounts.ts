/**
 * Account records in R2 (`users/<username>/account.json`): the credential hashes, the creation
 * time, and the incarnation whose storage space holds the account's documents, devices and hub.
 */
import { guard } from "./unavailable.ts";

export interface Account {
  username: string;
  /** SHA-256 of the UTF-8 routine token, lowercase hex. */
  tokenHash: string;
  /**
   * SHA-256 of the admin token, which alone may change credentials, delete the account and remove
   * devices. Null for an account created by the previous release until it is set (auth/admin.ts).
   */
  adminHash: string | null;
  /** SHA-256 of the capability URL's token (`/legacy/<token>`); null when none is issued. */
  capabilityHash: string | null;
  /**
   * How many capability tokens were issued (the client derives the token from the key and this
   * number). Null while none was ever issued or revoked and the credential never replaced: until
   * then the routine token still opens `/legacy/<token>`, as the previous release's capability URLs
   * did (auth/capability.ts).
   */
  capabilityGeneration: number | null;
  createdAt: string;
  /**
   * Where the account's documents, devices and live hub live: `<username>/<incarnation id>` for an
   * account created by this release, so a name deleted and claimed again never sees its earlier
   * objects; the bare username for an account of the previous release (its keys are unchanged).
   */
  space: string;
  /** R2 ETag of the record, for compare-and-swap updates and a conditional undo of a claim. */
  etag: string;
}

interface AccountBody {
  token_hash: string;
  admin_hash?: string | null;
  capability_hash?: string | null;
  capability_generation?: number;
  created_at: string;
  incarnation?: string;
}

export function userPrefix(username: string): string {
  return `users/${username}/`;
}

function accountKey(username: string): string {
  return `${userPrefix(username)}account.json`;
}

function toAccount(username: string, body: AccountBody, etag: string): Account {
  return {
    username,
    tokenHash: body.token_hash,
    adminHash: body.admin_hash ?? null,
    capabilityHash: body.capability_hash ?? null,
    capabilityGeneration: body.capability_generation ?? null,
    createdAt: body.created_at,
    space: body.incarnation === undefined ? username : `${username}/${body.incarnation}`,
    etag,
  };
}

function toBody(account: Omit<Account, "etag">): AccountBody {
  const incarnation = account.space === account.username ? undefined : account.space.slice(account.username.length + 1);
  return {
    token_hash: account.tokenHash,
    admin_hash: account.adminHash,
    capability_hash: account.capabilityHash,
    ...(account.capabilityGeneration === null ? {} : { capability_generation: account.capabilityGeneration }),
    created_at: account.createdAt,
    ...(incarnation === undefined ? {} : { incarnation }),
  };
}

export async function readAccount(bucket: R2Bucket, username: string): Promise<Account | null> {
  return guard("account.read", async () => {
    const obj = await bucket.get(accountKey(username));
    if (obj === null) return null;
    return toAccount(username, (await obj.json()) as AccountBody, obj.etag);
  });
}

/** A fresh incarnation id: 16 random bytes as hex, never equal to `docs` or `account.json`. */
function newIncarnation(): string {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Creates the account only if none exists (R2 conditional create, the atomic claim), in a new
 * incarnation. Returns null when another claim got there first.
 */
export async function createAccount(
  bucket: R2Bucket,
  username: string,
  hashes: { tokenHash: string; adminHash: string | null },
  now: Date,
): Promise<Account | null> {
  const fresh: Omit<Account, "etag"> = {
    username,
    ...hashes,
    capabilityHash: null,
    capabilityGeneration: null,
    createdAt: now.toISOString(),
    space: `${username}/${newIncarnation()}`,
  };
  return putIfAbsent(bucket, fresh, "account.create");
}

async function putIfAbsent(bucket: R2Bucket, account: Omit<Account, "etag">, operation: string) {
  return guard(operation, async () => {
    const obj = await bucket.put(accountKey(account.username), JSON.stringify(toBody(account)), {
      onlyIf: new Headers({ "If-None-Match": "*" }),
      httpMetadata: { contentType: "application/json" },
    });
    return obj === null ? null : { ...account, etag: obj.etag };
  });
}

export type AccountChanges = Partial<
  Pick<Account, "tokenHash" | "adminHash" | "capabilityHash" | "capabilityGeneration">
>;

/** Changes the record only if it is still the one that was verified (R2 `If-Match`). Null when it changed meanwhile. */
export async function updateAccount(
  bucket: R2Bucket,
  account: Account,
  changes: AccountChanges,
): Promise<Account | null> {
  const next = { ...account, ...changes };
  return guard("account.update", async () => {
    const obj = await bucket.put(accountKey(account.username), JSON.stringify(toBody(next)), {
      onlyIf: { etagMatches: account.etag },
      httpMetadata: { contentType: "application/json" },
    });
    return obj === null ? null : { ...next, etag: obj.etag };
  });
}

export async function deleteAccountRecord(bucket: R2Bucket, username: string): Promise<void> {
  await guard("account.delete", () => bucket.delete(accountKey(username)));
}

/**
 * Undoes a claim: deletes the record `created` only while it is still that record (same ETag) and
 * its space holds no document. R2 has no conditional delete, so the check runs again after the
 * delete: a document written in between puts the record back as it was (conditional create),
 * unless another claim took the name in that instant, whose new incarnation cannot see it.
 * Returns whether the record is gone.
 */
export async function deleteUnusedAccount(
  bucket: R2Bucket,
  created: Account,
  hasDocuments: (space: string) => Promise<boolean>,
): Promise<boolean> {
  const current = await readAccount(bucket, created.username);
  if (current === null || current.etag !== created.etag) return current === null;
  if (await hasDocuments(created.space)) return false;
  await deleteAccountRecord(bucket, created.username);
  if (!(await hasDocuments(created.space))) return true;
  const { etag: _, ...restored } = created;
  await putIfAbsent(bucket, restored, "account.restore");
  return false;
}
