/**
 * The compare-and-swap every new version goes through, a document write or a delete's tombstone:
 * find the newest version, check the writer's condition against the live one, and create the next
 * number create-only. A writer whose version this isolate created last skips the finding
 * (head-hints.ts): the create-only put is the check.
 */
import { checkCondition, preconditionFailed, versionMismatch, type WriteCondition } from "./condition.ts";
import { ApiError } from "../errors.ts";
import { MAX_VERSION } from "../schemas/names.ts";
import { currentHead, isTombstone, liveHead, type VersionHead } from "../storage/documents.ts";
import type { VersionInfo } from "../storage/version-info.ts";
import { forgetVersion, hintedVersion, rememberVersion } from "./head-hints.ts";

export interface VersionTarget {
  /** The account record's ETag (`Account.etag`): which account of this name it is (head-hints.ts). */
  account: string;
  username: string;
  doc: string;
  condition: WriteCondition;
}

export interface NextVersion {
  info: VersionInfo;
  /** The live version this one replaced; null when the document did not exist (or was deleted). */
  replaced: number | null;
}

export interface NextVersionOptions {
  /**
   * Whether `create` may be called again after a failed attempt: not for a streamed body, which
   * the failed put consumed.
   */
  repeatable: boolean;
  /** For a delete: what to do when there is no live version (the head is the newest tombstone, if any). */
  onMissing?: (head: VersionHead | null) => Promise<never>;
}

/** Unconditional writes that lose a race retry with the next version, up to this many attempts in all. */
const MAX_ATTEMPTS = 12;

/** Whether a writer's condition holds if `hinted`, a version this isolate created, is still current. */
function followsHint(condition: WriteCondition, hinted: number): boolean {
  if (condition.createOnly || hinted >= MAX_VERSION) return false;
  if (condition.version !== undefined && condition.version !== hinted + 1) return false;
  return condition.ifMatch === null || condition.ifMatch === "*" || condition.ifMatch === hinted;
}

/**
 * Creates the document's next version with `create(n)` (which answers null when version n
 * already exists). A stale condition is a 412; a lost race without a condition is retried, since
 * a 412 would be wrong, and after many attempts is a transient 503.
 */
export async function createNextVersion(
  bucket: R2Bucket,
  target: VersionTarget,
  create: (version: number) => Promise<VersionInfo | null>,
  options: NextVersionOptions,
): Promise<NextVersion> {
  const { account, username, doc, condition } = target;
  const stored = (info: VersionInfo, replaced: number | null): NextVersion => {
    if (isTombstone(info)) forgetVersion(bucket, account, username, doc);
    else rememberVersion(bucket, account, username, doc, info.version);
    return { info, replaced };
  };

  const hinted = hintedVersion(bucket, account, username, doc);
  if (options.repeatable && options.onMissing === undefined && hinted !== undefined && followsHint(condition, hinted)) {
    const info = await create(hinted + 1);
    // Created: nothing came after the hinted version, so it was current and the condition held.
    if (info !== null) return stored(info, hinted);
    forgetVersion(bucket, account, username, doc, hinted);
  }

  const conditional = condition.ifMatch !== null || condition.createOnly || condition.version !== undefined;
  for (let attempt = 1; ; attempt++) {
    const head = await currentHead(bucket, username, doc);
    const live = head === null || head.deleted ? null : head.version;
    if (live === null && options.onMissing !== undefined) return options.onMissing(head);
    checkCondition(condition, live);
    // After a tombstone the numbers go on: they never go back.
    const next = (head?.version ?? 0) + 1;
    // Unreachable in practice (10^12 writes), but the key layout has no room beyond it.
    if (next > MAX_VERSION) throw preconditionFailed(live);
    if (condition.version !== undefined && condition.version !== next) throw versionMismatch(live, next);
    const info = await create(next);
    if (info !== null) return stored(info, live);
    if (conditional) throw preconditionFailed((await liveHead(bucket, username, doc))?.version ?? null);
    if (!options.repeatable || attempt >= MAX_ATTEMPTS) throw contended();
    await backoff(attempt);
  }
}

function contended(): ApiError {
  return new ApiError(503, "unavailable", "the document is being written by many devices at once; retry", {
    "Retry-After": "1",
  });
}

/** Random, growing pause between retries, so racing writers stop colliding in lock step. */
function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(50, 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
