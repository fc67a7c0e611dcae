/**
 * A simulated device for the reliability suites: a real SyncManager (own store, own skewed clock,
 * own network switch) and the application's copy of each document, which it edits with unique
 * values and hands to `bidirectionalSync` as an application would. It logs every edit a sync
 * acknowledged (or queued) with the merge clock the edit got, and fails at once when a sync drops
 * an edit for an older one.
 */
import { SyncError, type SyncErrorCode } from "../../../client/core/errors.ts";
import { isTransientError } from "../../../client/core/errors.ts";
import { isJsonObject, type Json, type JsonObject } from "../../../client/core/merge/json-value.ts";
import { SyncManager } from "../../../client/core/manager.ts";
import type { SyncManagerOptions } from "../../../client/core/manager-options.ts";
import { isRecordList } from "../../../client/core/merge/records.ts";
import { MemoryStore, type Clock, type FetchLike, type Store } from "../../../client/core/ports.ts";
import type { QueuedChange } from "../../../client/core/sync/queue.ts";
import type { DocState, UserMeta } from "../../../client/core/sync/state.ts";
import { nodeCryptoBackend } from "../../../client/node/crypto-backend.ts";
import { clockAt, diffLeaves, showsEdit, type HandedEdit } from "./doc-model.ts";

export type Op =
  | { kind: "set"; doc: string; path: readonly string[] }
  | { kind: "delete"; doc: string; path: readonly string[] }
  | { kind: "addRecord"; doc: string; list: string }
  | { kind: "dropRecord"; doc: string; list: string; pick: number };

export interface DeviceSetup {
  url: string;
  username: string;
  key: string;
  id: string;
  /** This device's clock minus real time, in ms. */
  skewMs: number;
  store?: Store;
  /** Called before every request; the device's own offline switch comes first. */
  fetch?: FetchLike;
  /** Shared extra time (ms) added to every device's clock, to step past a Retry-After. */
  advance?: () => number;
  extra?: Partial<SyncManagerOptions>;
}

export type SyncOutcome = "synced" | "queued" | "refused";

export class SimDevice {
  readonly id: string;
  readonly username: string;
  manager: SyncManager;
  readonly store: Store;
  readonly clock: Clock;
  readonly acked: HandedEdit[] = [];
  /** SyncError codes met, with how often. */
  readonly errors: Record<string, number> = {};
  online = true;
  readonly #setup: DeviceSetup;
  readonly #app = new Map<string, JsonObject>();
  /** What the application held when its last sync returned or queued: what the manager's base is. */
  readonly #synced = new Map<string, JsonObject>();
  #n = 0;

  private constructor(setup: DeviceSetup, manager: SyncManager, store: Store, clock: Clock) {
    this.#setup = setup;
    this.id = setup.id;
    this.username = setup.username;
    this.manager = manager;
    this.store = store;
    this.clock = clock;
  }

  static async create(setup: DeviceSetup): Promise<SimDevice> {
    const store = setup.store ?? new MemoryStore();
    const advance = setup.advance ?? (() => 0);
    const clock: Clock = { now: () => Date.now() + setup.skewMs + advance() };
    const holder: { device?: SimDevice } = {};
    const device = new SimDevice(
      setup,
      await openManager(setup, store, clock, () => holder.device?.online !== false),
      store,
      clock,
    );
    holder.device = device;
    return device;
  }

  /** The application restarts: a new manager on the same store; the application keeps its copies. */
  async restart(): Promise<void> {
    this.manager = await openManager(this.#setup, this.store, this.clock, () => this.online);
  }

  /** The application's copy of `doc`. */
  data(doc: string): JsonObject {
    return this.#app.get(doc) ?? {};
  }

  /** Edits the application's copy; every value written is unique to this device and edit. */
  apply(op: Op): void {
    const data = this.data(op.doc);
    this.#n += 1;
    const unique = `${this.id}#${this.#n}`;
    if (op.kind === "set") this.#app.set(op.doc, setPath(data, op.path, unique));
    else if (op.kind === "delete") this.#app.set(op.doc, setPath(data, op.path, undefined));
    else {
      const current = data[op.list];
      const records = current !== undefined && isRecordList(current) ? current : [];
      const next =
        op.kind === "addRecord"
          ? [...records, { id: unique, ts: this.clock.now(), text: `turn ${this.#n}` }]
          : records.filter((_, i) => records.length === 0 || i !== op.pick % records.length);
      this.#app.set(op.doc, { ...data, [op.list]: next });
    }
  }

  /**
   * Hands the application's copy to `bidirectionalSync` and logs what it acknowledged. A `network`
   * failure must have queued the change (its clocks are read from the queue); codes in `refused`
   * leave the application's copy for the next sync; any other error fails the caller.
   */
  async sync(doc: string, refused: readonly SyncErrorCode[] = []): Promise<SyncOutcome> {
    const local = this.data(doc);
    const handed = diffLeaves(this.#synced.get(doc) ?? {}, local);
    const before = (await this.#meta()).hlc;
    const lastQueued = (await this.#queued()).at(-1)?.counter ?? 0;
    try {
      const result = await this.manager.bidirectionalSync(this.username, local, { doc });
      if (!isJsonObject(result.data))
        throw new Error(`${this.id}: sync of ${doc} returned ${JSON.stringify(result.data)}`);
      const clocks = (await this.docState(doc)).base?.clocks ?? {};
      for (const leaf of handed) {
        const edit: HandedEdit = { device: this.id, doc, path: leaf.path, value: leaf.value };
        if (showsEdit(result.data, edit)) {
          this.acked.push({ ...edit, clock: clockAt(clocks, leaf.path) });
        } else if (!(clockAt(clocks, leaf.path) > before)) {
          // The edit was stamped after `before`; only a write with a later clock may replace it.
          throw new Error(
            `${this.id}: sync of ${doc} dropped its edit of ${leaf.path} for a write at ${clockAt(clocks, leaf.path)}, older than ${before}`,
          );
        }
      }
      this.#app.set(doc, result.data);
      this.#synced.set(doc, result.data);
      return "synced";
    } catch (error) {
      if (!(error instanceof SyncError)) throw error;
      this.errors[error.code] = (this.errors[error.code] ?? 0) + 1;
      if (error.code === "network") {
        // Sequence numbers restart once the queue drains, so the new entry is the one with a new counter.
        const entry = (await this.#queued()).at(-1);
        if (entry === undefined || entry.counter <= lastQueued || entry.doc !== doc) {
          throw new Error(`${this.id}: a network failure of ${doc} queued nothing`, { cause: error });
        }
        for (const leaf of handed) {
          const edit: HandedEdit = { device: this.id, doc, path: leaf.path, value: leaf.value };
          if (!showsEdit(entry.change.data, edit))
            throw new Error(`${this.id}: the queued change of ${doc} lacks ${leaf.path}`);
          this.acked.push({ ...edit, clock: clockAt(entry.change.clocks, leaf.path) });
        }
        this.#synced.set(doc, local);
        return "queued";
      }
      if (refused.includes(error.code)) return "refused";
      throw error;
    }
  }

  /** A download to look: it must succeed, fail in transit, or fail with one of `refused`. */
  async download(doc: string, refused: readonly SyncErrorCode[] = []): Promise<Json | null | undefined> {
    try {
      return await this.manager.syncDownload(this.username, { doc });
    } catch (error) {
      if (!(error instanceof SyncError)) throw error;
      this.errors[error.code] = (this.errors[error.code] ?? 0) + 1;
      // Nothing is queued for a download: a transient failure is simply an answer not had.
      if (refused.includes(error.code) || isTransientError(error)) return undefined;
      throw error;
    }
  }

  async docState(doc: string): Promise<DocState> {
    return (
      ((await this.store.get(`users/${this.username}/docs/${doc}`)) as DocState | undefined) ??
      ({ base: null } as DocState)
    );
  }

  async pending(): Promise<number> {
    return (await this.#queueKeys()).length;
  }

  async #meta(): Promise<UserMeta> {
    return ((await this.store.get(`users/${this.username}/meta`)) as UserMeta | undefined) ?? ({ hlc: "" } as UserMeta);
  }

  async #queued(): Promise<QueuedChange[]> {
    const keys = await this.#queueKeys();
    return Promise.all(keys.map(async (k) => (await this.store.get(k)) as QueuedChange));
  }

  #queueKeys(): Promise<string[]> {
    return this.store.keys(`users/${this.username}/queue/`);
  }
}

async function openManager(
  setup: DeviceSetup,
  store: Store,
  clock: Clock,
  online: () => boolean,
): Promise<SyncManager> {
  const inner = setup.fetch ?? ((url, init) => fetch(url, init));
  const switched: FetchLike = (url, init) =>
    online() ? inner(url, init) : Promise.reject(new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } }));
  return SyncManager.create({
    url: setup.url,
    key: setup.key,
    store,
    deviceId: setup.id,
    clock,
    fetch: switched,
    cryptoBackend: nodeCryptoBackend,
    timeoutMs: 10_000,
    ...setup.extra,
  });
}

/** A copy of `data` with the object path set to `value`, or removed when undefined. */
function setPath(data: JsonObject, path: readonly string[], value: Json | undefined): JsonObject {
  const [head, ...rest] = path;
  const copy: JsonObject = { ...data };
  if (head === undefined) return copy;
  if (rest.length === 0) {
    if (value === undefined) delete copy[head];
    else copy[head] = value;
    return copy;
  }
  const child = copy[head];
  if (value === undefined && !isJsonObject(child)) return copy;
  copy[head] = setPath(isJsonObject(child) ? child : {}, rest, value);
  return copy;
}
