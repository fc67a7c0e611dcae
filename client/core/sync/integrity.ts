/**
 * Rollback, fork and tamper detection. The server is trusted with ciphertext, not with history:
 * each write carries, inside its ciphertext, the hash of the token it was based on and where it
 * belongs (binding.ts), and the device remembers the newest version (and recent hashes) it has seen
 * of each document. A server that serves an older version, a token where it does not belong, or a
 * version that does not chain to the one this device saw before it, is reported.
 */
import { hexEncode } from "../protocol/encoding.ts";
import { SyncError } from "../errors.ts";
import type { Envelope } from "../wire/envelope.ts";
import { checkBinding, type Place, type TokenKind } from "./binding.ts";

/** What a device remembers of one document's history. */
export interface IntegrityRecord {
  /** The newest version seen. */
  newest: number;
  /** Recently seen `[version, sha256 hex of the raw token]`, ascending by version. */
  seen: Array<[number, string]>;
}

/** What the server showed: a version, its token's hash, and (from inside the token) what it was based on. */
export interface ServedVersion {
  version: number;
  hash: string;
  /** `sync.base` of the envelope; undefined for a writer that does not chain (a Python device). */
  base: string | null | undefined;
}

/** How many version hashes are remembered per document; older ones only matter to a replay we would catch by number. */
export const SEEN_LIMIT = 64;

/** SHA-256 (hex) of a raw token: what `sync.base` refers to. */
export async function tokenHash(raw: Uint8Array): Promise<string> {
  return hexEncode(new Uint8Array(await crypto.subtle.digest("SHA-256", raw as Uint8Array<ArrayBuffer>)));
}

/**
 * Throws SyncError `rollback_detected` when the server names a version older than the newest this
 * device has seen (from a listing, a 412's ETag or a 304 needs no body).
 */
export function checkVersionNumber(record: IntegrityRecord | undefined, where: string, version: number): void {
  if (record !== undefined && version < record.newest) {
    throw new SyncError(
      "rollback_detected",
      `The server shows version ${version} of ${where}, but this device has already seen version ${record.newest}: ` +
        "it is serving old data (a restored backup, or tampering). Nothing was merged.",
    );
  }
}

/**
 * Checks a served version against what this device saw before: an older version than the newest
 * seen is `rollback_detected`, a version seen before with other content is `fork_detected`. Whether
 * it chains to its predecessor is `verifyServed`'s question, which calls this first.
 */
export function checkServed(record: IntegrityRecord | undefined, where: string, served: ServedVersion): void {
  if (record === undefined) return;
  checkVersionNumber(record, where, served.version);
  checkSameAsSeen(record, where, served.version, served.hash);
}

/** Throws `fork_detected` when this device saw `version` with another hash than `hash` (and kept it). */
export function checkSameAsSeen(record: IntegrityRecord, where: string, version: number, hash: string): void {
  const sameVersion = hashAt(record, version);
  if (sameVersion !== undefined && sameVersion !== hash) {
    throw new SyncError(
      "fork_detected",
      `Version ${version} of ${where} differs from the version ${version} this device saw before: ` +
        "the server is showing devices diverging histories. Nothing was merged.",
    );
  }
}

/** The error for a version that was not written on top of the version before it. */
export function chainForkError(where: string, version: number): SyncError {
  return new SyncError(
    "fork_detected",
    `Version ${version} of ${where} was not written on top of version ${version - 1} as this device knows it: ` +
      "the server is showing devices diverging histories. Nothing was merged.",
  );
}

/** The record after seeing `version` with `hash` (served to us, or written by us). */
export function recordSeen(record: IntegrityRecord | undefined, version: number, hash: string): IntegrityRecord {
  const seen = (record?.seen ?? []).filter(([v]) => v !== version);
  seen.push([version, hash]);
  seen.sort((a, b) => a[0] - b[0]);
  return { newest: Math.max(record?.newest ?? 0, version), seen: seen.slice(-SEEN_LIMIT) };
}

function hashAt(record: IntegrityRecord, version: number): string | undefined {
  return record.seen.find(([v]) => v === version)?.[1];
}

/**
 * Checks an old version read from history: it may be older than the newest (that is what history
 * is), but if this device saw that version before, it must be the same token (else `fork_detected`).
 */
export function checkHistoric(record: IntegrityRecord | undefined, where: string, version: number, hash: string): void {
  const known = record === undefined ? undefined : hashAt(record, version);
  if (known !== undefined && known !== hash) {
    throw new SyncError(
      "fork_detected",
      `Version ${version} of ${where} in the history differs from the version ${version} this device saw before: ` +
        "the server is showing devices diverging histories.",
    );
  }
}

/** What the fork check may read of one document's history on the server. */
export interface HistoryReader {
  /** A version's raw token, or null when the server no longer has it (pruned, deleted, never written). */
  readVersion(version: number): Promise<Uint8Array | null>;
  /** Decrypts a token read from the history (the walk checks its binding against the version it was read as). */
  open(bytes: Uint8Array): Promise<Envelope>;
}

/** A link of the chain being walked: a version, what its token is based on, and what it vouches for. */
interface Link {
  version: number;
  base: string | null | undefined;
  kind: TokenKind;
}

/**
 * `chains`: the served version was checked back to what this device saw (or nothing was there to
 * check: a first read, or the version it already holds). `unverifiable`: versions in between can no
 * longer be read (pruned past retention, or removed by a delete), and the token vouches for its own
 * place (bound, or a Python upload on `default`); the caller accepts it and says so in status.
 */
export type ChainCheck = "chains" | "unverifiable";

/**
 * The whole answer for a served current version, before anything merges it: throws
 * `rollback_detected` (older than seen), `fork_detected` (differs from, or does not chain to, what
 * this device saw), `tamper_detected` (its binding names another place, binding.ts) or
 * `unverifiable_history` (an unbound token after versions that can no longer be checked).
 *
 * A token without a binding (written by the previous release) is accepted only as a first read of
 * the document on this device, as the version it already saw, or as a version that chains, link by
 * link, to the one it saw; the next write binds (session.ts).
 */
export async function verifyServed(
  record: IntegrityRecord | undefined,
  place: Place,
  where: string,
  served: { hash: string; envelope: Envelope },
  history: HistoryReader,
): Promise<ChainCheck> {
  checkServed(record, where, { version: place.version, hash: served.hash, base: served.envelope.sync?.base });
  const kind = checkBinding(served.envelope, place, where);
  // A first read trusts what it is shown (binding aside): there is nothing yet to check it against.
  if (record === undefined || place.version === record.newest) return "chains";
  const chain = await walkBack(record, where, { version: place.version, base: served.envelope.sync?.base, kind }, (v) =>
    readLink(history, place, where, v),
  );
  if (chain === "unverifiable" && kind === "unbound") {
    throw new SyncError(
      "unverifiable_history",
      `Version ${place.version} of ${where} carries no binding (written by an earlier release), and versions ` +
        `${record.newest + 1} to ${place.version - 1} before it can no longer be read (pruned, or deleted) to check ` +
        "that it follows the version this device saw. Nothing was merged; write from an up-to-date device, or forget " +
        "the document on this device to start over.",
    );
  }
  return chain;
}

/** Version `v` from the history, opened and checked against its place; null when the server no longer has it. */
async function readLink(
  history: HistoryReader,
  place: Place,
  where: string,
  v: number,
): Promise<{ hash: string; link: Link } | null> {
  const bytes = await history.readVersion(v);
  if (bytes === null) return null;
  const envelope = await history.open(bytes);
  const kind = checkBinding(envelope, { ...place, version: v }, where);
  return { hash: await tokenHash(bytes), link: { version: v, base: envelope.sync?.base, kind } };
}

/**
 * Walks from the served version down to the newest this device saw, checking that each was written
 * on top of the one before it: a server that shows this device another history than the one it saw
 * is caught even when other devices wrote several versions in between. A Python upload carries no
 * base, so its own link cannot be checked, only the ones below it.
 */
/**
 * The most versions one check reads back: the longest history a server keeps (HISTORY_RETENTION is
 * at most 1000). A server naming a version further ahead cannot make a device fetch more than this;
 * past it the gap is unverifiable, as a pruned one is.
 */
export const MAX_CHAIN_WALK = 1000;

async function walkBack(
  record: IntegrityRecord,
  where: string,
  served: Link,
  read: (v: number) => Promise<{ hash: string; link: Link } | null>,
): Promise<ChainCheck> {
  let later = served;
  for (let v = served.version - 1; v >= record.newest; v--) {
    if (served.version - v > MAX_CHAIN_WALK) return "unverifiable";
    if (later.base === null) {
      // A first write: its writer found no document. Right after a version this device saw live,
      // that is another history; further up, a delete came in between. A bound token proves it was
      // written as this very version (a fresh start); an unbound one could be any old first write.
      if (v === record.newest) throw chainForkError(where, later.version);
      return later.kind === "bound" ? "chains" : "unverifiable";
    }
    const known = v === record.newest ? hashAt(record, v) : undefined;
    const found = known === undefined ? await read(v) : null;
    const hash = known ?? found?.hash;
    // Pruned past retention, or removed by a delete: the link cannot be checked.
    if (hash === undefined) return "unverifiable";
    if (later.base !== undefined && later.base !== hash) throw chainForkError(where, later.version);
    if (found === null) return "chains";
    later = found.link;
  }
  return "chains";
}
