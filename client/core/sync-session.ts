/**
 * One operation's view of one user: the stored state it reads and saves, and the two primitives
 * every operation is built from. `fetchRemote` reads a document and checks it (rollback, fork, key)
 * before anything is merged; `writeDoc` writes by compare-and-swap on the version, rebuilding the
 * content from the server's newest state after each 412, a bounded number of times.
 */
import { openDocument, sealDocument, stampedFromEnvelope, wholeAt } from "./document-codec.ts";
import type { Envelope } from "./envelope.ts";
import { SyncError } from "./errors.ts";
import type { MultiFernet } from "./fernet.ts";
import { isHlc, parseHlc, type HybridLogicalClock } from "./hlc.ts";
import type { ApiClient } from "./http.ts";
import { chainForkError, chainStatus, checkServed, checkVersionNumber, recordSeen, tokenHash, type IntegrityRecord } from "./integrity.ts";
import { jsonEqual } from "./json-value.ts";
import { latestClock, stamp, type Json, type MergeRules, type Stamped } from "./merge.ts";
import type { Clock, Store } from "./ports.ts";
import { OfflineQueue, type BackoffOptions } from "./queue.ts";
import {
  loadDocState,
  loadUserMeta,
  markServer,
  saveDocState,
  saveUserMeta,
  serverData,
  type DocState,
  type ErrorRecord,
  type UserMeta,
} from "./sync-state.ts";

/** What the manager lends each operation. */
export interface SyncContext {
  api: ApiClient;
  store: Store;
  fernet: () => MultiFernet;
  hlc: HybridLogicalClock;
  clock: Clock;
  deviceId: string;
  /** Compare-and-swap attempts per write before giving up with `conflict`. */
  maxAttempts: number;
  backoff: BackoffOptions;
  /** The rules a document merges by: this device's option, else what the document declares, else defaults. */
  rulesFor: (doc: string, declared: MergeRules | undefined) => MergeRules;
  /** Rules this device declares inside the document's envelope, if any. */
  declaredRules: (doc: string) => MergeRules | undefined;
  /** Whether the document may be gzip-compressed (not the default one while Python devices share it). */
  compressFor: (doc: string) => boolean;
}

/** The server's current version of a document, checked and decrypted. */
export interface Remote {
  version: number;
  hash: string;
  stamped: Stamped;
  /** Present when the token was read now (absent when a 304 confirmed the cached copy). */
  envelope?: Envelope;
}

export interface WritePlan {
  /** The content to write, given the server's current state (null: the document does not exist). */
  build: (remote: Remote | null) => Stamped;
  counter: number;
  /** Write even when the content equals the server's (an explicit upload, a re-encryption). */
  always: boolean;
  /** Try `If-Match` on the last known version before reading: for content that does not depend on the server's. */
  blind: boolean;
}

export interface WriteResult {
  stamped: Stamped;
  version: number;
  hash: string;
  /** False when the server already had this content and nothing was written. */
  wrote: boolean;
}

export function describeDoc(username: string, doc: string): string {
  return `document "${doc}" of ${username}`;
}

export class UserSession {
  readonly ctx: SyncContext;
  readonly username: string;
  readonly meta: UserMeta;
  readonly queue: OfflineQueue;
  readonly #docs = new Map<string, DocState>();
  #discarded = false;

  private constructor(ctx: SyncContext, username: string, meta: UserMeta) {
    this.ctx = ctx;
    this.username = username;
    this.meta = meta;
    this.queue = new OfflineQueue(ctx.store, username, ctx.backoff);
  }

  static async open(ctx: SyncContext, username: string): Promise<UserSession> {
    const meta = await loadUserMeta(ctx.store, username);
    if (meta.hlc !== "") ctx.hlc.observe(meta.hlc);
    return new UserSession(ctx, username, meta);
  }

  /** The document's state, loaded once per session and saved by `save()`. */
  async doc(name: string): Promise<DocState> {
    let state = this.#docs.get(name);
    if (state === undefined) {
      state = await loadDocState(this.ctx.store, this.username, name);
      this.#docs.set(name, state);
    }
    return state;
  }

  /** Takes the next write counter and persists it first, so no two writes of this device ever share one. */
  async reserveCounter(): Promise<number> {
    this.meta.counter += 1;
    this.meta.hlc = this.ctx.hlc.last;
    await saveUserMeta(this.ctx.store, this.username, this.meta);
    return this.meta.counter;
  }

  now(): string {
    return new Date(this.ctx.clock.now()).toISOString();
  }

  recordError(doc: string | undefined, error: SyncError, state?: DocState): void {
    const record: ErrorRecord = { at: this.now(), code: error.code, message: error.message };
    if (doc !== undefined) record.doc = doc;
    this.meta.lastError = record;
    if (state !== undefined) state.lastError = record;
  }

  /** Nothing of this session is saved any more (the user's state was deleted). */
  discard(): void {
    this.#discarded = true;
  }

  async save(): Promise<void> {
    if (this.#discarded) return;
    this.meta.hlc = this.ctx.hlc.last;
    for (const [name, state] of this.#docs) await saveDocState(this.ctx.store, this.username, name, state);
    await saveUserMeta(this.ctx.store, this.username, this.meta);
  }

  /** Stamps the application's data as an edit of the document's base, at a fresh tick of the clock. */
  stampEdit(state: DocState, doc: string, data: Json): Stamped {
    if (state.base !== null) this.ctx.hlc.observe(latestClock(state.base));
    return stamp(state.base, data, this.ctx.hlc.tick(), this.rules(doc, state));
  }

  rules(doc: string, state: DocState): MergeRules {
    return this.ctx.rulesFor(doc, state.declaredRules);
  }

  /**
   * Reads the document's current version and checks it before anything merges it: an older
   * version than seen (`rollback_detected`), a history that does not chain (`fork_detected`), a
   * token this key cannot open (`wrong_key`). With `useCache`, a 304 reuses the stored copy.
   */
  async fetchRemote(doc: string, state: DocState, useCache: boolean): Promise<Remote | null> {
    const where = describeDoc(this.username, doc);
    const cached = serverData(state);
    const known = useCache && state.server !== null && cached !== null ? state.server : null;
    const served = await this.ctx.api.getDocument(this.username, doc, known === null ? {} : { ifNoneMatch: known.version });
    if (served === "not_modified" && known !== null && cached !== null) {
      return { version: known.version, hash: known.hash, stamped: cached };
    }
    if (served === "not_modified") return this.fetchRemote(doc, state, false);
    if (served === null) {
      if (state.integrity !== undefined) {
        throw new SyncError(
          "rollback_detected",
          `The server no longer has ${where}, which this device saw at version ${state.integrity.newest}: it was deleted ` +
            "(from another device?) or the server lost it. Nothing was merged; forget the document on this device to start over.",
        );
      }
      return null;
    }
    checkVersionNumber(state.integrity, where, served.version);
    const hash = await tokenHash(served.bytes);
    const { envelope, tokenTimeMs } = await openDocument(this.ctx.fernet(), served.bytes, where);
    const shown = { version: served.version, hash, base: envelope.sync?.base };
    checkServed(state.integrity, where, shown);
    let status = chainStatus(state.integrity, shown);
    if (status === "chains" && state.integrity !== undefined && served.version > state.integrity.newest + 1) {
      // Versions this device never saw lie in between: its base proves nothing until they chain too.
      if (!(await this.#chainsAcrossGap(doc, state.integrity, served.version, served.bytes, shown.base))) status = "break";
    }
    if (status === "break") {
      if (!(await this.#isRestoredCopy(doc, served.version, served.bytes.length, hash))) throw chainForkError(where, served.version);
      status = "copy";
    }
    state.integrity = recordSeen(state.integrity, served.version, hash);
    if (envelope.sync?.rules !== undefined) state.declaredRules = envelope.sync.rules;
    else if (envelope.sync !== undefined) delete state.declaredRules;

    const storedAt = served.storedAt ?? this.ctx.clock.now();
    if (served.storedAt !== null && status !== "copy") {
      this.meta.peers[envelope.device_id] = { skewMs: tokenTimeMs - served.storedAt, at: this.now() };
    }
    // A restored copy says "the document is now exactly this": newer than anything the server had
    // before it (Last-Modified has whole seconds, so the clocks of the replaced state set the floor).
    const replaced = serverData(state);
    const restoredAt = replaced === null ? storedAt : Math.max(storedAt, wallMs(latestClock(replaced)) + 1);
    const stamped =
      status === "copy"
        ? wholeAt(envelope.data, restoredAt, served.deviceId ?? envelope.device_id, this.rules(doc, state))
        : stampedFromEnvelope(envelope, storedAt, this.rules(doc, state));
    if (envelope.sync !== undefined) this.ctx.hlc.observe(envelope.sync.hlc);
    this.ctx.hlc.observe(latestClock(stamped));
    markServer(state, stamped, served.version, hash);
    return { version: served.version, hash, stamped, envelope };
  }

  /**
   * True when every version from the newest this device saw up to `version` was written on top of
   * the one before it (or is a restored copy): a server that shows this device another history
   * than the one it saw is caught even when other devices wrote several versions in between.
   * Versions pruned from the history end the walk (nothing is left to check against).
   */
  async #chainsAcrossGap(doc: string, record: IntegrityRecord, version: number, bytes: Uint8Array, base: string | null | undefined): Promise<boolean> {
    const where = describeDoc(this.username, doc);
    let later = { version, bytes, base };
    for (let v = version - 1; v >= record.newest; v--) {
      const seen = v === record.newest ? record.seen.find(([n]) => n === v)?.[1] : undefined;
      const old = seen === undefined ? await this.ctx.api.getVersion(this.username, doc, v) : null;
      if (seen === undefined && old === null) return true;
      const hash = seen ?? (await tokenHash(old!.bytes));
      // A writer without `sync.base` (a Python device) cannot be checked; a restored copy points further back.
      const linked = later.base === undefined || later.base === hash || (await this.#isRestoredCopy(doc, later.version, later.bytes.length, await tokenHash(later.bytes)));
      if (!linked) return false;
      if (old === null) return true;
      later = { version: v, bytes: old.bytes, base: (await openDocument(this.ctx.fernet(), old.bytes, where)).envelope.sync?.base };
    }
    return true;
  }

  /**
   * True when `hash` is also the hash of an earlier version in the history: the server's restore
   * route (which the dashboard uses) copies an old token unchanged, so its base points further back.
   * Versions of another size are skipped unread.
   */
  async #isRestoredCopy(doc: string, version: number, size: number, hash: string): Promise<boolean> {
    const versions = await this.ctx.api.listVersions(this.username, doc);
    for (const v of versions) {
      if (v.version >= version || v.size !== size) continue;
      const old = await this.ctx.api.getVersion(this.username, doc, v.version);
      if (old !== null && (await tokenHash(old.bytes)) === hash) return true;
    }
    return false;
  }

  /** Writes by compare-and-swap, rebuilding from the server's newest state after each lost race. */
  async writeDoc(doc: string, state: DocState, plan: WritePlan, initial?: Remote | null): Promise<WriteResult> {
    const where = describeDoc(this.username, doc);
    let remote: Remote | null;
    if (initial !== undefined) remote = initial;
    else if (plan.blind && state.server !== null && serverData(state) !== null) {
      remote = { version: state.server.version, hash: state.server.hash, stamped: serverData(state)! };
    } else remote = await this.fetchRemote(doc, state, true);

    for (let attempt = 1; attempt <= this.ctx.maxAttempts; attempt++) {
      const next = plan.build(remote);
      if (!plan.always && remote !== null && jsonEqual(next.data, remote.stamped.data)) {
        return { stamped: next, version: remote.version, hash: remote.hash, wrote: false };
      }
      const declared = this.ctx.declaredRules(doc);
      const token = await sealDocument(this.ctx.fernet(), this.ctx.clock, {
        username: this.username,
        deviceId: this.ctx.deviceId,
        stamped: next,
        base: remote?.hash ?? null,
        counter: plan.counter,
        hlc: this.ctx.hlc.tick(),
        rules: declared,
        compress: this.ctx.compressFor(doc),
      });
      const outcome = await this.ctx.api.putDocument(
        this.username,
        doc,
        token,
        remote === null ? { ifNoneMatch: "*" } : { ifMatch: remote.version },
      );
      if (outcome.ok) {
        const hash = await tokenHash(token);
        state.integrity = recordSeen(state.integrity, outcome.info.version, hash);
        return { stamped: next, version: outcome.info.version, hash, wrote: true };
      }
      if (outcome.currentVersion !== null) checkVersionNumber(state.integrity, where, outcome.currentVersion);
      remote = await this.fetchRemote(doc, state, false);
    }
    throw new SyncError(
      "conflict",
      `${where} kept changing on the server during ${this.ctx.maxAttempts} compare-and-swap attempts; nothing was written. Try again.`,
    );
  }
}

/** The wall time (ms) inside an HLC; 0 for the minimum clock of data with no known time. */
function wallMs(hlc: string): number {
  return isHlc(hlc) ? parseHlc(hlc).ms : 0;
}
