// worker/storage/: R2 and KV access only (accounts, versions, devices, caches); no HTTP statuses, no calls upward.
/**
 * Document versions in R2: read the current or a given version, create one version, list, prune and delete.
 *
 * Deleting a document leaves a tombstone: an empty object at the next version number, above the
 * deleted history. Version numbers therefore never go back, so
 * - a device that saw version 9 never takes a re-created document's version 1 for a rollback, nor
 *   holds an ETag `"1"` that a different version 1 would match;
 * - a writer that knows it created version n may create n+1 without listing first: the create-only
 *   put fails if anything (a write or a delete) came after n (write-document.ts).
 * Real versions are Fernet tokens of at least 73 bytes, so an object of size 0 is a tombstone.
 * Whatever lies below a document's newest tombstone belongs to its deleted history.
 */
import { guard } from "./unavailable.ts";
import { docsPrefix, parseVersionKey, versionKey, versionsPrefix } from "./document-keys.ts";
import { cacheVersion, cachedVersion, isCacheable } from "./version-cache.ts";
import type { VersionInfo } from "./version-info.ts";

interface VersionMetadata extends Record<string, string> {
  device_id: string;
  updated_at: string;
}

/** Set on change entries only (docs/PROTOCOL.md "Units"); a version without it is whole (or a tombstone). */
const CHANGE_KIND = "change";
/** Set on a folded whole version: its object is a marker, its content rebuilt from a later snapshot. */
const FOLDED_KIND = "folded";
/** A folded version's body: not empty, so it never reads as a tombstone, and never a token. */
const FOLDED_BODY = new TextEncoder().encode("folded");

/** An object of size 0 under a document's versions marks a deletion (see the top of this file). */
export function isTombstone(obj: { size: number }): boolean {
  return obj.size === 0;
}

function toInfo(username: string, obj: R2Object): VersionInfo | null {
  const parsed = parseVersionKey(username, obj.key);
  if (parsed === null) return null;
  const meta = (obj.customMetadata ?? {}) as Partial<VersionMetadata>;
  return {
    doc: parsed.doc,
    version: parsed.version,
    size: obj.size,
    updatedAt: meta.updated_at ?? obj.uploaded.toISOString(),
    deviceId: meta.device_id ?? "",
    contentTag: obj.etag,
    ...(meta.kind === CHANGE_KIND || meta.kind === FOLDED_KIND ? { kind: meta.kind } : {}),
  };
}

/** A document's newest `limit` objects (at most 1000, R2's page), newest first, up to its last deletion. */
async function liveHistory(
  bucket: R2Bucket,
  username: string,
  doc: string,
  limit: number,
  metadata: boolean,
): Promise<R2Object[]> {
  const listed = await guard("versions.list", () =>
    bucket.list({
      prefix: versionsPrefix(username, doc),
      limit: Math.min(limit, 1000),
      ...(metadata ? { include: ["customMetadata"] } : {}),
    }),
  );
  const deletion = listed.objects.findIndex(isTombstone);
  return deletion === -1 ? listed.objects : listed.objects.slice(0, deletion);
}

/** The newest versions of one document, newest first, at most `limit` (and 1000), none from before its last deletion. */
export async function listVersions(
  bucket: R2Bucket,
  username: string,
  doc: string,
  limit: number,
): Promise<VersionInfo[]> {
  const live = await liveHistory(bucket, username, doc, limit, true);
  return live.map((o) => toInfo(username, o)).filter((v): v is VersionInfo => v !== null);
}

/**
 * Whether version `version` is still history: within the newest `retention` versions of a document
 * written whole, or, for a document synced as changes (whose history the window keeps, compaction
 * trims, and which lists change entries), any version still stored above its last deletion.
 */
export async function isRetained(
  bucket: R2Bucket,
  username: string,
  doc: string,
  version: number,
  retention: number,
): Promise<boolean> {
  const key = versionKey(username, doc, version);
  const newest = await liveHistory(bucket, username, doc, retention, true);
  if (newest.some((o) => o.key === key)) return true;
  if (!newest.some((o) => (o.customMetadata as Partial<VersionMetadata> | undefined)?.kind === CHANGE_KIND))
    return false;
  return (await liveHistory(bucket, username, doc, 1000, false)).some((o) => o.key === key);
}

/** The versions of a document that are history (see `isRetained`), newest first, at most 1000. */
export async function listHistory(
  bucket: R2Bucket,
  username: string,
  doc: string,
  retention: number,
): Promise<VersionInfo[]> {
  const newest = await listVersions(bucket, username, doc, retention);
  return newest.some((v) => v.kind === CHANGE_KIND) ? listVersions(bucket, username, doc, 1000) : newest;
}

/** Where a document's newest version is, from a listing without custom metadata. */
export interface VersionHead {
  doc: string;
  version: number;
  key: string;
  contentTag: string;
  /** The newest version is a tombstone: the document was deleted and not written since. */
  deleted: boolean;
}

/**
 * The newest version's key and ETag, a tombstone included: a one-item R2 list without custom
 * metadata, which costs about half of one with it. Enough for a compare-and-swap;
 * `describeVersion` adds the rest. Readers want `liveHead`.
 */
export async function currentHead(bucket: R2Bucket, username: string, doc: string): Promise<VersionHead | null> {
  const listed = await guard("versions.list", () => bucket.list({ prefix: versionsPrefix(username, doc), limit: 1 }));
  const obj = listed.objects[0];
  const parsed = obj === undefined ? null : parseVersionKey(username, obj.key);
  return obj === undefined || parsed === null
    ? null
    : { ...parsed, key: obj.key, contentTag: obj.etag, deleted: isTombstone(obj) };
}

/** The current version of a document that exists; null when it never did or was deleted. */
export async function liveHead(bucket: R2Bucket, username: string, doc: string): Promise<VersionHead | null> {
  const head = await currentHead(bucket, username, doc);
  return head === null || head.deleted ? null : head;
}

/** A head's full description: from isolate memory when this isolate has seen the version, else an R2 head. */
export async function describeVersion(
  bucket: R2Bucket,
  username: string,
  head: VersionHead,
): Promise<VersionInfo | null> {
  const cached = cachedVersion(bucket, head.key, head.contentTag);
  if (cached !== undefined) return cached.info;
  const obj = await guard("versions.head", () => bucket.head(head.key));
  const info = obj === null ? null : toInfo(username, obj);
  if (obj !== null && info !== null) cacheVersion(bucket, obj.key, info);
  return info;
}

export interface VersionBody {
  info: VersionInfo;
  /** Small versions come as bytes (and are cached), large ones as a stream. */
  body: ReadableStream | Uint8Array;
}

export async function readVersion(
  bucket: R2Bucket,
  username: string,
  doc: string,
  version: number,
): Promise<VersionBody | null> {
  const key = versionKey(username, doc, version);
  return guard("versions.read", async () => {
    const obj = await bucket.get(key);
    if (obj === null) return null;
    if (isTombstone(obj)) return null;
    const info = toInfo(username, obj);
    if (info === null || info.kind === FOLDED_KIND) {
      await obj.body.cancel();
      return null;
    }
    if (!isCacheable(obj.size)) {
      cacheVersion(bucket, key, info);
      return { info, body: obj.body };
    }
    const bytes = new Uint8Array(await obj.arrayBuffer());
    cacheVersion(bucket, key, info, bytes);
    return { info, body: bytes };
  });
}

/** A version whose key and ETag are already known: from isolate memory when possible, else from R2. */
export async function openVersion(bucket: R2Bucket, username: string, head: VersionHead): Promise<VersionBody | null> {
  const cached = cachedVersion(bucket, head.key, head.contentTag);
  return cached?.bytes === undefined
    ? readVersion(bucket, username, head.doc, head.version)
    : { info: cached.info, body: cached.bytes };
}

/** The body of a write: bytes in memory, or a stream of known length (large uploads are never buffered). */
export type TokenBody = { size: number; bytes: Uint8Array } | { size: number; stream: ReadableStream };

/** Creates version `version` only if it does not exist yet; null when another write created it first. */
export async function createVersion(
  bucket: R2Bucket,
  username: string,
  doc: string,
  version: number,
  body: TokenBody,
  meta: { deviceId: string; updatedAt: string; change?: boolean },
): Promise<VersionInfo | null> {
  const customMetadata: VersionMetadata = { device_id: meta.deviceId, updated_at: meta.updatedAt };
  if (meta.change === true) customMetadata.kind = CHANGE_KIND;
  const value = "bytes" in body ? body.bytes : body.stream.pipeThrough(new FixedLengthStream(body.size));
  return guard("versions.create", async () => {
    const obj = await bucket.put(versionKey(username, doc, version), value, {
      onlyIf: new Headers({ "If-None-Match": "*" }),
      customMetadata,
      httpMetadata: { contentType: "application/octet-stream" },
    });
    if (obj === null) return null;
    const info = {
      doc,
      version,
      size: body.size,
      updatedAt: meta.updatedAt,
      deviceId: meta.deviceId,
      contentTag: obj.etag,
      ...(meta.change === true ? { kind: CHANGE_KIND } : {}),
    } satisfies VersionInfo;
    cacheVersion(bucket, obj.key, info, "bytes" in body ? body.bytes : undefined);
    return info;
  });
}

/**
 * Replaces whole version `version` by a marker that keeps its place, writer and time in the
 * history: its content is rebuilt by readers from a later snapshot (docs/PROTOCOL.md "Retention").
 */
export async function foldVersion(
  bucket: R2Bucket,
  username: string,
  doc: string,
  version: number,
  meta: { deviceId: string; updatedAt: string },
): Promise<void> {
  const customMetadata: VersionMetadata = { device_id: meta.deviceId, updated_at: meta.updatedAt, kind: FOLDED_KIND };
  await guard("versions.fold", () =>
    bucket.put(versionKey(username, doc, version), FOLDED_BODY, {
      customMetadata,
      httpMetadata: { contentType: "application/octet-stream" },
    }),
  );
}

/** Every object under `prefix` (after `startAfter` if given), page by page. */
async function listKeys(
  bucket: R2Bucket,
  prefix: string,
  options: { startAfter?: string; metadata?: boolean } = {},
): Promise<R2Object[]> {
  const out: R2Object[] = [];
  let cursor: string | undefined;
  do {
    const page = await guard("objects.list", () =>
      bucket.list({
        prefix,
        ...(options.metadata === true ? { include: ["customMetadata"] as "customMetadata"[] } : {}),
        ...(cursor === undefined ? {} : { cursor }),
        ...(options.startAfter === undefined ? {} : { startAfter: options.startAfter }),
      }),
    );
    out.push(...page.objects);
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor !== undefined);
  return out;
}

async function deleteKeys(bucket: R2Bucket, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    await guard("objects.delete", () => bucket.delete(batch));
  }
}

/** Deletes versions older than the newest `keep` of a document whose current version is `current`. */
export async function pruneVersions(
  bucket: R2Bucket,
  username: string,
  doc: string,
  current: number,
  keep: number,
): Promise<void> {
  const oldestKept = current - keep + 1;
  if (oldestKept <= 1) return;
  await deleteBelow(bucket, username, doc, oldestKept);
}

/**
 * The body of the tombstone that deletes a document: created with `createVersion` at the next
 * number, create-only like any other version.
 */
export const TOMBSTONE_BODY: TokenBody = { size: 0, bytes: new Uint8Array(0) };

/**
 * Deletes every version of a document below version `version`: the history under a tombstone, or
 * the versions past retention. Idempotent: a delete that failed halfway is finished by the next one.
 */
export async function deleteBelow(bucket: R2Bucket, username: string, doc: string, version: number): Promise<void> {
  const below = await listKeys(bucket, versionsPrefix(username, doc), {
    startAfter: versionKey(username, doc, version),
  });
  await deleteKeys(
    bucket,
    below.map((o) => o.key),
  );
}

/** Deletes every object under a prefix (an account's documents before its record). */
export async function deletePrefix(bucket: R2Bucket, prefix: string): Promise<void> {
  await deleteKeys(
    bucket,
    (await listKeys(bucket, prefix)).map((o) => o.key),
  );
}

/** A version with the moment R2 stored it (R2's own upload time, when the write took effect). */
export interface StoredVersion extends VersionInfo {
  storedAt: number;
}

export interface DocumentsSummary {
  /** The current version of each document, by name. */
  current: StoredVersion[];
  /** Keys of deleted history still stored below a tombstone (a delete whose cleanup failed). */
  leftovers: string[];
}

/** One pass over the user's objects: each live document's current version, and deleted history left behind. */
export async function summarizeDocuments(bucket: R2Bucket, username: string): Promise<DocumentsSummary> {
  const { heads, leftovers } = walkDocuments(
    username,
    await listKeys(bucket, docsPrefix(username), { metadata: true }),
  );
  const current = heads.flatMap((obj) => {
    const info = isTombstone(obj) ? null : toInfo(username, obj);
    return info === null ? [] : [{ ...info, storedAt: obj.uploaded.getTime() }];
  });
  return { current, leftovers };
}

/**
 * One pass over a user's objects, newest first within each document: each document's newest
 * object (a tombstone when it was deleted last), and the deleted history left below tombstones.
 */
function walkDocuments(username: string, objects: readonly R2Object[]): { heads: R2Object[]; leftovers: string[] } {
  // Per document: whether a tombstone was passed (what lies below it is deleted history).
  const docs = new Map<string, { ended: boolean }>();
  const heads: R2Object[] = [];
  const leftovers: string[] = [];
  for (const obj of objects) {
    const parsed = parseVersionKey(username, obj.key);
    if (parsed === null) continue;
    let seen = docs.get(parsed.doc);
    if (seen === undefined) {
      // Keys sort newest first, so a document's first key is its current version (or its deletion).
      seen = { ended: false };
      docs.set(parsed.doc, seen);
      heads.push(obj);
    }
    if (seen.ended) leftovers.push(obj.key);
    else if (isTombstone(obj)) seen.ended = true;
  }
  return { heads, leftovers };
}

/** Deletes deleted history left below tombstones (`DocumentsSummary.leftovers`). */
export function deleteLeftovers(bucket: R2Bucket, keys: string[]): Promise<void> {
  return deleteKeys(bucket, keys);
}

/** The current version with its body; null when the document has none (or was deleted meanwhile). */
export async function readCurrent(bucket: R2Bucket, username: string, doc: string): Promise<VersionBody | null> {
  const head = await liveHead(bucket, username, doc);
  return head === null ? null : openVersion(bucket, username, head);
}

/** Whether a storage space holds any document object (a version or a tombstone): one list of one key. */
export async function hasDocuments(bucket: R2Bucket, space: string): Promise<boolean> {
  const listed = await guard("objects.list", () => bucket.list({ prefix: docsPrefix(space), limit: 1 }));
  return listed.objects.length > 0;
}

/** A version as stored, tombstones included: what the hub's index records of it (worker/changes/). */
export interface StoredEntry extends VersionInfo {
  tombstone: boolean;
}

function storedEntry(username: string, obj: R2Object): StoredEntry | null {
  const info = toInfo(username, obj);
  return info === null ? null : { ...info, tombstone: isTombstone(obj) };
}

/** Every document's newest version, a tombstone included: one listing with metadata (the index's import). */
export async function listHeads(bucket: R2Bucket, username: string): Promise<StoredEntry[]> {
  const { heads } = walkDocuments(username, await listKeys(bucket, docsPrefix(username), { metadata: true }));
  return heads.flatMap((obj) => storedEntry(username, obj) ?? []);
}

/** One stored version's description (an R2 head); null when it is not stored. */
export async function storedVersion(
  bucket: R2Bucket,
  username: string,
  doc: string,
  version: number,
): Promise<StoredEntry | null> {
  const obj = await guard("versions.head", () => bucket.head(versionKey(username, doc, version)));
  return obj === null ? null : storedEntry(username, obj);
}
