/**
 * The platform edges of the universal core, as small injected interfaces: where sync state is
 * kept (Store), what time it is (Clock), how the device is identified, and how HTTP is spoken.
 * Node and browser implementations live in client/node and client/browser.
 */

/**
 * Durable key-value storage for sync metadata, merge bases and the offline queue.
 *
 * Keys are `/`-separated segments of `[A-Za-z0-9._@+-]` (never empty, never `.` or `..`), so a
 * file store can map them to paths. Values are JSON-serialisable; a store returns a fresh copy.
 */
export interface Store {
  /** The value under `key`, or `undefined` when there is none. */
  get(key: string): Promise<unknown>;
  /** Replaces the value atomically: a reader (or a restart) sees the old value or the new one, never a mix. */
  set(key: string, value: unknown): Promise<void>;
  /** Removes `key`; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Every key that starts with `prefix`, in ascending code-unit order. */
  keys(prefix: string): Promise<string[]>;
}

/** Wall-clock time in milliseconds since the Unix epoch; injected so tests can skew or freeze it. */
export interface Clock {
  now(): number;
}

/** The system clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** The `fetch` the core calls; Node passes a proxy-aware one (client/node/proxy.ts). */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Produces this device's id: a fingerprint in Node, a persisted random id in browsers, or a fixed string. */
export type DeviceIdSource = () => Promise<string>;

const KEY_SEGMENT = /^[A-Za-z0-9._@+-]+$/;

/** Throws a TypeError unless `key` follows the Store key rules above. */
export function assertStoreKey(key: string): void {
  const segments = key.split("/");
  for (const segment of segments) {
    if (!KEY_SEGMENT.test(segment) || segment === "." || segment === "..") {
      throw new TypeError(`invalid store key ${JSON.stringify(key)}`);
    }
  }
}

/**
 * A Store in memory, for tests and for short-lived tools that need no persistence.
 * Values are deep-copied through JSON on the way in and out, as a real store would.
 */
export class MemoryStore implements Store {
  readonly #data = new Map<string, string>();

  async get(key: string): Promise<unknown> {
    assertStoreKey(key);
    const text = this.#data.get(key);
    return text === undefined ? undefined : JSON.parse(text);
  }

  async set(key: string, value: unknown): Promise<void> {
    assertStoreKey(key);
    this.#data.set(key, JSON.stringify(value));
  }

  async delete(key: string): Promise<void> {
    assertStoreKey(key);
    this.#data.delete(key);
  }

  async keys(prefix: string): Promise<string[]> {
    return [...this.#data.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}
