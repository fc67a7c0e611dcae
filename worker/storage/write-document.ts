/**
 * The one path every document write takes (v1 PUT, restore, seed upload): quota, compare-and-swap
 * by creating version n+1 create-only, device activity, pruning. Anything that must follow a
 * successful write belongs beside the realtime announcement.
 */
import type { Config, Env } from "../config.ts";
import { checkCondition, preconditionFailed, type WriteCondition } from "../http/conditions.ts";
import { announceVersion } from "../realtime/announce.ts";
import { announcementOf } from "../realtime/announcement.ts";
import { ApiError } from "../errors.ts";
import { MAX_VERSION } from "../schemas/names.ts";
import { noteActivity } from "./devices.ts";
import { createVersion, currentHead, pruneVersions, type TokenBody, type VersionInfo } from "./documents.ts";
import { checkQuota, recordUsage } from "./quota.ts";

export interface WriteInput {
  username: string;
  doc: string;
  deviceId: string;
  body: TokenBody;
  condition: WriteCondition;
}

export interface WriteResult extends VersionInfo {
  /** True when this write created the document (its version 1). */
  created: boolean;
}

/** Unconditional writes that lose a race retry with the next version, up to this many attempts in all. */
const MAX_ATTEMPTS = 12;
/**
 * Old versions are deleted in batches, one list and one delete every `pruneEvery(retention)`
 * writes: half the retention, from 8 to 32. Versions past retention already answer 404 and are not
 * counted against the quota, so a larger batch only keeps them in storage a little longer, and
 * saves a heavy writer most of the listing.
 */
function pruneEvery(retention: number): number {
  return Math.min(32, Math.max(8, Math.floor(retention / 2)));
}

export async function writeDocument(
  env: Env,
  config: Config,
  waitUntil: (p: Promise<unknown>) => void,
  input: WriteInput,
): Promise<WriteResult> {
  const { username, doc, body, condition } = input;
  await checkQuota(env.BLOBS, config, username, body.size);
  const conditional = condition.ifMatch !== null || condition.createOnly;
  for (let attempt = 1; ; attempt++) {
    const current = (await currentHead(env.BLOBS, username, doc))?.version ?? null;
    checkCondition(condition, current);
    const next = (current ?? 0) + 1;
    // Unreachable in practice (10^12 writes), but the key layout has no room beyond it.
    if (next > MAX_VERSION) throw preconditionFailed(current);
    const info = await createVersion(env.BLOBS, username, doc, next, body, {
      deviceId: input.deviceId,
      updatedAt: new Date().toISOString(),
    });
    if (info !== null) {
      recordUsage(env.BLOBS, username, info.size);
      if (next > config.historyRetention && next % pruneEvery(config.historyRetention) === 0) {
        waitUntil(pruneVersions(env.BLOBS, username, doc, next, config.historyRetention).catch((err) => console.error("prune", err)));
      }
      await noteActivity(env.DEVICES, username, input.deviceId, "upload");
      // Other devices hear of it after the response; a hub failure never fails the write.
      announceVersion(env, waitUntil, username, announcementOf(info));
      return { ...info, created: next === 1 };
    }
    if (conditional) throw preconditionFailed((await currentHead(env.BLOBS, username, doc))?.version ?? null);
    // No precondition was given, so a 412 would be wrong: contention is a transient 503. A
    // streamed body was consumed by the failed attempt and cannot be sent again.
    if (!("bytes" in body) || attempt >= MAX_ATTEMPTS) throw contended();
    await backoff(attempt);
  }
}

function contended(): ApiError {
  return new ApiError(503, "unavailable", "the document is being written by many devices at once; retry", { "Retry-After": "1" });
}

/** Random, growing pause between retries, so racing writers stop colliding in lock step. */
function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(50, 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
