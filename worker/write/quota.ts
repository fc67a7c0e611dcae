/**
 * The per-user storage quota (USER_QUOTA_BYTES). Usage is the bytes of every retained version of
 * every document, measured by listing the user's objects. An isolate reuses its measurement for
 * up to USAGE_FRESH_MS and adds what it wrote itself; a write that would pass the quota is always
 * re-measured before it is refused. So refusals are exact, and the quota can be overshot only by
 * writes made through other isolates within that window. The same measurement names the live
 * documents, so MAX_DOCUMENTS bounds how many an account holds (and so what a listing costs).
 */
import type { Config } from "../config.ts";
import { ApiError } from "../errors.ts";
import { perBinding } from "../isolate-memory.ts";
import { measureUsage } from "../storage/documents.ts";

const USAGE_FRESH_MS = 10_000;

interface Measured {
  bytes: number;
  documents: Set<string>;
  at: number;
}

const measuredFor = perBinding<R2Bucket, Map<string, Measured>>(() => new Map());

/**
 * Throws 413 `quota_exceeded` when `size` more bytes would take the user past the quota, and 403
 * `quota_exceeded` when writing `doc` would create a document past MAX_DOCUMENTS.
 */
export async function checkQuota(
  bucket: R2Bucket,
  config: Config,
  username: string,
  size: number,
  doc: string,
): Promise<void> {
  const map = measuredFor(bucket);
  const now = Date.now();
  let measured = map.get(username);
  const overCount = (m: Measured) => !m.documents.has(doc) && m.documents.size >= config.maxDocuments;
  if (
    measured === undefined ||
    now - measured.at > USAGE_FRESH_MS ||
    measured.bytes + size > config.userQuotaBytes ||
    overCount(measured)
  ) {
    const usage = await measureUsage(bucket, username, config.historyRetention);
    measured = { bytes: usage.bytes, documents: new Set(usage.documents), at: now };
    if (map.size > 10_000) map.clear();
    map.set(username, measured);
  }
  if (overCount(measured)) {
    throw new ApiError(
      403,
      "quota_exceeded",
      `this account holds ${measured.documents.size} documents, the most it may (MAX_DOCUMENTS); delete one first`,
    );
  }
  if (measured.bytes + size > config.userQuotaBytes) {
    throw new ApiError(
      413,
      "quota_exceeded",
      `storage quota exceeded: ${measured.bytes} of ${config.userQuotaBytes} bytes used, this write needs ${size} more`,
    );
  }
}

/** Adds a successful write to this isolate's measurement. */
export function recordUsage(bucket: R2Bucket, username: string, size: number, doc: string): void {
  const measured = measuredFor(bucket).get(username);
  if (measured === undefined) return;
  measured.bytes += size;
  measured.documents.add(doc);
}

/** Drops the measurement after deletions, so the next write re-measures. */
export function forgetUsage(bucket: R2Bucket, username: string): void {
  measuredFor(bucket).delete(username);
}

/** A body larger than the whole quota can never fit: refused before anything (even a claim) happens. */
export function assertFitsQuota(config: Config, size: number): void {
  if (size > config.userQuotaBytes) {
    throw new ApiError(
      413,
      "quota_exceeded",
      `storage quota exceeded: this write needs ${size} bytes, the quota is ${config.userQuotaBytes}`,
    );
  }
}
