// worker/write/: the write use case: owner write, compare-and-swap condition, next version, head hints, quota.
/**
 * The two ways a document changes, through one compare-and-swap (next-version.ts): a write (v1
 * PUT, legacy upload) stores a new version, with quota, device activity, pruning and the
 * realtime announcement around it; a delete stores a tombstone and removes the history below it.
 */
import type { Config, Env } from "../config.ts";
import { versionOfEtag, type WriteCondition } from "./condition.ts";
import { catchUp, inlineToken, recordEntry } from "../changes/hub-index.ts";
import { ApiError } from "../errors.ts";
import { noteActivity } from "../storage/devices.ts";
import { createVersion, deleteBelow, pruneVersions, TOMBSTONE_BODY, type TokenBody } from "../storage/documents.ts";
import type { VersionInfo } from "../storage/version-info.ts";
import { createNextVersion } from "./next-version.ts";
import { checkQuota, forgetUsage, recordUsage } from "./quota.ts";

export interface WriteInput {
  /** The account record's ETag (`Account.etag`), telling this account from an earlier one of the same name. */
  account: string;
  username: string;
  doc: string;
  deviceId: string;
  body: TokenBody;
  condition: WriteCondition;
  /** A change entry (docs/PROTOCOL.md "Units"); otherwise a whole version. */
  change?: boolean;
  /** The change carries its undo (the writer said so: X-Sync-Undo). */
  undo?: boolean;
}

export interface WriteResult extends VersionInfo {
  /** True when this write created the document (first written, or written again after a delete). */
  created: boolean;
  /** The entry's sequence number in the account's index (changes; a whole write does not wait for it). */
  seq: number | null;
  /** The version to snapshot now, when the document is due for compaction. */
  compact: number | null;
}

/**
 * Old versions are deleted in batches, one list and one delete every `pruneEvery(retention)`
 * writes: half the retention, from 8 to 32. Versions past retention already answer 404 and are not
 * counted against the quota, so a larger batch only keeps them in storage a little longer, and
 * saves a heavy writer most of the listing.
 */
function pruneEvery(retention: number): number {
  return Math.min(32, Math.max(8, Math.floor(retention / 2)));
}

function metaFor(deviceId: string, change = false): { deviceId: string; updatedAt: string; change?: boolean } {
  return { deviceId, updatedAt: new Date().toISOString(), ...(change ? { change } : {}) };
}

/** Runs a compare-and-swap; a lost race first brings the index level with what R2 showed the loser. */
async function racing<T>(env: Env, space: string, doc: string, swap: () => Promise<T>): Promise<T> {
  try {
    return await swap();
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 412) throw err;
    // The 412 names the live version (ETag, condition.ts) or the number this write would have had.
    const next = Number(err.headers["X-Sync-Next-Version"] ?? 0);
    const head = Math.max(versionOfEtag(err.headers.ETag) ?? 0, next - 1);
    if (head > 0) await catchUp(env, space, doc, head);
    throw err;
  }
}

export async function writeDocument(
  env: Env,
  config: Config,
  waitUntil: (p: Promise<unknown>) => void,
  input: WriteInput,
): Promise<WriteResult> {
  const { username, doc, body } = input;
  await checkQuota(env, config, username, body.size, doc);
  const change = input.change === true;
  const { info, replaced } = await racing(env, username, doc, () =>
    createNextVersion(
      env.BLOBS,
      input,
      (next) => createVersion(env.BLOBS, username, doc, next, body, metaFor(input.deviceId, change)),
      { repeatable: "bytes" in body },
    ),
  );
  recordUsage(env, username, info.size, doc);
  const entry = {
    doc,
    version: info.version,
    kind: change ? ("change" as const) : ("whole" as const),
    device_id: info.deviceId,
    updated_at: info.updatedAt,
    size: info.size,
    token: inlineToken(body),
    ...(change && input.undo === true ? { undo: true } : {}),
  };
  // A change is answered once indexed, with its sequence number and the compaction hint. A whole
  // write is answered without waiting for the hub's reply: its record is sent before the answer, so
  // the hub (which takes calls in order) has it before any read that follows the answer; readers of
  // whole versions read R2, and a record that fails is made up when the document's next entry shows
  // the gap, or when a write loses the race to it.
  let recorded: { seq: number | null; compact: number | null } = { seq: null, compact: null };
  if (change) recorded = await recordEntry(env, username, entry, config.historyRetention);
  else {
    waitUntil(
      recordEntry(env, username, entry, config.historyRetention).catch((err: unknown) =>
        console.error("index record", doc, info.version, err instanceof Error ? err.message : String(err)),
      ),
    );
  }
  const next = info.version;
  // Count-based pruning is for whole entries, each its own base; changes are trimmed by compaction.
  if (!change && next > config.historyRetention && next % pruneEvery(config.historyRetention) === 0) {
    waitUntil(
      pruneVersions(env.BLOBS, username, doc, next, config.historyRetention).catch((err) =>
        console.error("prune", err),
      ),
    );
  }
  await noteActivity(env.DEVICES, username, input.deviceId, "upload", config.maxDevices);
  return { ...info, created: replaced === null, seq: recorded.seq, compact: recorded.compact };
}

/** As a write, without a body; `deviceId` is recorded on the tombstone ("" when the request did not say). */
export type DeleteInput = Omit<WriteInput, "body">;

/**
 * Deletes a document and its history: a tombstone as the next version (so numbers never go back,
 * documents.ts), then everything below it. 404 when there is nothing live to delete, after
 * finishing the cleanup of an earlier delete if it failed.
 */
export async function deleteDocument(env: Env, config: Config, input: DeleteInput): Promise<void> {
  const { username, doc } = input;
  const { info } = await racing(env, username, doc, () =>
    createNextVersion(
      env.BLOBS,
      input,
      (next) => createVersion(env.BLOBS, username, doc, next, TOMBSTONE_BODY, metaFor(input.deviceId)),
      {
        repeatable: true,
        onMissing: async (head) => {
          if (head !== null) await cleanUpBelow(env, username, doc, head.version);
          throw new ApiError(404, "not_found", "no such document");
        },
      },
    ),
  );
  forgetUsage(env, username);
  await recordEntry(
    env,
    username,
    {
      doc,
      version: info.version,
      kind: "tombstone",
      device_id: info.deviceId,
      updated_at: info.updatedAt,
      size: 0,
      token: null,
    },
    config.historyRetention,
  );
  await cleanUpBelow(env, username, doc, info.version);
}

/**
 * Removes the history below a tombstone. The tombstone is the delete: from it on the document
 * reads as deleted, so removing what lies below is cleanup, which a storage failure only postpones
 * (a later listing of the user's documents, or another delete of this one, finishes it). It never
 * fails the request.
 */
function cleanUpBelow(env: Env, username: string, doc: string, tombstone: number): Promise<void> {
  return deleteBelow(env.BLOBS, username, doc, tombstone).catch((err: unknown) =>
    console.error("delete cleanup", doc, err),
  );
}
