/**
 * Snapshots in R2: a whole-document token of the state after entry n, written by a device to
 * compact the changes before it (docs/PROTOCOL.md "Compaction"). Immutable: created once, read,
 * and deleted by the history window. The hub's index says which exist.
 */
import { snapshotKey, snapshotsPrefix } from "./document-keys.ts";
import type { TokenBody } from "./documents.ts";
import { guard } from "./unavailable.ts";

/** Stores snapshot `version` unless one exists; false when it already did. */
export async function createSnapshot(
  bucket: R2Bucket,
  username: string,
  doc: string,
  version: number,
  body: TokenBody,
): Promise<boolean> {
  const value = "bytes" in body ? body.bytes : body.stream.pipeThrough(new FixedLengthStream(body.size));
  return guard("snapshots.create", async () => {
    const obj = await bucket.put(snapshotKey(username, doc, version), value, {
      onlyIf: new Headers({ "If-None-Match": "*" }),
      httpMetadata: { contentType: "application/octet-stream" },
    });
    return obj !== null;
  });
}

/** The snapshot's token as a stream, with its size; null when it is not stored. */
export async function readSnapshot(
  bucket: R2Bucket,
  username: string,
  doc: string,
  version: number,
): Promise<{ size: number; body: ReadableStream } | null> {
  return guard("snapshots.read", async () => {
    const obj = await bucket.get(snapshotKey(username, doc, version));
    return obj === null ? null : { size: obj.size, body: obj.body };
  });
}

export async function deleteSnapshots(
  bucket: R2Bucket,
  username: string,
  doc: string,
  versions: number[],
): Promise<void> {
  if (versions.length === 0) return;
  await guard("snapshots.delete", () => bucket.delete(versions.map((v) => snapshotKey(username, doc, v))));
}

/** The versions of a document's stored snapshots (history: which versions have a compaction). */
export async function listSnapshots(bucket: R2Bucket, username: string, doc: string): Promise<number[]> {
  const prefix = snapshotsPrefix(username, doc);
  const listed = await guard("snapshots.list", () => bucket.list({ prefix, limit: 1000 }));
  return listed.objects.map((o) => Number(o.key.slice(prefix.length)));
}
