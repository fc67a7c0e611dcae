/**
 * Brings the index level with R2: an account stored before the index existed is imported on its
 * hub's first call (one listing of its documents' heads, no bytes copied), and versions stored
 * while the hub could not be told (a write whose record failed) are recorded when the next entry
 * of their document shows the gap.
 */
import { listHeads, storedVersion, type StoredEntry } from "../storage/documents.ts";
import type { EntryIndex, EntryInput } from "./entry-index.ts";

/** More missing versions than this in one document are recorded as a reset point instead (the floor). */
const MAX_GAP = 200;

function inputOf(stored: StoredEntry): EntryInput {
  return {
    doc: stored.doc,
    version: stored.version,
    kind: stored.tombstone ? "tombstone" : stored.kind === "change" ? "change" : "whole",
    device_id: stored.deviceId,
    updated_at: stored.updatedAt,
    size: stored.size,
    token: null,
  };
}

/** Records each document's head as stored today: tokens stay in R2 and are served by reference. */
export async function importAccount(bucket: R2Bucket, space: string, index: EntryIndex): Promise<void> {
  for (const head of await listHeads(bucket, space)) index.record(inputOf(head));
  index.markImported();
}

/** Records the versions of `doc` between the index's head and `version` that R2 holds. */
export async function fillGap(
  bucket: R2Bucket,
  space: string,
  index: EntryIndex,
  doc: string,
  head: number,
  version: number,
): Promise<void> {
  const from = Math.max(head + 1, version - MAX_GAP);
  if (from > head + 1) index.skipTo(doc, from - 1);
  for (let v = from; v < version; v++) {
    const stored = await storedVersion(bucket, space, doc, v);
    if (stored !== null) index.record(inputOf(stored));
    else index.skipTo(doc, v);
  }
}
