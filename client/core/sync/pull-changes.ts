/**
 * The incremental read (docs/PROTOCOL.md "Sequence and cursor"): one request for everything after
 * this device's cursor, for all of the user's documents. Every entry is checked before anything is
 * applied to the document it belongs to: its binding (user, document, version, kind), its place in
 * the document's chain (`sync.base` is the hash of the entry before it), and the order of the
 * answer (sequence numbers above the cursor, a head never below one seen). Consecutive changes of
 * one document are joined into its state once per answer.
 */
import { SyncError } from "../errors.ts";
import { checkWrites, latestWrite, type RegisterWrite } from "../merge/register-writes.ts";
import { applyTracked } from "./lineage.ts";
import { latestClock } from "../merge/merge.ts";
import type { Frame } from "../protocol/change-frames.ts";
import { openDocument, stampedFromEnvelope } from "../wire/document-codec.ts";
import { checkBinding } from "./binding.ts";
import {
  checkHistoric,
  checkSameAsSeen,
  recordSeen,
  tokenHash,
  verifyServed,
  type IntegrityRecord,
} from "./integrity.ts";
import { describeDoc, type UserSession } from "./session.ts";
import { markServer, serverData, type PeerClock, type UnverifiedGap } from "./state.ts";
import type { MergeRules, Stamped } from "../merge/merge.ts";

/** Pages one pull may read before it stops (the rest comes with the next). */
const MAX_PAGES = 100;

/**
 * The answer cannot be applied from this cursor: a referenced token the server no longer has
 * (pruned since the page was answered), or a change this device lacks the version before. The
 * pull starts again from a reset.
 */
class Gone extends Error {}

/** Brings every document's server state up to the account's head (but for documents left pending). */
export async function pullChanges(s: UserSession): Promise<void> {
  // A wanted document left pending is read again from where it was left: entries this device
  // already applied are only checked.
  let from = s.meta.cursor ?? 0;
  for (const [doc, at] of Object.entries(s.meta.pending ?? {})) if (isWanted(s, doc)) from = Math.min(from, at);
  try {
    await pullFrom(s, from);
  } catch (err) {
    if (!(err instanceof Gone)) throw err;
    try {
      await pullFrom(s, 0);
    } catch (again) {
      if (!(again instanceof Gone)) throw again;
      throw new SyncError(
        "server_error",
        `The server's changes for ${s.username} name entries it does not serve, even from the start. Nothing was merged.`,
      );
    }
  }
}

function isWanted(s: UserSession, doc: string): boolean {
  return s.wanted === null || s.wanted.has(doc);
}

async function pullFrom(s: UserSession, from: number): Promise<void> {
  let cursor = from;
  const deferred = new Set<string>();
  let complete = false;
  for (let page = 0; page < MAX_PAGES && !complete; page++) {
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
    // Every entry is checked before any is applied: a refused one leaves every document as it was.
    const stages = new Map<string, Stage>();
    for (const frame of answer.frames) await checkFrame(s, frame, stages);
    for (const [doc, stage] of stages) {
      if (stage.deferred) {
        deferred.add(doc);
        s.meta.pending = { ...s.meta.pending, [doc]: Math.min(s.meta.pending?.[doc] ?? cursor, cursor) };
      } else await commit(s, doc, stage);
    }
    const last = answer.frames.at(-1)?.header.seq ?? cursor;
    cursor = answer.more && !answer.reset ? last : answer.head;
    s.meta.cursor = Math.max(s.meta.cursor ?? 0, cursor);
    s.meta.headSeen = Math.max(seenHead, answer.head);
    complete = !answer.more || answer.reset;
  }
  if (!complete) return;
  // A pending document this pull read from where it was left, and fetched, is pending no more.
  const pending = s.meta.pending ?? {};
  for (const [doc, at] of Object.entries(pending)) {
    if (at >= from && !deferred.has(doc) && isWanted(s, doc)) delete pending[doc];
  }
}

/** What one answer does to one document, gathered while its entries are checked and applied only once all passed. */
interface Stage {
  integrity: IntegrityRecord | undefined;
  /** The server state is replaced by this (a whole entry or a snapshot), or deleted (null). */
  replace?: { stamped: Stamped; version: number; hash: string } | null;
  /** Changes after the replacement (or after the state held), in order. */
  writes: RegisterWrite[];
  /** The version and hash the last change brings the document to. */
  head?: { version: number; hash: string };
  unverified?: UnverifiedGap;
  declaredRules?: MergeRules;
  deletedAt?: number;
  peers: Array<[string, PeerClock]>;
  /** Not wanted by this operation and not fetched: left pending (`UserMeta.pending`), nothing applied. */
  deferred?: true;
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

async function stageOf(s: UserSession, doc: string, stages: Map<string, Stage>): Promise<Stage> {
  let stage = stages.get(doc);
  if (stage === undefined) {
    stage = { integrity: (await s.doc(doc)).integrity, writes: [], peers: [] };
    stages.set(doc, stage);
  }
  return stage;
}

async function checkFrame(s: UserSession, frame: Frame, stages: Map<string, Stage>): Promise<void> {
  const { doc, version, kind } = frame.header;
  if (!isWanted(s, doc) && (stages.get(doc)?.deferred || s.meta.pending?.[doc] !== undefined)) return;
  const stage = await stageOf(s, doc, stages);
  // A token to fetch for a document this operation does not need: left for when one does.
  if (!isWanted(s, doc) && frame.token === null && kind !== "tombstone" && version > (stage.integrity?.newest ?? 0)) {
    stages.set(doc, { integrity: stage.integrity, writes: [], peers: [], deferred: true });
    return;
  }
  const where = describeDoc(s.username, doc);
  const known = stage.integrity;
  if (kind === "tombstone") {
    if (known !== undefined && version <= known.newest) return;
    stage.replace = null;
    stage.writes = [];
    delete stage.head;
    stage.deletedAt = version;
    return;
  }
  // Already applied (this device's own write, or a page read again after a crash): only checked.
  if (known !== undefined && version <= known.newest) {
    if (kind !== "snapshot" && frame.token !== null)
      checkSameAsSeen(known, where, version, await tokenHash(frame.token));
    return;
  }
  // A change applies to the version right before it. A device that holds an older one lacks the
  // content of those between (its state lags its cursor: another process saved the cursor): it
  // starts again from a reset, which brings each document's base and every change after it.
  if (kind === "change" && known !== undefined && version > known.newest + 1 && stage.replace === undefined) {
    throw new Gone();
  }
  const bytes = await tokenOf(s, frame);
  const { envelope, tokenTimeMs } = await openDocument(s.ctx.fernet(), bytes, where, s.ctx.maxDocumentBytes);
  const place = { username: s.username, doc, version, kind } as const;
  let hash: string;
  if (kind === "snapshot") {
    checkBinding(envelope, place, where);
    // A snapshot's base is the hash of the entry it covers: the next entry chains from that.
    const covered = envelope.sync?.base;
    if (typeof covered !== "string") {
      throw new SyncError("tamper_detected", `Snapshot ${version} of ${where} names no entry. Nothing was merged.`);
    }
    if (known !== undefined) {
      checkHistoric(known, where, version, covered);
      stage.unverified = { from: known.newest, to: version, at: s.now() };
    }
    hash = covered;
  } else {
    hash = await tokenHash(bytes);
    const chain = await verifyServed(known, place, where, { hash, envelope }, s.historyOf(doc));
    if (chain === "unverifiable" && known !== undefined)
      stage.unverified = { from: known.newest, to: version, at: s.now() };
  }
  stage.integrity = recordSeen(known, version, hash);
  delete stage.deletedAt;
  if (envelope.sync?.rules !== undefined) stage.declaredRules = envelope.sync.rules;
  stage.peers.push([envelope.device_id, { skewMs: tokenTimeMs - Date.parse(frame.header.updated_at), at: s.now() }]);
  if (envelope.sync !== undefined) s.ctx.hlc.observe(envelope.sync.hlc);
  if (kind === "change") {
    const writes = checkWrites((envelope.data as { writes?: unknown } | null)?.writes);
    const holds = stage.replace !== undefined ? stage.replace !== null : serverData(await s.doc(doc)) !== null;
    if (!holds) {
      throw new SyncError(
        "fork_detected",
        `Change ${version} of ${where} arrived for a document this device holds no version of. Nothing was merged.`,
      );
    }
    for (const w of writes) stage.writes.push(w);
    const latest = latestWrite(writes);
    if (latest !== "") s.ctx.hlc.observe(latest);
    stage.head = { version, hash };
    return;
  }
  // A whole version or a snapshot replaces the server state: it already holds every change before it.
  const state = await s.doc(doc);
  const stamped = stampedFromEnvelope(
    envelope,
    tokenTimeMs,
    s.ctx.rulesFor(doc, stage.declaredRules ?? state.declaredRules),
  );
  s.ctx.hlc.observe(latestClock(stamped));
  stage.replace = { stamped, version, hash };
  stage.writes = [];
  delete stage.head;
}

/** Applies a document's checked stage to its state. */
async function commit(s: UserSession, doc: string, stage: Stage): Promise<void> {
  const state = await s.doc(doc);
  if (stage.integrity !== undefined) state.integrity = stage.integrity;
  if (stage.unverified !== undefined) state.unverified = stage.unverified;
  if (stage.declaredRules !== undefined) state.declaredRules = stage.declaredRules;
  for (const [device, clock] of stage.peers) s.meta.peers[device] = clock;
  if (stage.deletedAt !== undefined) state.deletedAt = stage.deletedAt;
  else if (stage.replace !== undefined || stage.head !== undefined) delete state.deletedAt;
  if (stage.replace === null) {
    state.server = null;
    return;
  }
  if (stage.replace !== undefined) markServer(state, stage.replace.stamped, stage.replace.version, stage.replace.hash);
  if (stage.head === undefined) return;
  const current = serverData(state);
  if (current === null) return;
  const rules = s.rules(doc, state);
  // In place only when the server's state is its own object, not also the application's base.
  const own = state.server?.data !== null || state.base === null;
  const next = applyTracked(current, stage.writes, rules, own);
  markServer(state, next, stage.head.version, stage.head.hash);
}
