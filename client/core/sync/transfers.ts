/**
 * The manager's three transfers (upload, download, bidirectional sync) and the offline queue's
 * replay. A change met by a transient failure is queued; a queued change is replayed before any
 * new one, and is skipped if an earlier attempt had landed after all (its counter is on the server).
 */
import { openDocument } from "../wire/document-codec.ts";
import { SyncError } from "../errors.ts";
import { isTransientError } from "../errors.ts";
import { merge, type Json, type MergeRules, type Stamped } from "../merge/merge.ts";
import { applyWrites, type RegisterWrite } from "../merge/register-writes.ts";
import type { DrainResult, QueuedChange } from "./queue.ts";
import { checkBinding } from "./binding.ts";
import { describeDoc, type Remote, type UserSession } from "./session.ts";
import { markServer, markSynced, moveBase, serverData, type DocState } from "./state.ts";

export interface UploadResult {
  doc: string;
  /** The version the upload became. */
  version: number;
}

export interface SyncResult {
  doc: string;
  /** The merged document: what the application should now hold. */
  data: Json;
  /** The server's version holding `data` (null: the document is still empty everywhere). */
  version: number | null;
  /** True when this sync wrote a new version (local changes the server lacked). */
  uploaded: boolean;
}

/**
 * Replays queued changes, oldest first. `force` replays even those still backing off (an explicit
 * operation by the user); the auto-sync timer respects the back-off.
 */
export async function replayQueue(s: UserSession, force: boolean): Promise<DrainResult> {
  return s.queue.drain((entry) => replayChange(s, entry), { now: s.ctx.clock.now(), force });
}

/** The data becomes the document's next version; the previous one stays in history. */
export async function uploadDocument(s: UserSession, doc: string, data: Json): Promise<UploadResult> {
  const state = await s.doc(doc);
  const change = s.stampEdit(state, doc, data);
  const counter = await s.reserveCounter();
  return whenQueueAllows(s, doc, state, { kind: "upload", change: () => change, counter }, async () => {
    const result = await s.writeDoc(doc, state, { build: () => change, counter, always: true, blind: true });
    markSynced(state, result.stamped, result.version, result.hash);
    state.lastUpload = s.meta.lastUpload = s.now();
    return { doc, version: result.version };
  });
}

/**
 * The server's current data (null if the document does not exist). With `adopt`, the application
 * is known to keep it (auto-sync writes it), so it becomes the merge base; otherwise the base stays,
 * so a download only to look never turns into reverted edits at the next sync.
 */
export async function downloadDocument(s: UserSession, doc: string, adopt: boolean): Promise<Json | null> {
  await replayQueue(s, true);
  const state = await s.doc(doc);
  const remote = await s.fetchRemote(doc, state, true);
  if (remote === null) return null;
  if (adopt) markSynced(state, remote.stamped, remote.version, remote.hash);
  state.lastDownload = s.meta.lastDownload = s.now();
  return remote.stamped.data;
}

/** Three-way merge of the application's data with the server's, written back by compare-and-swap. */
export async function syncDocument(s: UserSession, doc: string, data: Json): Promise<SyncResult> {
  const state = await s.doc(doc);
  const change = s.stampEdit(state, doc, data);
  const counter = await s.reserveCounter();
  return whenQueueAllows(s, doc, state, { kind: "sync", change: () => change, counter }, async () => {
    const base = state.base;
    const result = await s.writeDoc(doc, state, {
      // The rules as of the server state just read: a device meeting rules another device declared
      // merges by them at once, not from its next sync on.
      build: (remote) => (remote === null ? change : merge(base, change, remote.stamped, s.rules(doc, state))),
      counter,
      always: false,
      blind: false,
      merged: true,
    });
    markSynced(state, result.stamped, result.version, result.hash);
    const now = s.now();
    state.lastDownload = s.meta.lastDownload = now;
    if (result.wrote) state.lastUpload = s.meta.lastUpload = now;
    return { doc, data: result.stamped.data, version: result.version, uploaded: result.wrote };
  });
}

export interface EditResult {
  doc: string;
  /** The version the edit became. */
  version: number;
}

/**
 * An edit the application describes by path (`append`, `set`): its registers are built at a fresh
 * clock and joined with the server's state, so it costs what it changes: no whole-state stamp or
 * diff, and with incremental sync one change on the wire. The device's state becomes the result.
 */
export async function editDocument(
  s: UserSession,
  doc: string,
  build: (hlc: string, rules: MergeRules) => RegisterWrite[],
): Promise<EditResult> {
  const state = await s.doc(doc);
  const rules = s.rules(doc, state);
  const writes = build(s.ctx.hlc.tick(), rules);
  const counter = await s.reserveCounter();
  const empty: Stamped = { data: {}, clocks: {} };
  // Offline, the edit is queued as the document this device knows with the edit joined in (built
  // only then), and merged with the server's when it replays, like any queued sync.
  const offline = () => applyWrites(serverData(state) ?? state.base ?? empty, writes, rules);
  return whenQueueAllows(s, doc, state, { kind: "sync", change: offline, counter }, async () => {
    const result = await s.writeDoc(doc, state, {
      build: (remote) => applyWrites(remote?.stamped ?? empty, writes, rules),
      counter,
      always: true,
      blind: false,
      merged: true,
      writes,
    });
    markSynced(state, result.stamped, result.version, result.hash);
    state.lastUpload = state.lastDownload = s.meta.lastUpload = s.meta.lastDownload = s.now();
    return { doc, version: result.version };
  });
}

/** A change as the queue would hold it, built only when it is queued. */
interface QueuedEdit {
  kind: QueuedChange["kind"];
  change: () => Stamped;
  counter: number;
}

/**
 * Runs `direct` unless older changes are still queued (they go first, so this one queues behind
 * them); a transient failure of `direct` queues the change. Either way the caller gets SyncError
 * `network` saying the change is queued.
 */
async function whenQueueAllows<T>(
  s: UserSession,
  doc: string,
  state: DocState,
  change: QueuedEdit,
  direct: () => Promise<T>,
): Promise<T> {
  const drained = await replayQueue(s, true);
  if (drained.remaining > 0) throw await enqueue(s, doc, state, change, drained.deferredBy);
  try {
    return await direct();
  } catch (error) {
    if (isTransientError(error)) throw await enqueue(s, doc, state, change, error);
    throw error;
  }
}

async function enqueue(
  s: UserSession,
  doc: string,
  state: DocState,
  edit: QueuedEdit,
  cause: SyncError | undefined,
): Promise<SyncError> {
  const change = edit.change();
  await s.queue.enqueue({
    doc,
    kind: edit.kind,
    change,
    base: state.base,
    baseVersion: state.server?.version ?? null,
    counter: edit.counter,
    enqueuedAt: s.ctx.clock.now(),
  });
  // The application holds the change now: its next edit is stamped against it.
  moveBase(state, change);
  const pending = await s.queue.size();
  const reason = cause?.message ?? "Earlier changes are still waiting for the server.";
  const error = new SyncError(
    "network",
    `${reason} The change to ${describeDoc(s.username, doc)} is queued (${pending} pending) and will be sent by the next operation that reaches the server.`,
    cause === undefined ? {} : { cause },
  );
  s.recordError(doc, error, state);
  return error;
}

async function replayChange(s: UserSession, entry: QueuedChange): Promise<void> {
  const state = await s.doc(entry.doc);
  const remote = await s.fetchRemote(entry.doc, state, false);
  if (await landedAlready(s, entry, remote)) return;
  const result = await s.writeDoc(
    entry.doc,
    state,
    {
      build: (r) =>
        entry.kind === "upload" || r === null
          ? entry.change
          : merge(entry.base, entry.change, r.stamped, s.rules(entry.doc, state)),
      counter: entry.counter,
      always: entry.kind === "upload",
      blind: false,
    },
    remote,
  );
  // The application still holds its own data (the base); the server now holds the merge.
  markServer(state, result.stamped, result.version, result.hash);
  if (result.wrote) state.lastUpload = s.meta.lastUpload = s.now();
}

/**
 * True when a write carrying this change's counter (or a later one of this device) is on the
 * server after the version the change was based on: an attempt that timed out had landed.
 */
async function landedAlready(s: UserSession, entry: QueuedChange, remote: Remote | null): Promise<boolean> {
  if (remote === null) return false;
  const after = entry.baseVersion ?? 0;
  if (remote.version <= after) return false;
  const ours = (envelope: Remote["envelope"]) =>
    envelope !== undefined && envelope.device_id === s.ctx.deviceId && (envelope.sync?.counter ?? -1) >= entry.counter;
  if (ours(remote.envelope)) return true;
  const versions = await s.ctx.api.listVersions(s.username, entry.doc);
  for (const v of versions) {
    if (v.version <= after || v.version >= remote.version || v.device_id !== s.ctx.deviceId) continue;
    const served = await s.ctx.api.getVersion(s.username, entry.doc, v.version);
    if (served === null) continue;
    const where = describeDoc(s.username, entry.doc);
    const opened = await openDocument(s.ctx.fernet(), served.bytes, where, s.ctx.maxDocumentBytes);
    // A token of another document carrying a later counter of this device must not pass for this change.
    checkBinding(opened.envelope, { username: s.username, doc: entry.doc, version: v.version }, where);
    if (ours(opened.envelope)) return true;
  }
  return false;
}
