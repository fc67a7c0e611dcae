/**
 * The per-user storage quota (USER_QUOTA_BYTES). Usage is the bytes R2 holds for the account's
 * entries and snapshots, which the account's index keeps as they are stored and deleted
 * (worker/changes/): asking costs one call to the hub, never a listing. An isolate reuses its
 * answer for up to USAGE_FRESH_MS and adds what it wrote itself; a write that would pass the quota
 * is always asked again before it is refused. So refusals are exact, and the quota can be
 * overshot only by writes made through other isolates within that window. The same answer names
 * the live documents, so MAX_DOCUMENTS bounds how many an account holds.
 */
import { hubOf } from "../changes/hub-index.ts";
import type { Config, Env } from "../config.ts";
import { ApiError } from "../errors.ts";
import { perBinding } from "../isolate-memory.ts";
import { guard } from "../storage/unavailable.ts";

const USAGE_FRESH_MS = 10_000;

interface Measured {
  bytes: number;
  documents: Set<string>;
  at: number;
}

const measuredFor = perBinding<Env["USER_HUB"], Map<string, Measured>>(() => new Map());

/**
 * Throws 413 `quota_exceeded` when `size` more bytes would take the user past the quota, and 403
 * `quota_exceeded` when writing `doc` would create a document past MAX_DOCUMENTS.
 */
export async function checkQuota(env: Env, config: Config, username: string, size: number, doc: string): Promise<void> {
  const map = measuredFor(env.USER_HUB);
  const now = Date.now();
  let measured = map.get(username);
  const overCount = (m: Measured) => !m.documents.has(doc) && m.documents.size >= config.maxDocuments;
  if (
    measured === undefined ||
    now - measured.at > USAGE_FRESH_MS ||
    measured.bytes + size > config.userQuotaBytes ||
    overCount(measured)
  ) {
    const usage = await guard("index.usage", () => hubOf(env, username).usage(username, config.historyRetention));
    measured = { bytes: usage.entries + usage.snapshots, documents: new Set(usage.documents), at: now };
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
export function recordUsage(env: Env, username: string, size: number, doc: string): void {
  const measured = measuredFor(env.USER_HUB).get(username);
  if (measured === undefined) return;
  measured.bytes += size;
  measured.documents.add(doc);
}

/** Drops the measurement after deletions, so the next write re-measures. */
export function forgetUsage(env: Env, username: string): void {
  measuredFor(env.USER_HUB).delete(username);
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
