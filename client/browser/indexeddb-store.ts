/**
 * The browser Store: one IndexedDB object store of JSON values. Each `set` is its own transaction,
 * which IndexedDB commits atomically, so a closed tab never leaves half a record.
 */
import { assertStoreKey, type Store } from "../core/index.ts";

const OBJECT_STORE = "kv";

/**
 * @example
 * const store = await IndexedDBStore.open("cloud-sync");
 * await store.set("users/alice/meta", { counter: 1 });
 */
export class IndexedDBStore implements Store {
  readonly #name: string;
  readonly #factory: IDBFactory | undefined;
  #db: Promise<IDBDatabase> | undefined;

  /** Names the database (created if needed); it is opened on first use, so constructing does no I/O. */
  constructor(name = "cloud-sync", factory?: IDBFactory) {
    if (typeof name !== "string" || name === "") throw new TypeError("IndexedDBStore needs a database name");
    this.#name = name;
    this.#factory = factory;
  }

  /** Opens the database now (e.g. to fail early when IndexedDB is unavailable). */
  static async open(name = "cloud-sync", factory?: IDBFactory): Promise<IndexedDBStore> {
    const store = new IndexedDBStore(name, factory);
    await store.#database();
    return store;
  }

  async get(key: string): Promise<unknown> {
    assertStoreKey(key);
    return done((await this.#objects("readonly")).get(key));
  }

  async set(key: string, value: unknown): Promise<void> {
    assertStoreKey(key);
    // Through JSON, so the store keeps exactly what a file store would (no Dates, no undefined).
    const objects = await this.#objects("readwrite");
    objects.put(JSON.parse(JSON.stringify(value)), key);
    await committed(objects.transaction);
  }

  async delete(key: string): Promise<void> {
    assertStoreKey(key);
    const objects = await this.#objects("readwrite");
    objects.delete(key);
    await committed(objects.transaction);
  }

  async keys(prefix: string): Promise<string[]> {
    // Keys are strings of code units below U+FFFF after the prefix, so this range holds exactly them.
    const range = prefix === "" ? undefined : IDBKeyRange.bound(prefix, `${prefix}\uffff`);
    const keys = await done((await this.#objects("readonly")).getAllKeys(range));
    return (keys as string[]).filter((k) => k.startsWith(prefix)).sort();
  }

  async close(): Promise<void> {
    const db = this.#db;
    this.#db = undefined;
    (await db)?.close();
  }

  #database(): Promise<IDBDatabase> {
    if (this.#db === undefined) {
      const request = (this.#factory ?? indexedDB).open(this.#name, 1);
      request.onupgradeneeded = () => {
        if (!request.result.objectStoreNames.contains(OBJECT_STORE)) request.result.createObjectStore(OBJECT_STORE);
      };
      this.#db = done(request);
    }
    return this.#db;
  }

  async #objects(mode: IDBTransactionMode): Promise<IDBObjectStore> {
    return (await this.#database()).transaction(OBJECT_STORE, mode).objectStore(OBJECT_STORE);
  }
}

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function committed(transaction: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error ?? new Error("IndexedDB transaction aborted"));
  });
}
