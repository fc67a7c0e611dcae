/**
 * The per-user storage quota (USER_QUOTA_BYTES). Usage is the bytes of every retained version of
 * every document, measured by listing the user's objects. An isolate reuses its measurement for
 * up to USAGE_FRESH_MS and adds what it wrote itself; a write that would pass the quota is always
 * re-measured before it is refused. So refusals are exact, and the quota can be overshot only by
 * writes made through other isolates within that window.
 */
import type { Config } from "../config.ts";
import { ApiError } from "../errors.ts";
import { perBinding } from "../isolate-memory.ts";
import { measureUsage } from "../storage/documents.ts";

const USAGE_FRESH_MS = 10_000;

interface Measured {
  bytes: number;
  at: number;
}

const measuredFor = perBinding<R2Bucket, Map<string, Measured>>(() => new Map());

/** Throws 413 `quota_exceeded` when `size` more bytes would take the user past the quota. */
export async function checkQuota(bucket: R2Bucket, config: Config, username: string, size: number): Promise<void> {
  const map = measuredFor(bucket);
  const now = Date.now();
  let measured = map.get(username);
  if (measured === undefined || now - measured.at > USAGE_FRESH_MS || measured.bytes + size > config.userQuotaBytes) {
    measured = { bytes: await measureUsage(bucket, username, config.historyRetention), at: now };
    if (map.size > 10_000) map.clear();
    map.set(username, measured);
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
export function recordUsage(bucket: R2Bucket, username: string, size: number): void {
  const measured = measuredFor(bucket).get(username);
  if (measured !== undefined) measured.bytes += size;
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
