/**
 * SyncManager: the Python module's CloudSyncManager (docs/PYTHON-DEVICES.md) in TypeScript idiom.
 * Upload, download and bidirectional sync of named documents, auto-sync, status, devices, history,
 * rollback, key rotation and account deletion, over the Worker's versioned API. Operations run one
 * at a time per manager.
 */
import { DEFAULT_MAX_DOCUMENT_BYTES } from "./wire/inflate.ts";
import { AutoSyncTimer, type AutoSyncState } from "./auto/timer.ts";
import { ServerClock } from "./sync/clock-skew.ts";
import { deriveAdminToken, deriveAuthToken, deriveCapabilityToken, tokenHash } from "./crypto/credential.ts";
import { SyncError } from "./errors.ts";
import { Fernet } from "./crypto/fernet.ts";
import { MultiFernet } from "./crypto/multi-fernet.ts";
import { HybridLogicalClock } from "./merge/hlc.ts";
import { ApiClient } from "./wire/api-client.ts";
import type { DeviceRecord, DocumentInfo } from "./wire/api-responses.ts";
import { LiveSubscription, type LiveStatus, type VersionAnnouncement } from "./wire/live.ts";
import { startLiveAutoSync } from "./auto/live-wake.ts";
import { runAutoSync, type AutoSync, type AutoSyncTarget } from "./auto/run.ts";
import * as history from "./sync/history.ts";
import { checkOptions, type SyncManagerOptions } from "./manager-options.ts";
import { checkJson } from "./merge/json-value.ts";
import { buildStatus, type SyncStatus } from "./manager-status.ts";
import {
  downloadDocument,
  replayQueue,
  syncDocument,
  editDocument,
  type EditResult,
  uploadDocument,
  type SyncResult,
  type UploadResult,
} from "./sync/transfers.ts";

export type { AutoSyncTarget } from "./auto/run.ts";
import type { Json } from "./merge/merge.ts";
import { defaultRulesFor } from "./merge/rules.ts";
import { appendWrites, assignmentWrites } from "./merge/register-writes.ts";
import { checkDeviceId, checkDocName, checkUsername, DEFAULT_DOC } from "./protocol/names.ts";
import { systemClock, type Store } from "./ports.ts";
import type { QueuedChange } from "./sync/queue.ts";
import { resolveConflict } from "./merge/resolve-conflict.ts";
import { stateKey, UserSession, type SyncContext } from "./sync/session.ts";
import { clearUser, loadDeviceClock, saveDeviceClock } from "./sync/state.ts";
import { deleteDoc } from "./sync/state-journal.ts";

export interface DocOption {
  /** The document; `default` (the one the Python module reads and writes) when omitted. */
  doc?: string;
}

/**
 * @example
 * const manager = await SyncManager.create({ url, key: process.env.FERNET_KEY, store, deviceId: "laptop" });
 * await manager.syncUpload("alice", { preferences: { theme: "dark" } });
 * const { data } = await manager.bidirectionalSync("alice", localData);
 */
export class SyncManager {
  readonly deviceId: string;
  readonly #options: SyncManagerOptions;
  readonly #store: Store;
  readonly #api: ApiClient;
  readonly #hlc: HybridLogicalClock;
  readonly #serverClock: ServerClock;
  readonly #ctx: SyncContext;
  readonly #tokens = new Map<string, Promise<string>>();
  readonly #adminTokens = new Map<string, Promise<string>>();
  #fernets: Fernet[];
  #fernet: MultiFernet;
  #credentialKey: string;
  #tail: Promise<unknown> = Promise.resolve();
  #auto: AutoSync | null = null;

  /** Checks the options (TypeError/RangeError before any I/O), imports the keys and resolves the device id. */
  static async create(options: SyncManagerOptions): Promise<SyncManager> {
    checkOptions(options);
    const keys = typeof options.key === "string" ? [options.key] : [...options.key];
    const backend = options.cryptoBackend === undefined ? {} : { backend: options.cryptoBackend };
    const fernets = await Promise.all(keys.map((k) => Fernet.create(k, backend)));
    const deviceId = checkDeviceId(typeof options.deviceId === "string" ? options.deviceId : await options.deviceId());
    const serverClock = new ServerClock(await loadDeviceClock(options.store));
    return new SyncManager(options, keys[0]!, fernets, deviceId, serverClock);
  }

  private constructor(
    options: SyncManagerOptions,
    credentialKey: string,
    fernets: Fernet[],
    deviceId: string,
    serverClock: ServerClock,
  ) {
    this.#options = options;
    this.#store = options.store;
    this.deviceId = deviceId;
    this.#credentialKey = credentialKey;
    this.#fernets = fernets;
    this.#fernet = new MultiFernet(fernets);
    this.#serverClock = serverClock;
    const clock = options.clock ?? systemClock;
    this.#hlc = new HybridLogicalClock(deviceId, { now: () => clock.now(), offsetMs: () => serverClock.offsetMs() });
    this.#api = new ApiClient({
      baseUrl: options.url,
      deviceId,
      token: (username) => this.#token(username),
      adminToken: (username) => this.#adminToken(username),
      clock,
      onServerDate: (server, local) => serverClock.observe(server, local),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.claimSecret === undefined ? {} : { claimSecret: options.claimSecret }),
    });
    const pythonCompatible = options.pythonCompatible ?? true;
    const given = options.rules;
    const rulesOf = typeof given === "function" ? given : (doc: string) => given?.[doc];
    this.#ctx = {
      api: this.#api,
      store: this.#store,
      fernet: () => this.#fernet,
      hlc: this.#hlc,
      clock,
      deviceId,
      maxAttempts: options.maxAttempts ?? 8,
      incremental: options.incremental ?? true,
      freshFeeds: new Set(),
      states: new Map(),
      maxDocumentBytes: options.maxDocumentBytes ?? DEFAULT_MAX_DOCUMENT_BYTES,
      backoff: options.backoff ?? {},
      rulesFor: (doc, declared) => rulesOf(doc) ?? declared ?? defaultRulesFor(doc),
      declaredRules: rulesOf,
      compressFor: (doc) => !(pythonCompatible && doc === DEFAULT_DOC),
    };
  }

  /** Uploads `data` as the document's new version (the previous one stays in history). */
  async syncUpload(username: string, data: Json, options: DocOption = {}): Promise<UploadResult> {
    const doc = this.#doc(options);
    checkJson(data);
    return this.#withUser(username, doc, (s) => uploadDocument(s, doc, data));
  }

  /**
   * The document's current data, or null when it does not exist. It does not change what the next
   * `bidirectionalSync` merges against, unless `adopt` says the application now holds exactly this
   * data (a file written from it): then it does, with the writers' own clocks, as auto-sync does.
   */
  async syncDownload(username: string, options: DocOption & { adopt?: boolean } = {}): Promise<Json | null> {
    const doc = this.#doc(options);
    return this.#withUser(username, doc, (s) => downloadDocument(s, doc, options.adopt === true));
  }

  /**
   * Merges `localData` with the server's copy against the last synced state (per key, later edit
   * wins by hybrid logical clock, merge rules for records and counters) and writes the result back
   * by compare-and-swap. Returns the merged data for the application to keep.
   */
  async bidirectionalSync(username: string, localData: Json, options: DocOption = {}): Promise<SyncResult> {
    const doc = this.#doc(options);
    checkJson(localData, "localData");
    return this.#withUser(username, doc, (s) => syncDocument(s, doc, localData));
  }

  /**
   * `bidirectionalSync` of several documents as one operation: with incremental sync, one read of
   * the changes feed serves them all, and each document that changed writes one change.
   */
  async syncDocuments(username: string, documents: Readonly<Record<string, Json>>): Promise<SyncResult[]> {
    const entries = Object.entries(documents).map(([doc, data]) => {
      checkJson(data, `documents.${doc}`);
      return [this.#doc({ doc }), data] as const;
    });
    return this.#withUser(username, undefined, async (s) => {
      const results: SyncResult[] = [];
      for (const [doc, data] of entries) results.push(await syncDocument(s, doc, data));
      return results;
    });
  }

  /**
   * `syncDownload` of several documents as one operation (with incremental sync, one read of the
   * changes feed serves them all): each document's current data, null when it does not exist.
   */
  async downloadDocuments(username: string, documents: readonly string[]): Promise<Record<string, Json | null>> {
    const names = documents.map((doc) => this.#doc({ doc }));
    return this.#withUser(username, undefined, async (s) => {
      // The named documents first: a large one not named (the memory) is fetched when it is asked for.
      s.wanted = new Set(names);
      const out: Record<string, Json | null> = {};
      for (const doc of names) out[doc] = await downloadDocument(s, doc, false);
      return out;
    });
  }

  /**
   * Appends `record` (an object with an `id`) to the `append` list at JSON pointer `path` of the
   * document, without handing over the whole state: the edit costs what it changes, in CPU and,
   * with incremental sync, on the wire (one change of about the record's size).
   *
   * @example await sync.append("alice", "memory", "/conversations", { id: "t-42", timestamp, text })
   */
  async append(username: string, doc: string, path: string, record: Json): Promise<EditResult> {
    const name = this.#doc({ doc });
    checkJson(record, "record");
    return this.#withUser(username, name, (s) =>
      editDocument(s, name, (hlc, rules) => appendWrites(path, record, hlc, rules)),
    );
  }

  /** Sets the value at JSON pointer `path` of the document (replacing what was there), as one small edit. */
  async set(username: string, doc: string, path: string, value: Json): Promise<EditResult> {
    const name = this.#doc({ doc });
    checkJson(value, "value");
    return this.#withUser(username, name, (s) =>
      editDocument(s, name, (hlc, rules) => assignmentWrites(path, value, hlc, rules)),
    );
  }

  /** The Python module's whole-document rule: the one with the later `timestamp` wins (local on a tie). */
  resolveConflict<T extends { timestamp?: string }>(local: T | null, cloud: T | null): T | null {
    return resolveConflict(local, cloud);
  }

  /** Starts syncing `target`'s documents every `intervalSeconds` (first run at once). Replaces a running auto-sync. */
  enableAutoSync(intervalSeconds: number, target: AutoSyncTarget): void {
    if (!Number.isFinite(intervalSeconds) || intervalSeconds <= 0)
      throw new RangeError("intervalSeconds must be a positive number");
    checkUsername(target?.username);
    if (typeof target.read !== "function" || typeof target.write !== "function")
      throw new TypeError("target needs read(doc) and write(doc, data)");
    const documents = (target.documents ?? this.#options.documents ?? [DEFAULT_DOC]).map((d) => this.#doc({ doc: d }));
    const previous = this.#auto;
    const timer = new AutoSyncTimer((requested) => this.#autoRun(requested), {
      intervalMs: intervalSeconds * 1000,
      ...(target.jitter === undefined ? {} : { jitter: target.jitter }),
      ...(target.maxBackoffSeconds === undefined ? {} : { maxBackoffMs: target.maxBackoffSeconds * 1000 }),
    });
    const live =
      target.live === false
        ? null
        : startLiveAutoSync({
            baseUrl: this.#options.url,
            username: target.username,
            deviceId: this.deviceId,
            token: () => this.#token(target.username),
            documents,
            wake: (doc) => timer.wake(doc),
            ...(this.#options.WebSocket === undefined ? {} : { WebSocket: this.#options.WebSocket }),
            ...(target.onLiveStatus === undefined
              ? {}
              : { onStatus: (status: LiveStatus) => target.onLiveStatus?.(status) }),
          });
    this.#auto = { timer, target, documents, intervalSeconds, live };
    previous?.live?.close();
    void previous?.timer.stop();
    timer.start();
  }

  /** Stops auto-sync; resolves once a run in progress has finished. */
  async disableAutoSync(): Promise<void> {
    const auto = this.#auto;
    this.#auto = null;
    auto?.live?.close();
    await auto?.timer.stop();
  }

  /** Asks auto-sync to run now (e.g. on a real-time announcement); false when auto-sync is off. */
  requestSync(doc?: string): boolean {
    if (this.#auto === null) return false;
    this.#auto.timer.wake(doc);
    return true;
  }

  /**
   * Listens for the user's new versions written by other devices (the live socket, reconnected with
   * back-off), for an application that syncs documents of its own choosing, such as a folder whose
   * files come and go. `close()` the subscription to stop.
   *
   * @example
   * const live = manager.liveVersions("alice", { onVersion: (a) => pullSoon(a.doc) });
   */
  liveVersions(
    username: string,
    listeners: { onVersion(announcement: VersionAnnouncement): void; onStatus?(status: LiveStatus): void },
  ): LiveSubscription {
    checkUsername(username);
    const live = new LiveSubscription({
      baseUrl: this.#options.url,
      username,
      deviceId: this.deviceId,
      token: () => this.#token(username),
      ...(this.#options.WebSocket === undefined ? {} : { WebSocket: this.#options.WebSocket }),
    });
    live.onVersion((announcement) => {
      if (announcement.device_id !== this.deviceId) listeners.onVersion(announcement);
    });
    if (listeners.onStatus !== undefined) live.onStatus(listeners.onStatus);
    live.start();
    return live;
  }

  /** Last upload, download and error per document, pending changes, auto-sync, and clocks off by over a minute. */
  async getSyncStatus(username: string): Promise<SyncStatus> {
    checkUsername(username);
    const auto = this.#auto !== null && this.#auto.target.username === username ? this.#auto : null;
    return buildStatus({
      store: this.#store,
      username,
      deviceId: this.deviceId,
      deviceName: this.#options.deviceName ?? null,
      deviceClock: this.#serverClock.snapshot(),
      auto: auto === null ? null : { intervalSeconds: auto.intervalSeconds, state: auto.timer.state },
    });
  }

  /** Claims the username for this key (`PUT /v1/users/:u`); `created` is false when it was already ours. */
  async claim(username: string): Promise<{ created: boolean }> {
    return this.#withUser(username, undefined, () => this.#api.claim(username));
  }

  async listDocuments(username: string): Promise<DocumentInfo[]> {
    return this.#withUser(username, undefined, (s) => this.#afterReplay(s, () => this.#api.listDocuments(username)));
  }

  async listDevices(username: string): Promise<DeviceRecord[]> {
    return this.#withUser(username, undefined, (s) =>
      this.#afterReplay(s, async () => {
        const devices = await this.#api.listDevices(username);
        for (const d of devices) if (d.name) s.meta.names[d.device_id] = d.name;
        return devices;
      }),
    );
  }

  /** Registers this device (or renames it) with a display name and platform. */
  async registerDevice(username: string, details: { name?: string; platform?: string } = {}): Promise<DeviceRecord> {
    const name = details.name ?? this.#options.deviceName ?? this.deviceId;
    const platform = details.platform ?? this.#options.platform ?? "unknown";
    return this.#withUser(username, undefined, async (s) => {
      const record = await this.#api.registerDevice(username, this.deviceId, { name, platform });
      s.meta.names[this.deviceId] = name;
      return record;
    });
  }

  async removeDevice(username: string, deviceId: string): Promise<void> {
    checkDeviceId(deviceId);
    return this.#withUser(username, undefined, () => this.#api.removeDevice(username, deviceId));
  }

  /**
   * The document's history, newest first. Each version is opened to show the writer's device id
   * sealed inside it (`envelope_device_id`) beside the one the server recorded from the request's
   * self-declared `X-Device-Id` (`device_id`); `device_mismatch` flags a difference.
   */
  async listVersions(username: string, options: DocOption = {}): Promise<history.HistoryEntry[]> {
    const doc = this.#doc(options);
    return this.#withUser(username, doc, (s) => this.#afterReplay(s, () => history.listHistory(s, doc)));
  }

  async getVersion(username: string, options: DocOption & { version: number }): Promise<history.VersionContent> {
    const doc = this.#doc(options);
    const version = checkVersion(options.version);
    return this.#withUser(username, doc, (s) => history.getVersion(s, doc, version));
  }

  /** Makes an earlier version's content the newest version of the document. */
  async rollback(username: string, options: DocOption & { version: number }): Promise<history.RollbackResult> {
    const doc = this.#doc(options);
    const version = checkVersion(options.version);
    return this.#withUser(username, doc, (s) => this.#afterReplay(s, () => history.rollback(s, doc, version)));
  }

  /** Every document as it was at `at` (ISO-8601 text or a Date). */
  async rollbackTo(username: string, at: string | Date): Promise<history.RollbackToOutcome[]> {
    const ms = at instanceof Date ? at.getTime() : typeof at === "string" ? Date.parse(at) : NaN;
    if (!Number.isFinite(ms)) throw new RangeError(`at must be an ISO-8601 time, got ${JSON.stringify(at)}`);
    return this.#withUser(username, undefined, (s) => this.#afterReplay(s, () => history.rollbackTo(s, ms)));
  }

  /**
   * Moves the credentials to `newKey` (with the admin token, which only this key's holder has), then
   * re-encrypts every document of the user under it (content unchanged, a new version each). The
   * move comes first: from then on the old key's tokens open nothing, so a thief holding the old key
   * cannot write between the re-encryption and the move. The server also revokes the capability
   * URL (`legacy-url` issues one for the new key). Afterwards this manager encrypts with `newKey`
   * and still reads the old key's history; other devices need the new FERNET_KEY.
   */
  async rotateKey(username: string, newKey: string): Promise<{ documents: Array<{ doc: string; version: number }> }> {
    if (typeof newKey !== "string" || newKey === "") throw new TypeError("newKey must be a Fernet key");
    const backend = this.#options.cryptoBackend === undefined ? {} : { backend: this.#options.cryptoBackend };
    const fresh = await Fernet.create(newKey, backend);
    const [newToken, newAdmin] = await Promise.all([
      deriveAuthToken(newKey, username),
      deriveAdminToken(newKey, username),
    ]);
    return this.#withUser(username, undefined, async (s) => {
      await this.#token(username); // pin the current credential: it opens the account until it is moved
      await replayQueue(s, true);
      await this.#api.putCredential(username, newToken, await tokenHash(newAdmin));
      this.#tokens.set(username, Promise.resolve(newToken));
      this.#adminTokens.set(username, Promise.resolve(newAdmin));
      this.#credentialKey = newKey;
      this.#fernets = [fresh, ...this.#fernets];
      this.#fernet = new MultiFernet(this.#fernets);
      return { documents: await history.reencryptAll(s) };
    });
  }

  /**
   * The capability URL's token (`<url>/legacy/<token>`, the Python module's CLOUD_SYNC_URL), derived
   * from the key and the server's token number: the current one, or with `rotate` (or when none is
   * active) the next, issued with the admin credential, after which the previous URL opens nothing.
   */
  async capabilityToken(
    username: string,
    options: { rotate?: boolean } = {},
  ): Promise<{ token: string; issued: boolean }> {
    return this.#withUser(username, undefined, async () => {
      const { generation, active } = await this.#api.capability(username);
      if (active && options.rotate !== true)
        return { token: await deriveCapabilityToken(this.#credentialKey, username, generation), issued: false };
      const token = await deriveCapabilityToken(this.#credentialKey, username, generation + 1);
      await this.#api.issueCapability(username, token, generation + 1);
      return { token, issued: true };
    });
  }

  /** Revokes the capability URL: nothing at `/legacy/<token>` opens the account until `capabilityToken` issues another. */
  async revokeCapability(username: string): Promise<void> {
    return this.#withUser(username, undefined, () => this.#api.revokeCapability(username));
  }

  /** Deletes the account, every document, version and device on the server, and this device's state for it. */
  async deleteAccount(username: string): Promise<void> {
    return this.#withUser(username, undefined, async (s) => {
      await this.#api.deleteAccount(username);
      s.discard();
      for (const key of [...this.#ctx.states.keys()])
        if (key.startsWith(stateKey(username, ""))) this.#ctx.states.delete(key);
      await clearUser(this.#store, username);
      this.#tokens.delete(username);
      this.#adminTokens.delete(username);
    });
  }

  /** Changes waiting in the offline queue, oldest first. */
  async pendingChanges(username: string): Promise<QueuedChange[]> {
    checkUsername(username);
    return this.#serial(async () => (await UserSession.open(this.#ctx, username)).queue.list());
  }

  /** Drops a queued change for good (one the server keeps refusing). */
  async discardPendingChange(username: string, seq: number): Promise<void> {
    checkUsername(username);
    return this.#serial(async () => (await UserSession.open(this.#ctx, username)).queue.remove(seq));
  }

  /** Forgets what this device knew of a document (its merge base and seen history), to start over after an integrity alarm. */
  async forgetDocument(username: string, options: DocOption = {}): Promise<void> {
    checkUsername(username);
    const doc = this.#doc(options);
    return this.#serial(() => {
      this.#ctx.states.delete(stateKey(username, doc));
      return deleteDoc(this.#store, username, doc);
    });
  }

  #doc(options: DocOption): string {
    const doc = checkDocName(options?.doc ?? DEFAULT_DOC);
    const selected = this.#options.documents;
    if (selected !== undefined && !selected.includes(doc)) {
      throw new SyncError(
        "invalid_config",
        `Document "${doc}" is not synced on this device (option documents: ${selected.join(", ")}).`,
      );
    }
    return doc;
  }

  #token(username: string): Promise<string> {
    return derivedOnce(this.#tokens, username, () => deriveAuthToken(this.#credentialKey, username));
  }

  /** The admin token (credential.ts): only for the admin routes; other requests carry its hash. */
  #adminToken(username: string): Promise<string> {
    return derivedOnce(this.#adminTokens, username, () => deriveAdminToken(this.#credentialKey, username));
  }

  /** Runs `fn` after every other operation of this manager: never two at once. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  #withUser<T>(username: string, doc: string | undefined, fn: (s: UserSession) => Promise<T>): Promise<T> {
    checkUsername(username);
    return this.#serial(async () => {
      const s = await UserSession.open(this.#ctx, username);
      try {
        return await fn(s);
      } catch (error) {
        if (error instanceof SyncError) s.recordError(doc, error, doc === undefined ? undefined : await s.doc(doc));
        throw error;
      } finally {
        await s.save();
        const clock = this.#serverClock.snapshot();
        if (clock !== null) await saveDeviceClock(this.#store, clock);
      }
    });
  }

  /** Queued changes go first on any operation that reaches the server; here a failure to replay them is left for the next transfer to report. */
  async #afterReplay<T>(s: UserSession, fn: () => Promise<T>): Promise<T> {
    try {
      await replayQueue(s, true);
    } catch {
      // Recorded on the queued change; a transfer will report it.
    }
    return fn();
  }

  #autoRun(requested: ReadonlySet<string> | null): Promise<boolean> {
    const auto = this.#auto;
    if (auto === null) return Promise.resolve(true);
    return runAutoSync(auto.target, auto.documents, requested, (doc, fn) =>
      this.#withUser(auto.target.username, doc, fn),
    );
  }

  /** Auto-sync's live socket: `open`, or `fallback` while it polls only; null when auto-sync or live is off. */
  get liveStatus(): LiveStatus | null {
    return this.#auto?.live?.status ?? null;
  }

  /** Auto-sync's timer state, or null when it is off. */
  get autoSyncState(): AutoSyncState | null {
    return this.#auto?.timer.state ?? null;
  }
}

function checkVersion(version: unknown): number {
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 1) {
    throw new RangeError(`version must be an integer >= 1, got ${JSON.stringify(version)}`);
  }
  return version;
}

/** A user's token from `cache`, derived from the key only the first time it is asked for. */
function derivedOnce(
  cache: Map<string, Promise<string>>,
  username: string,
  derive: () => Promise<string>,
): Promise<string> {
  let token = cache.get(username);
  if (token === undefined) {
    token = derive();
    cache.set(username, token);
  }
  return token;
}
