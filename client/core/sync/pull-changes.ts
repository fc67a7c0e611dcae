/**
 * The incremental read (docs/PROTOCOL.md "Sequence and cursor"): one request for everything after
 * this device's cursor, for all of the user's documents. Every entry is checked before anything is
 * applied to the document it belongs to: its binding (user, document, version, kind), its place in
 * the document's chain (`sync.base` is the hash of the entry before it), and the order of the
 * answer (sequence numbers above the cursor, a head never below one seen). Consecutive changes of
 * one document are joined into its state once per answer.
 */
import { SyncError } from "../errors.ts";
import { applyWrites, checkWrites, latestWrite, type RegisterWrite } from "../merge/register-writes.ts";
import { latestClock } from "../merge/merge.ts";
import type { Frame } from "../protocol/change-frames.ts";
import { openDocument, stampedFromEnvelope } from "../wire/document-codec.ts";
import { checkBinding } from "./binding.ts";
import { checkHistoric, recordSeen, tokenHash, verifyServed } from "./integrity.ts";
import { describeDoc, type UserSession } from "./session.ts";
import { markServer, serverData, type DocState } from "./state.ts";

/** Pages one pull may read before it stops (the rest comes with the next). */
const MAX_PAGES = 100;

/** A referenced token the server no longer has (pruned since the page was answered): start again from a reset. */
class Gone extends Error {}

/** Brings every document's server state up to the account's head. */
export async function pullChanges(s: UserSession): Promise<void> {
  try {
    await pullFrom(s, s.meta.cursor ?? 0);
  } catch (err) {
    if (!(err instanceof Gone)) throw err;
    await pullFrom(s, 0);
  }
}

async function pullFrom(s: UserSession, from: number): Promise<void> {
  let cursor = from;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await s.ctx.api.getChanges(s.username, cursor);
    const seenHead = s.meta.headSeen ?? 0;
    if (answer.ahead || answer.head < seenHead) {
      throw new SyncError(
        "rollback_detected",
        `The server's history of ${s.username} ends at entry ${answer.head}, but this device has seen entry ` +
          `${Math.max(cursor, seenHead)}: it lost data or serves another account of this name. Nothing was merged.`,
      );
    }
    checkOrder(answer.frames, cursor, answer.head, answer.reset);
    const pending = new Map<string, RegisterWrite[]>();
    for (const frame of answer.frames) await checkFrame(s, frame, pending);
    for (const [doc, writes] of pending) await applyPending(s, doc, writes);
    const last = answer.frames.at(-1)?.header.seq ?? cursor;
    cursor = answer.more && !answer.reset ? last : answer.head;
    s.meta.cursor = cursor;
    s.meta.headSeen = Math.max(seenHead, answer.head);
    if (!answer.more || answer.reset) return;
  }
}

/** Sequence numbers rise strictly from above the cursor (a reset lists bases by document, each at or below the head). */
function checkOrder(frames: Frame[], cursor: number, head: number, reset: boolean): void {
  let previous = reset ? 0 : cursor;
  for (const { header } of frames) {
    const ok = reset ? header.seq <= head : header.seq > previous && header.seq <= head;
    if (!ok) {
      throw new SyncError(
        "rollback_detected",
        `The server listed entry ${header.seq} out of order (after ${previous}, head ${head}): entries were reordered or replayed. Nothing was merged.`,
      );
    }
    if (!reset) previous = header.seq;
  }
}

async function tokenOf(s: UserSession, frame: Frame): Promise<Uint8Array> {
  if (frame.token !== null) return frame.token;
  const { doc, version, kind } = frame.header;
  const bytes =
    kind === "snapshot"
      ? await s.ctx.api.getSnapshot(s.username, doc, version)
      : ((await s.ctx.api.getVersion(s.username, doc, version))?.bytes ?? null);
  if (bytes === null) throw new Gone();
  return bytes;
}

async function checkFrame(s: UserSession, frame: Frame, pending: Map<string, RegisterWrite[]>): Promise<void> {
  const { doc, version, kind } = frame.header;
  const state = await s.doc(doc);
  const where = describeDoc(s.username, doc);
  const known = state.integrity;
  if (kind === "tombstone") {
    if (known !== undefined && version <= known.newest) return;
    pending.delete(doc);
    state.server = null;
    state.deletedAt = version;
    return;
  }
  // Already applied (this device's own write, or a page read again after a crash): only checked.
  if (known !== undefined && version <= known.newest) {
    if (kind !== "snapshot" && frame.token !== null) checkHistoric(known, where, version, await tokenHash(frame.token));
    return;
  }
  const bytes = await tokenOf(s, frame);
  const { envelope, tokenTimeMs } = await openDocument(s.ctx.fernet(), bytes, where, s.ctx.maxDocumentBytes);
  const place = { username: s.username, doc, version, kind } as const;
  let hash: string;
  if (kind === "snapshot") {
    checkBinding(envelope, place, where);
    // A snapshot's base is the hash of the entry it covers: the next entry chains from that.
    const covered = envelope.sync?.base;
    if (typeof covered !== "string")
      throw new SyncError("tamper_detected", `Snapshot ${version} of ${where} names no entry.`);
    if (known !== undefined) {
      checkHistoric(known, where, version, covered);
      state.unverified = { from: known.newest, to: version, at: s.now() };
    }
    hash = covered;
  } else {
    hash = await tokenHash(bytes);
    const chain = await verifyServed(known, place, where, { hash, envelope }, s.historyOf(doc));
    if (chain === "unverifiable" && known !== undefined)
      state.unverified = { from: known.newest, to: version, at: s.now() };
  }
  state.integrity = recordSeen(known, version, hash);
  delete state.deletedAt;
  if (envelope.sync?.rules !== undefined) state.declaredRules = envelope.sync.rules;
  s.meta.peers[envelope.device_id] = { skewMs: tokenTimeMs - Date.parse(frame.header.updated_at), at: s.now() };
  if (envelope.sync !== undefined) s.ctx.hlc.observe(envelope.sync.hlc);
  if (kind === "change") {
    const writes = checkWrites((envelope.data as { writes?: unknown } | null)?.writes);
    if (serverData(state) === null && !pending.has(doc)) {
      throw new SyncError(
        "fork_detected",
        `Change ${version} of ${where} arrived for a document this device holds no version of. Nothing was merged.`,
      );
    }
    const list = pending.get(doc) ?? [];
    for (const w of writes) list.push(w);
    pending.set(doc, list);
    const latest = latestWrite(writes);
    if (latest !== "") s.ctx.hlc.observe(latest);
    setServerVersion(state, version, hash);
    return;
  }
  // A whole version or a snapshot replaces the server state: it already holds every change before it.
  pending.delete(doc);
  const stamped = stampedFromEnvelope(envelope, tokenTimeMs, s.rules(doc, state));
  s.ctx.hlc.observe(latestClock(stamped));
  markServer(state, stamped, version, hash);
}

/** The version a change brings the server state to, before its registers are joined in (applyPending). */
function setServerVersion(state: DocState, version: number, hash: string): void {
  if (state.server === null) state.server = { version, hash, data: null };
  else state.server = { ...state.server, version, hash };
}

async function applyPending(s: UserSession, doc: string, writes: RegisterWrite[]): Promise<void> {
  const state = await s.doc(doc);
  const current = serverData(state);
  if (current === null || state.server === null) return;
  const { version, hash } = state.server;
  markServer(state, applyWrites(current, writes, s.rules(doc, state)), version, hash);
}
