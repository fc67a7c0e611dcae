/**
 * What this isolate knows of documents' current versions: the version it last created of each.
 *
 * Version numbers never go back (a delete is a tombstone at the next number, documents.ts), so a
 * version this isolate created stays the current one exactly until version n+1 exists. A writer
 * that names it (If-Match, or no condition) can therefore try to create n+1 straight away, and
 * R2's create-only put tells it whether anything came in between: the listing that would otherwise
 * find the current version is saved, on a device's every write after its first.
 *
 * Hints are keyed by the account record's ETag as well (the hash of its token hash and creation
 * time): a deleted account takes its documents with it, tombstones and all, so a name claimed
 * again starts over from version 1, and no hint of the old account may apply to it. A replaced
 * credential changes the ETag too, which only costs each document one listing.
 */
import { perBinding } from "../isolate-memory.ts";

const MAX_HINTS = 10_000;

const hintsFor = perBinding<R2Bucket, Map<string, number>>(() => new Map());

function hintKey(account: string, username: string, doc: string): string {
  // Names on the wire never contain a newline (schemas/names.ts), so the key is unambiguous.
  return `${account}\n${username}\n${doc}`;
}

/** The version this isolate last created of the document under this incarnation of the account, if any. */
export function hintedVersion(bucket: R2Bucket, account: string, username: string, doc: string): number | undefined {
  return hintsFor(bucket).get(hintKey(account, username, doc));
}

export function rememberVersion(
  bucket: R2Bucket,
  account: string,
  username: string,
  doc: string,
  version: number,
): void {
  const hints = hintsFor(bucket);
  if (hints.size >= MAX_HINTS) hints.clear();
  hints.set(hintKey(account, username, doc), version);
}

/** Drops the hint; with `only`, only if it still names that version (a concurrent write may have set a newer one). */
export function forgetVersion(bucket: R2Bucket, account: string, username: string, doc: string, only?: number): void {
  const hints = hintsFor(bucket);
  const key = hintKey(account, username, doc);
  if (only === undefined || hints.get(key) === only) hints.delete(key);
}
