/**
 * Bytes of recently read or written document versions, in isolate memory, so a download usually
 * needs one R2 list (to learn the current version) and no R2 get. A version's object is written
 * once and never changed; entries are keyed by its R2 key and R2 ETag (the content's MD5), so a
 * document deleted and written again under the same key can never be served from a stale entry.
 */

import { perBinding } from "../isolate-memory.ts";

const MAX_ENTRY_BYTES = 256 * 1024;
const MAX_TOTAL_BYTES = 16 * 1024 * 1024;

interface Cache {
  entries: Map<string, Uint8Array>;
  total: number;
}

const cacheFor = perBinding<R2Bucket, Cache>(() => ({ entries: new Map(), total: 0 }));

export function isCacheable(size: number): boolean {
  return size <= MAX_ENTRY_BYTES;
}

export function cachedBytes(bucket: R2Bucket, key: string, contentTag: string): Uint8Array | undefined {
  const cache = cacheFor(bucket);
  const id = `${key}#${contentTag}`;
  const bytes = cache.entries.get(id);
  if (bytes !== undefined) {
    // Re-insert: Map order is the eviction order (least recently used first).
    cache.entries.delete(id);
    cache.entries.set(id, bytes);
  }
  return bytes;
}

export function cacheBytes(bucket: R2Bucket, key: string, contentTag: string, bytes: Uint8Array): void {
  if (!isCacheable(bytes.byteLength)) return;
  const cache = cacheFor(bucket);
  const id = `${key}#${contentTag}`;
  if (cache.entries.has(id)) return;
  cache.entries.set(id, bytes);
  cache.total += bytes.byteLength;
  for (const [oldId, old] of cache.entries) {
    if (cache.total <= MAX_TOTAL_BYTES) break;
    cache.entries.delete(oldId);
    cache.total -= old.byteLength;
  }
}
