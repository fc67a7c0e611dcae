/**
 * Rollback and fork detection. The server is trusted with ciphertext, not with history: each write
 * carries, inside its ciphertext, the hash of the token it was based on, and the device remembers
 * the newest version (and recent hashes) it has seen of each document. A server that serves an older
 * version, or a version that does not chain to the one this device saw before it, is reported.
 */
import { hexEncode } from "../protocol/encoding.ts";
import { SyncError } from "../errors.ts";

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
 * it chains to its predecessor is `breaksChain`'s question. Call both before the content is merged.
 */
export function checkServed(record: IntegrityRecord | undefined, where: string, served: ServedVersion): void {
  if (record === undefined) return;
  checkVersionNumber(record, where, served.version);
  const sameVersion = hashAt(record, served.version);
  if (sameVersion !== undefined && sameVersion !== served.hash) {
    throw new SyncError(
      "fork_detected",
      `Version ${served.version} of ${where} differs from the version ${served.version} this device saw before: ` +
        "the server is showing devices diverging histories. Nothing was merged.",
    );
  }
}

/**
 * How the served version relates to its predecessor as this device saw it: `chains` (written on top
 * of it, or not checkable: a Python writer, or a predecessor never seen), `copy` (a byte-for-byte
 * copy of an earlier version seen here: the server's restore route at work), or `break` (written on
 * top of something else: a fork, unless the history shows it is a copy after all).
 */
export function chainStatus(record: IntegrityRecord | undefined, served: ServedVersion): "chains" | "copy" | "break" {
  if (record === undefined || served.base === undefined) return "chains";
  const previous = hashAt(record, served.version - 1);
  if (previous === undefined || served.base === previous) return "chains";
  return record.seen.some(([v, hash]) => hash === served.hash && v < served.version) ? "copy" : "break";
}

/** The error for a version that breaks the chain and is not a restored copy of an earlier one. */
export function chainForkError(where: string, version: number): SyncError {
  return new SyncError(
    "fork_detected",
    `Version ${version} of ${where} was not written on top of version ${version - 1} as this device saw it: ` +
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
  listVersions(): Promise<ReadonlyArray<{ version: number; size: number }>>;
  /** A version's raw token, or null when the server no longer has it. */
  readVersion(version: number): Promise<Uint8Array | null>;
  /** `sync.base` inside a token (decrypting it); undefined for a writer that does not chain. */
  baseOf(bytes: Uint8Array): Promise<string | null | undefined>;
}

/**
 * The whole fork and rollback answer for a served current version: throws `rollback_detected` or
 * `fork_detected`, or says whether it chains onto what this device saw or is a restored copy.
 */
export async function verifyServed(
  record: IntegrityRecord | undefined,
  where: string,
  shown: ServedVersion,
  bytes: Uint8Array,
  history: HistoryReader,
): Promise<"chains" | "copy"> {
  checkServed(record, where, shown);
  let status = chainStatus(record, shown);
  if (status === "chains" && record !== undefined && shown.version > record.newest + 1) {
    // Versions this device never saw lie in between: its base proves nothing until they chain too.
    if (!(await chainsAcrossGap(history, record, shown.version, bytes, shown.base))) status = "break";
  }
  if (status === "break") {
    if (!(await isRestoredCopy(history, shown.version, bytes.length, shown.hash)))
      throw chainForkError(where, shown.version);
    status = "copy";
  }
  return status;
}

/**
 * True when every version from the newest this device saw up to `version` was written on top of
 * the one before it (or is a restored copy): a server that shows this device another history
 * than the one it saw is caught even when other devices wrote several versions in between.
 * Versions pruned from the history end the walk (nothing is left to check against).
 */
async function chainsAcrossGap(
  history: HistoryReader,
  record: IntegrityRecord,
  version: number,
  bytes: Uint8Array,
  base: string | null | undefined,
): Promise<boolean> {
  let later = { version, bytes, base };
  for (let v = version - 1; v >= record.newest; v--) {
    const seen = v === record.newest ? hashAt(record, v) : undefined;
    const old = seen === undefined ? await history.readVersion(v) : null;
    if (seen === undefined && old === null) return true;
    const hash = seen ?? (await tokenHash(old!));
    // A writer without `sync.base` (a Python device) cannot be checked; a restored copy points further back.
    const linked =
      later.base === undefined ||
      later.base === hash ||
      (await isRestoredCopy(history, later.version, later.bytes.length, await tokenHash(later.bytes)));
    if (!linked) return false;
    if (old === null) return true;
    later = { version: v, bytes: old, base: await history.baseOf(old) };
  }
  return true;
}

/**
 * True when `hash` is also the hash of an earlier version in the history: the server's restore
 * route (which the dashboard uses) copies an old token unchanged, so its base points further back.
 * Versions of another size are skipped unread.
 */
async function isRestoredCopy(history: HistoryReader, version: number, size: number, hash: string): Promise<boolean> {
  for (const v of await history.listVersions()) {
    if (v.version >= version || v.size !== size) continue;
    const old = await history.readVersion(v.version);
    if (old !== null && (await tokenHash(old)) === hash) return true;
  }
  return false;
}
