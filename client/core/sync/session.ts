// client/core/sync/: operations on a user's documents: transfers, history, the queue, integrity checks, state.
/**
 * One operation's view of one user: the stored state it reads and saves, and the two primitives
 * every operation is built from. `fetchRemote` reads a document and checks it (rollback, fork, key)
 * before anything is merged; `writeDoc` writes by compare-and-swap on the version, rebuilding the
 * content from the server's newest state after each 412, a bounded number of times.
 */
import { openDocument, sealDocument, stampedFromEnvelope } from "../wire/document-codec.ts";
import type { Envelope } from "../wire/envelope.ts";
import { SyncError } from "../errors.ts";
import type { MultiFernet } from "../crypto/multi-fernet.ts";
import type { HybridLogicalClock } from "../merge/hlc.ts";
import type { ApiClient } from "../wire/api-client.ts";
import { checkVersionNumber, recordSeen, tokenHash, verifyServed, type HistoryReader } from "./integrity.ts";
import { jsonEqual } from "../merge/json-value.ts";
import { latestClock, stamp, type Json, type MergeRules, type Stamped } from "../merge/merge.ts";
import type { Clock, Store } from "../ports.ts";
import { OfflineQueue, type BackoffOptions } from "./queue.ts";
import { pullChanges } from "./pull-changes.ts";
import { diffRegisters, type RegisterWrite } from "../merge/register-writes.ts";
import { undoOf } from "../merge/undo-writes.ts";
import { applyTracked } from "./lineage.ts";
import { loadDoc, loadDocRevision, saveDoc, type SavedDoc } from "./state-journal.ts";
import { DEFAULT_DOC } from "../protocol/names.ts";
import { MAX_CHANGE_BYTES } from "../protocol/change-frames.ts";
import {
  loadUserMeta,
  markServer,
  saveUserMeta,
  serverData,
  type DocState,
  type ErrorRecord,
  type UserMeta,
} from "./state.ts";

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
  /** The most a document may decompress to (maxDocumentBytes); past it, payload_too_large. */
  maxDocumentBytes: number;
  backoff: BackoffOptions;
  /** The rules a document merges by: this device's option, else what the document declares, else defaults. */
  rulesFor: (doc: string, declared: MergeRules | undefined) => MergeRules;
  /** Rules this device declares inside the document's envelope, if any (else it keeps what the document declares). */
  declaredRules: (doc: string) => MergeRules | undefined;
  /** Whether the document may be gzip-compressed (not the default one while Python devices share it). */
  compressFor: (doc: string) => boolean;
  /**
   * Whether reads go through the changes feed and edits travel as changes (docs/PROTOCOL.md
   * "Incremental sync"); `default` is always written whole, for Python devices.
   */
  incremental: boolean;
  /**
   * Users whose changes feed was pulled at the start of the current run over their documents
   * (auto-sync, syncDocuments): each document of the run reads from that pull, not from one of its own.
   */
  freshFeeds: Set<string>;
  /**
   * Document states as this manager last saved them, by `stateKey`, with what the save left in
   * the store (its revision among it): a later operation starts from the cached state instead of
   * reading and parsing the store again (a large document's state costs its size to load), when
   * the store's revision is still that one. Another process or tab sharing the store writes
   * another revision, so its saves are never shadowed. A state is cached only once saved, and
   * dropped when a save fails.
   */
  states: Map<string, { state: DocState; saved: SavedDoc }>;
}

/** The key of a document's state in `SyncContext.states`. */
export function stateKey(username: string, doc: string): string {
  return `${username}\n${doc}`;
}

/** The server's current version of a document, checked and decrypted. */
export interface Remote {
  version: number;
  hash: string;
  stamped: Stamped;
  /** Present when the token was read now (absent when a 304 confirmed the cached copy). */
  envelope?: Envelope;
  /** Read from the changes feed (state.server): a write may be a change on top of it. */
  fromFeed?: true;
}

export interface WritePlan {
  /** The content to write, given the server's current state (null: the document does not exist). */
  build: (remote: Remote | null) => Stamped;
  counter: number;
  /** Write even when the content equals the server's (an explicit upload, a re-encryption). */
  always: boolean;
  /** Try `If-Match` on the last known version before reading: for content that does not depend on the server's. */
  blind: boolean;
  /**
   * The content built includes the server's (a merge with it): in incremental mode it may travel
   * as a change, the registers that differ. An upload that replaces the server's content never does.
   */
  merged?: boolean;
  /** The registers the content built differs by from the server's, when the caller knows them (an edit by path). */
  writes?: RegisterWrite[];
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
  /** What the store holds of each document of `#docs`, which its save follows. */
  readonly #saved = new Map<string, SavedDoc>();
  #discarded = false;
  /** This session has pulled the changes feed already. */
  #pulled = false;
  /**
   * The documents this operation needs, when it names them (`downloadDocuments`): a pull leaves
   * another document's large token unfetched until an operation needs it (null: every document).
   */
  wanted: ReadonlySet<string> | null = null;

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
    const held = this.#docs.get(name);
    if (held !== undefined) return held;
    const cached = this.ctx.states.get(stateKey(this.username, name));
    const current =
      cached !== undefined && (await loadDocRevision(this.ctx.store, this.username, name)) === cached.saved.revision;
    const { state, saved } = current ? cached : await loadDoc(this.ctx.store, this.username, name);
    this.#docs.set(name, state);
    this.#saved.set(name, saved);
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
    if (this.#discarded) {
      for (const name of this.#docs.keys()) this.ctx.states.delete(stateKey(this.username, name));
      return;
    }
    this.meta.hlc = this.ctx.hlc.last;
    for (const [name, state] of this.#docs) {
      const key = stateKey(this.username, name);
      let saved: SavedDoc;
      try {
        saved = await saveDoc(this.ctx.store, this.username, name, state, this.#saved.get(name));
      } catch (error) {
        this.ctx.states.delete(key);
        this.#saved.delete(name);
        throw error;
      }
      this.#saved.set(name, saved);
      this.ctx.states.set(key, { state, saved });
    }
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
   * token bound to another user, document or version (`tamper_detected`), an unbound token past
   * versions that cannot be checked (`unverifiable_history`), a token this key cannot open
   * (`wrong_key`). With `useCache`, a 304 reuses the stored copy.
   */
  async fetchRemote(doc: string, state: DocState, useCache: boolean): Promise<Remote | null> {
    if (this.ctx.incremental) return this.#fromFeed(doc, state, useCache);
    const where = describeDoc(this.username, doc);
    const cached = serverData(state);
    const known = useCache && state.server !== null && cached !== null ? state.server : null;
    const served = await this.ctx.api.getDocument(
      this.username,
      doc,
      known === null ? {} : { ifNoneMatch: known.version },
    );
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
    const { envelope, tokenTimeMs } = await openDocument(
      this.ctx.fernet(),
      served.bytes,
      where,
      this.ctx.maxDocumentBytes,
    );
    const place = { username: this.username, doc, version: served.version, kind: "whole" as const };
    const chain = await verifyServed(state.integrity, place, where, { hash, envelope }, this.historyOf(doc));
    if (chain === "unverifiable" && state.integrity !== undefined) {
      state.unverified = { from: state.integrity.newest, to: served.version, at: this.now() };
    }
    state.integrity = recordSeen(state.integrity, served.version, hash);
    if (envelope.sync?.rules !== undefined) state.declaredRules = envelope.sync.rules;
    else if (envelope.sync !== undefined) delete state.declaredRules;

    if (served.storedAt !== null) {
      this.meta.peers[envelope.device_id] = { skewMs: tokenTimeMs - served.storedAt, at: this.now() };
    }
    // Dated by what the token itself says (its clocks, or a Python upload's timestamp), never by
    // the server's Last-Modified or this device's clock: served content is not "new" for arriving now.
    const stamped = stampedFromEnvelope(envelope, tokenTimeMs, this.rules(doc, state));
    if (envelope.sync !== undefined) this.ctx.hlc.observe(envelope.sync.hlc);
    this.ctx.hlc.observe(latestClock(stamped));
    markServer(state, stamped, served.version, hash);
    return { version: served.version, hash, stamped, envelope };
  }

  /** The document as the changes feed left it, after pulling everything new for the whole account. */
  async #fromFeed(doc: string, state: DocState, useCache: boolean): Promise<Remote | null> {
    // A document the operation did not name (a queued change replayed first) is wanted now, and
    // read again if an earlier pull of this session left it pending.
    if (this.wanted !== null && !this.wanted.has(doc)) this.wanted = new Set([...this.wanted, doc]);
    const pending = this.meta.pending?.[doc] !== undefined;
    // One pull per session or run: a later read pulls again only after a lost race (useCache false).
    if (!useCache || pending || !(this.#pulled || this.ctx.freshFeeds.has(this.username))) await this.pull();
    const data = serverData(state);
    if (state.server === null || data === null) {
      if (state.deletedAt !== undefined && state.integrity !== undefined && state.base !== null) {
        throw new SyncError(
          "rollback_detected",
          `The server no longer has ${describeDoc(this.username, doc)}, which this device saw at version ${state.integrity.newest}: it was deleted ` +
            "(from another device?) or the server lost it. Nothing was merged; forget the document on this device to start over.",
        );
      }
      return null;
    }
    return { version: state.server.version, hash: state.server.hash, stamped: data, fromFeed: true };
  }

  /**
   * This device's own write took sequence number `seq`: right after the cursor, nothing came
   * between, so the cursor moves past it and the next read does not bring it back.
   */
  #wrote(seq: number): void {
    if (!this.ctx.incremental || this.meta.cursor === undefined || seq !== this.meta.cursor + 1) return;
    this.meta.cursor = seq;
    this.meta.headSeen = Math.max(this.meta.headSeen ?? 0, seq);
  }

  /** Pulls everything new from the changes feed into the documents' states. */
  async pull(): Promise<void> {
    await pullChanges(this);
    this.#pulled = true;
  }

  /** What the fork check may read of `doc`'s history on the server. */
  historyOf(doc: string): HistoryReader {
    const where = describeDoc(this.username, doc);
    return {
      readVersion: async (version) => (await this.ctx.api.getVersion(this.username, doc, version))?.bytes ?? null,
      open: async (bytes) => (await openDocument(this.ctx.fernet(), bytes, where, this.ctx.maxDocumentBytes)).envelope,
    };
  }

  /** Writes by compare-and-swap, rebuilding from the server's newest state after each lost race. */
  async writeDoc(doc: string, state: DocState, plan: WritePlan, initial?: Remote | null): Promise<WriteResult> {
    const where = describeDoc(this.username, doc);
    let remote: Remote | null;
    if (initial !== undefined) remote = initial;
    else if (plan.blind && state.server !== null && serverData(state) !== null) {
      remote = { version: state.server.version, hash: state.server.hash, stamped: serverData(state)! };
    } else remote = await this.fetchRemote(doc, state, true);

    // The number a create gets: 1, unless a delete took numbers (the server's 412 then says which).
    let createAs = (state.deletedAt ?? 0) + 1;
    for (let attempt = 1; attempt <= this.ctx.maxAttempts; attempt++) {
      // A device without rules of its own declares on what the document declared, so rules one
      // device set stay with the document whoever writes next, and every device merges alike.
      const declared = this.ctx.declaredRules(doc) ?? state.declaredRules;
      const asChange = remote?.fromFeed === true && plan.merged === true && doc !== DEFAULT_DOC;
      // An edit that names its registers travels without building the whole content first: that
      // happens once it landed, in place when it can (register-writes.ts), in time of the edit's size.
      const named = asChange && plan.writes !== undefined;
      let next = named ? undefined : plan.build(remote);
      if (next !== undefined && !plan.always && remote !== null && jsonEqual(next.data, remote.stamped.data)) {
        return { stamped: next, version: remote.version, hash: remote.hash, wrote: false };
      }
      // Compare-and-swap on version n makes this write n + 1: the number sealed in the token, and
      // named to the server (X-Sync-Version), which stores it as exactly that version or not at all.
      const version = remote === null ? createAs : remote.version + 1;
      if (asChange && remote !== null) {
        const base = remote;
        const built = next;
        const written = await this.writeChange(doc, state, {
          remote: base,
          writes: plan.writes ?? diffRegisters(base.stamped, built!, this.rules(doc, state)),
          next: () => built ?? this.#applied(doc, state, base.stamped, plan.writes!),
          version,
          counter: plan.counter,
          declared,
        });
        if (written === "lost") {
          remote = await this.fetchRemote(doc, state, false);
          continue;
        }
        if (written !== "whole") return written;
      }
      next ??= plan.build(remote);
      const token = await sealDocument(this.ctx.fernet(), this.ctx.clock, {
        username: this.username,
        doc,
        version,
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
        version,
      );
      if (outcome.ok) {
        const hash = await tokenHash(token);
        state.integrity = recordSeen(state.integrity, outcome.info.version, hash);
        if (outcome.seq !== undefined) this.#wrote(outcome.seq);
        return { stamped: next, version: outcome.info.version, hash, wrote: true };
      }
      if (outcome.currentVersion !== null) checkVersionNumber(state.integrity, where, outcome.currentVersion);
      if (outcome.nextVersion !== null) createAs = outcome.nextVersion;
      remote = await this.fetchRemote(doc, state, false);
    }
    throw new SyncError(
      "conflict",
      `${where} kept changing on the server during ${this.ctx.maxAttempts} compare-and-swap attempts; nothing was written. Try again.`,
    );
  }

  /**
   * Writes `writes`, the registers that turn the server's state into `next`, as a change sealed as
   * `version` and chained to the server's version. "whole" when the change would not be small (the
   * caller writes the document whole instead); "lost" when another write came first.
   */
  async writeChange(
    doc: string,
    state: DocState,
    w: {
      remote: Remote;
      writes: RegisterWrite[];
      /** The content once the change landed (called only then). */
      next: () => Stamped;
      version: number;
      counter: number;
      declared: MergeRules | undefined;
    },
  ): Promise<WriteResult | "lost" | "whole"> {
    const { writes } = w;
    // What the change replaces, so history can be rebuilt backwards across it (undo-writes.ts).
    const undo = undoOf(w.remote.stamped, writes, this.rules(doc, state));
    const token = await sealDocument(this.ctx.fernet(), this.ctx.clock, {
      username: this.username,
      doc,
      version: w.version,
      deviceId: this.ctx.deviceId,
      stamped: { data: { writes, undo } as unknown as Json, clocks: {} },
      base: w.remote.hash,
      counter: w.counter,
      hlc: this.ctx.hlc.tick(),
      rules: w.declared,
      compress: false,
      kind: "change",
    });
    if (token.length > MAX_CHANGE_BYTES) return "whole";
    const outcome = await this.ctx.api.postChange(this.username, doc, token, w.version, true);
    if (!outcome.ok) {
      if (outcome.currentVersion !== null) {
        checkVersionNumber(state.integrity, describeDoc(this.username, doc), outcome.currentVersion);
      }
      return "lost";
    }
    const hash = await tokenHash(token);
    state.integrity = recordSeen(state.integrity, w.version, hash);
    this.#wrote(outcome.seq);
    const next = w.next();
    if (outcome.compact !== null) await this.#compact(doc, { ...w, next, hash });
    return { stamped: next, version: w.version, hash, wrote: true };
  }

  /**
   * `writes` joined into `stamped`, the document's server state, once they landed: in place when
   * the writes allow it, as nothing needs the state before the edit any more (the edit's caller
   * makes the result both the server's state and the application's base).
   */
  #applied(doc: string, state: DocState, stamped: Stamped, writes: RegisterWrite[]): Stamped {
    return applyTracked(stamped, writes, this.rules(doc, state), true);
  }

  /**
   * Writes snapshot `version`: the whole state after the change just written, chained to it. Its
   * failure fails nothing: the document stays correct, only larger, and the next write asks again.
   */
  async #compact(
    doc: string,
    w: { next: Stamped; version: number; counter: number; declared: MergeRules | undefined; hash: string },
  ): Promise<void> {
    try {
      const token = await sealDocument(this.ctx.fernet(), this.ctx.clock, {
        username: this.username,
        doc,
        version: w.version,
        deviceId: this.ctx.deviceId,
        stamped: w.next,
        base: w.hash,
        counter: w.counter,
        hlc: this.ctx.hlc.tick(),
        rules: w.declared,
        compress: this.ctx.compressFor(doc),
        kind: "snapshot",
      });
      await this.ctx.api.putSnapshot(this.username, doc, w.version, token);
    } catch {
      // Left for the next write's X-Sync-Compact.
    }
  }
}
