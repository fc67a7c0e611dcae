/**
 * Recently read or written document versions, in isolate memory: each version's description
 * (device, time) always, and its bytes when small. So a download usually needs one plain R2 list
 * (to learn the current version's key and ETag) and no R2 get, and the list need not carry custom
 * metadata, which in R2 costs about as much again as the list itself.
 *
 * A version's object is written once and never changed; entries are keyed by its R2 key and R2
 * ETag (the content's MD5), so a document deleted and written again under the same key can never
 * be served from a stale entry.
 */

import { perBinding } from "../isolate-memory.ts";
import type { VersionInfo } from "./version-info.ts";

const MAX_ENTRY_BYTES = 256 * 1024;
const MAX_TOTAL_BYTES = 16 * 1024 * 1024;
/** What an entry without bytes is counted as against the total: its key, tag and description. */
const DESCRIPTION_BYTES = 256;

export interface CachedVersion {
  info: VersionInfo;
  /** Present for versions small enough to keep. */
  bytes?: Uint8Array;
}

interface Cache {
  entries: Map<string, CachedVersion>;
  total: number;
}

const cacheFor = perBinding<R2Bucket, Cache>(() => ({ entries: new Map(), total: 0 }));

export function isCacheable(size: number): boolean {
  return size <= MAX_ENTRY_BYTES;
}

function weight(entry: CachedVersion): number {
  return DESCRIPTION_BYTES + (entry.bytes?.byteLength ?? 0);
}

export function cachedVersion(bucket: R2Bucket, key: string, contentTag: string): CachedVersion | undefined {
  const cache = cacheFor(bucket);
  const id = `${key}#${contentTag}`;
  const entry = cache.entries.get(id);
  if (entry !== undefined) {
    // Re-insert: Map order is the eviction order (least recently used first).
    cache.entries.delete(id);
    cache.entries.set(id, entry);
  }
  return entry;
}

/** Remembers a version's description, and its bytes when given and small enough. */
export function cacheVersion(bucket: R2Bucket, key: string, info: VersionInfo, bytes?: Uint8Array): void {
  const cache = cacheFor(bucket);
  const id = `${key}#${info.contentTag}`;
  const entry: CachedVersion = bytes !== undefined && isCacheable(bytes.byteLength) ? { info, bytes } : { info };
  const old = cache.entries.get(id);
  // A version never changes, so an entry is only ever replaced by one that adds its bytes.
  if (old !== undefined && (old.bytes !== undefined || entry.bytes === undefined)) return;
  if (old !== undefined) cache.total -= weight(old);
  cache.entries.set(id, entry);
  cache.total += weight(entry);
  for (const [oldId, evicted] of cache.entries) {
    if (cache.total <= MAX_TOTAL_BYTES) break;
    cache.entries.delete(oldId);
    cache.total -= weight(evicted);
  }
}
