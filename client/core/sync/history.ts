/**
 * History and rollback. A rollback never replays an old token: it writes the old content as a new
 * version, stamped as a fresh edit on top of the current one, so the history keeps chaining (no
 * false fork alarms on other devices) and the restored values win their merges there.
 */
import { openDocument, stampedFromEnvelope } from "../wire/document-codec.ts";
import type { Envelope } from "../wire/envelope.ts";
import { applyWrites, checkWrites } from "../merge/register-writes.ts";
import { applyUndo, checkUndo } from "../merge/undo-writes.ts";
import type { VersionInfo } from "../wire/api-responses.ts";
import { checkBinding } from "./binding.ts";
import { checkHistoric, checkVersionNumber, tokenHash } from "./integrity.ts";
import { latestClock, stamp, type Json, type Stamped } from "../merge/merge.ts";
import { isSyncError, SyncError } from "../errors.ts";
import { describeDoc, type UserSession } from "./session.ts";
import { markServer } from "./state.ts";

export interface VersionContent {
  doc: string;
  version: number;
  data: Json;
  /** The writer's device id, from inside the token. */
  deviceId: string;
  /** The writer's local time, as Python writes it. */
  timestamp: string;
  /** When the server stored it (ISO-8601 UTC), if it said. */
  storedAt: string | null;
}

/**
 * A version as the history lists it, with who wrote it as the token itself says. The server's
 * `device_id` is only what the writing request claimed (`X-Device-Id`): anyone holding the bearer
 * token may claim any device. `envelope_device_id` is sealed inside the token under the key.
 */
export interface HistoryEntry extends VersionInfo {
  /** The writer's device id from inside the token; null when this key cannot open the version. */
  envelope_device_id: string | null;
  /** True when the token opened and its device id is not the one the server recorded. */
  device_mismatch: boolean;
}

export interface RollbackResult {
  doc: string;
  /** The new version holding the restored content. */
  version: number;
  restoredFrom: number;
  data: Json;
}

export type RollbackToOutcome =
  | { doc: string; outcome: "restored"; from: number; to: number; version: number }
  | { doc: string; outcome: "unchanged"; version: number }
  /** The document did not exist yet at that time; it is left as it is. */
  | { doc: string; outcome: "absent"; version: number }
  /** The version of that time has been pruned from the history; the document is left as it is. */
  | { doc: string; outcome: "pruned"; version: number };

/** The document's history, newest first; an older newest version than already seen is `rollback_detected`. */
export async function listVersions(s: UserSession, doc: string): Promise<VersionInfo[]> {
  const versions = await s.ctx.api.listVersions(s.username, doc);
  const state = await s.doc(doc);
  if (versions[0] !== undefined) checkVersionNumber(state.integrity, describeDoc(s.username, doc), versions[0].version);
  return versions;
}

/**
 * The document's history, newest first, each version opened to show the device id sealed inside it
 * beside the one the server recorded. A version this key cannot open is listed with a null
 * `envelope_device_id` (it may be a Python device's upload under another key), not as a failure.
 * Versions are read one after another: a manager keeps one request in flight.
 */
export async function listHistory(s: UserSession, doc: string): Promise<HistoryEntry[]> {
  const where = describeDoc(s.username, doc);
  const entries: HistoryEntry[] = [];
  for (const info of await listVersions(s, doc)) {
    const writer = await envelopeDevice(s, doc, info.version, where);
    entries.push({
      ...info,
      envelope_device_id: writer,
      device_mismatch: writer !== null && writer !== info.device_id,
    });
  }
  return entries;
}

async function envelopeDevice(s: UserSession, doc: string, version: number, where: string): Promise<string | null> {
  const served = await s.ctx.api.getVersion(s.username, doc, version);
  if (served === null) return null;
  try {
    return (await openDocument(s.ctx.fernet(), served.bytes, `version ${version} of ${where}`, s.ctx.maxDocumentBytes))
      .envelope.device_id;
  } catch (error) {
    if (isSyncError(error, "wrong_key") || isSyncError(error, "invalid_payload")) return null;
    throw error;
  }
}

/**
 * One version's content, decrypted (SyncError `not_found` once pruned). A token bound to another
 * user, document or version than the one it was read as is `tamper_detected`, so a rollback never
 * takes content from where it does not belong.
 */
export async function getVersion(s: UserSession, doc: string, version: number): Promise<VersionContent> {
  const where = describeDoc(s.username, doc);
  const served = await s.ctx.api.getVersion(s.username, doc, version);
  if (served === null) {
    const versions = await listVersions(s, doc);
    const folded = versions.find((v) => v.version === version && v.kind === "folded");
    const target = snapshotFrom(versions, version);
    const rebuilt =
      folded === undefined || !Number.isFinite(target) ? null : await rebuildBackward(s, doc, version, target);
    if (folded === undefined || rebuilt === null)
      throw new SyncError(
        "not_found",
        `Version ${version} of ${where} is not in the history (never written, or pruned).`,
      );
    // The token is gone: who wrote it and when are the server's record of it.
    return {
      doc,
      version,
      data: rebuilt.data,
      deviceId: folded.device_id,
      timestamp: folded.updated_at,
      storedAt: folded.updated_at,
    };
  }
  const state = await s.doc(doc);
  checkHistoric(state.integrity, where, version, await tokenHash(served.bytes));
  const { envelope } = await openDocument(s.ctx.fernet(), served.bytes, where, s.ctx.maxDocumentBytes);
  checkBinding(envelope, { username: s.username, doc, version }, where);
  const data = envelope.sync?.kind === "change" ? (await rebuild(s, doc, version, envelope)).data : envelope.data;
  return {
    doc,
    version,
    data,
    deviceId: envelope.device_id,
    timestamp: envelope.timestamp,
    storedAt: served.storedAt === null ? null : new Date(served.storedAt).toISOString(),
  };
}

/** How many versions a change's version is rebuilt across (compaction keeps bases far closer). */
const MAX_REBUILD = 5000;

/** What both rebuilds read a document's entries with: its description, place, opener and rules. */
async function entryReader(s: UserSession, doc: string) {
  const where = describeDoc(s.username, doc);
  return {
    where,
    place: { username: s.username, doc },
    open: (bytes: Uint8Array) => openDocument(s.ctx.fernet(), bytes, where, s.ctx.maxDocumentBytes),
    rules: s.rules(doc, await s.doc(doc)),
  };
}

/** The nearest version at or after `version` that the history lists with a snapshot (Infinity: none). */
function snapshotFrom(versions: readonly VersionInfo[], version: number): number {
  return Math.min(...versions.filter((v) => v.version >= version && v.snapshot === true).map((v) => v.version));
}

/**
 * The document as of change `version`, from the nearest base the history lists: forwards from a
 * snapshot or whole version before it, or backwards from a snapshot after it when that is nearer
 * (or the base before it was folded into that snapshot). Each entry is checked where it was read.
 */
async function rebuild(s: UserSession, doc: string, version: number, last: Envelope): Promise<Stamped> {
  const where = describeDoc(s.username, doc);
  const versions = await listVersions(s, doc);
  const isBase = (v: VersionInfo) => v.snapshot === true || (v.kind ?? "whole") === "whole";
  const from = Math.max(...versions.filter((v) => v.version < version && isBase(v)).map((v) => v.version));
  const to = snapshotFrom(versions, version);
  const forward = Number.isFinite(from) && version - from <= MAX_REBUILD;
  if (Number.isFinite(to) && to - version <= MAX_REBUILD && (!forward || to - version < version - from)) {
    const back = await rebuildBackward(s, doc, version, to);
    if (back !== null) return back;
  }
  if (!forward) {
    throw new SyncError(
      "not_found",
      `Version ${version} of ${where} is a change whose earlier versions are no longer stored: it cannot be rebuilt.`,
    );
  }
  const snapshot = versions.find((v) => v.version === from)?.snapshot === true;
  return rebuildForward(s, doc, { from, snapshot, version, last });
}

/** Forwards: the base at `from` (a snapshot, or a whole version), and every change after it up to `version` joined in. */
async function rebuildForward(
  s: UserSession,
  doc: string,
  r: { from: number; snapshot: boolean; version: number; last: Envelope },
): Promise<Stamped> {
  const { where, place, open, rules } = await entryReader(s, doc);
  const gone = () =>
    new SyncError(
      "not_found",
      `Version ${r.version} of ${where} cannot be rebuilt: an entry before it is no longer stored.`,
    );
  const baseBytes = r.snapshot
    ? await s.ctx.api.getSnapshot(s.username, doc, r.from)
    : ((await s.ctx.api.getVersion(s.username, doc, r.from))?.bytes ?? null);
  if (baseBytes === null) throw gone();
  const opened = await open(baseBytes);
  checkBinding(
    opened.envelope,
    { ...place, version: r.from, ...(r.snapshot ? { kind: "snapshot" as const } : {}) },
    where,
  );
  let stamped = stampedFromEnvelope(opened.envelope, opened.tokenTimeMs, rules);
  for (let v = r.from + 1; v <= r.version; v++) {
    let change = r.last;
    if (v < r.version) {
      const served = await s.ctx.api.getVersion(s.username, doc, v);
      if (served === null) throw gone();
      change = (await open(served.bytes)).envelope;
      checkBinding(change, { ...place, version: v }, where);
      if (change.sync?.kind !== "change") throw gone();
    }
    stamped = applyWrites(stamped, checkWrites((change.data as { writes?: unknown } | null)?.writes), rules);
  }
  return stamped;
}

/**
 * Backwards: snapshot `target` (at or after `version`), with the undo of every change after
 * `version` up to it taken back (undo-writes.ts). Each change and the snapshot are checked where
 * they were read and chained by their hashes, so the content can only be what the writers sealed.
 * Null when a change between carries no undo (written by an earlier release), or is not stored.
 */
async function rebuildBackward(s: UserSession, doc: string, version: number, target: number): Promise<Stamped | null> {
  const { where, place, open, rules } = await entryReader(s, doc);
  // The changes after `version`, and the one the snapshot covers (its hash is the snapshot's base).
  const changes: Array<{ version: number; undo: unknown; hash: string }> = [];
  for (let v = Math.min(version + 1, target); v <= target; v++) {
    const served = await s.ctx.api.getVersion(s.username, doc, v);
    if (served === null) return null;
    const { envelope } = await open(served.bytes);
    checkBinding(envelope, { ...place, version: v }, where);
    if (envelope.sync?.kind !== "change") return null;
    const previous = changes.at(-1);
    if (previous !== undefined && envelope.sync.base !== previous.hash) {
      throw new SyncError(
        "fork_detected",
        `Change ${v} of ${where} does not follow version ${v - 1}. Nothing was restored.`,
      );
    }
    const undo = (envelope.data as { undo?: unknown } | null)?.undo;
    changes.push({ version: v, undo, hash: await tokenHash(served.bytes) });
  }
  const snapshot = await s.ctx.api.getSnapshot(s.username, doc, target);
  if (snapshot === null) return null;
  const { envelope, tokenTimeMs } = await open(snapshot);
  checkBinding(envelope, { ...place, version: target, kind: "snapshot" }, where);
  if (envelope.sync?.base !== changes.at(-1)?.hash) {
    throw new SyncError(
      "tamper_detected",
      `Snapshot ${target} of ${where} does not cover change ${target}. Nothing was restored.`,
    );
  }
  let stamped = stampedFromEnvelope(envelope, tokenTimeMs, rules);
  for (const change of changes.reverse()) {
    if (change.version <= version) continue;
    if (change.undo === undefined) return null;
    stamped = applyUndo(stamped, checkUndo(change.undo), rules);
  }
  return stamped;
}

/** Makes version `version`'s content the document's newest version. */
export async function rollback(s: UserSession, doc: string, version: number): Promise<RollbackResult> {
  const old = await getVersion(s, doc, version);
  const state = await s.doc(doc);
  const rules = s.rules(doc, state);
  const counter = await s.reserveCounter();
  const result = await s.writeDoc(doc, state, {
    build: (remote) => {
      // Differences from the current version become edits made now, so they win on every device.
      if (remote === null) return stamp(null, old.data, s.ctx.hlc.tick(), rules);
      s.ctx.hlc.observe(latestClock(remote.stamped));
      return stamp(remote.stamped, old.data, s.ctx.hlc.tick(), rules);
    },
    counter,
    always: true,
    blind: false,
  });
  // The base stays: the application's next sync sees no edit of its own and takes the restored content.
  markServer(state, result.stamped, result.version, result.hash);
  state.lastUpload = s.meta.lastUpload = s.now();
  return { doc, version: result.version, restoredFrom: version, data: result.stamped.data };
}

/** Every document of the user as it was at `atMs`: the newest version stored at or before then. */
export async function rollbackTo(s: UserSession, atMs: number): Promise<RollbackToOutcome[]> {
  const documents = await s.ctx.api.listDocuments(s.username);
  const outcomes: RollbackToOutcome[] = [];
  for (const { name } of [...documents].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const versions = await listVersions(s, name);
    const current = versions[0];
    if (current === undefined) continue;
    const target = versions.find((v) => Date.parse(v.updated_at) <= atMs);
    const oldest = versions[versions.length - 1]!;
    if (target === undefined) {
      outcomes.push({ doc: name, outcome: oldest.version > 1 ? "pruned" : "absent", version: current.version });
    } else if (target.version === current.version) {
      outcomes.push({ doc: name, outcome: "unchanged", version: current.version });
    } else {
      const done = await rollback(s, name, target.version);
      outcomes.push({
        doc: name,
        outcome: "restored",
        from: current.version,
        to: target.version,
        version: done.version,
      });
    }
  }
  return outcomes;
}

/**
 * Re-encrypts every document's current version under the first key of the session's fernet (the
 * new key), content and clocks unchanged. Returns the new version of each.
 */
export async function reencryptAll(s: UserSession): Promise<Array<{ doc: string; version: number }>> {
  const documents = await s.ctx.api.listDocuments(s.username);
  const done: Array<{ doc: string; version: number }> = [];
  for (const { name } of documents) {
    const state = await s.doc(name);
    const remote = await s.fetchRemote(name, state, false);
    if (remote === null) continue;
    const counter = await s.reserveCounter();
    const result = await s.writeDoc(
      name,
      state,
      { build: (r) => (r ?? remote).stamped, counter, always: true, blind: false },
      remote,
    );
    markServer(state, result.stamped, result.version, result.hash);
    done.push({ doc: name, version: result.version });
  }
  return done;
}
