/**
 * The offline queue: changes that met a network error, a timeout or a 5xx, kept in the Store so they
 * survive a restart, and replayed in order, with exponential back-off, by the next operation that
 * reaches the Worker. Whether a replayed change already landed is the replayer's job (manager-queue.ts).
 */
import type { SyncError } from "../errors.ts";
import { isTransientError } from "../errors.ts";
import type { Stamped } from "../merge/merge.ts";
import type { Store } from "../ports.ts";

export interface QueuedChange {
  /** Position in the queue; replay order. */
  seq: number;
  doc: string;
  /** `upload`: the data becomes the document. `sync`: the data is merged with whatever the server has. */
  kind: "upload" | "sync";
  /** The changed data with its clocks, as stamped when the change was made. */
  change: Stamped;
  /** The common ancestor the change was made from (the merge base); null if the device had none. */
  base: Stamped | null;
  /** The server version the change was based on; null if the document did not exist for us. */
  baseVersion: number | null;
  /** The device write counter reserved for this change: finding it on the server means it already landed. */
  counter: number;
  enqueuedAt: number;
  attempts: number;
  /** Not replayed (except on demand) before this time: the back-off. */
  nextAttemptAt: number;
  lastError?: { code: string; message: string };
}

export type NewChange = Omit<QueuedChange, "seq" | "attempts" | "nextAttemptAt" | "lastError">;

export interface BackoffOptions {
  /** Delay after the first failure; doubled after each further one. Default 2 s. */
  baseDelayMs?: number;
  /** Ceiling of the delay. Default 15 min. */
  maxDelayMs?: number;
  /** Returns [0, 1); spreads retries of many devices apart. Default Math.random. */
  random?: () => number;
}

export interface DrainOptions {
  now: number;
  /** Replay even changes whose back-off has not elapsed (the user asked for a sync now). */
  force?: boolean;
}

export interface DrainResult {
  replayed: number;
  remaining: number;
  /** Set when replay stopped at a transient error; the entry was deferred. */
  deferredBy?: SyncError;
}

const SEQ_DIGITS = 12;

/** Exponential back-off with ±20 % jitter: attempt 1 waits about `base`, attempt n about `base * 2^(n-1)`. */
export function backoffDelay(attempts: number, options: BackoffOptions = {}): number {
  const base = options.baseDelayMs ?? 2_000;
  const max = options.maxDelayMs ?? 15 * 60_000;
  const random = options.random ?? Math.random;
  const exact = Math.min(max, base * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
  return Math.round(exact * (0.8 + 0.4 * random()));
}

/** One user's queue in a Store, under `users/<username>/queue/<seq>`. */
export class OfflineQueue {
  readonly #store: Store;
  readonly #prefix: string;
  readonly #backoff: BackoffOptions;

  constructor(store: Store, username: string, backoff: BackoffOptions = {}) {
    this.#store = store;
    this.#prefix = `users/${username}/queue/`;
    this.#backoff = backoff;
  }

  /** Appends a change after every queued one; due at once. */
  async enqueue(change: NewChange): Promise<QueuedChange> {
    const keys = await this.#store.keys(this.#prefix);
    const last = keys.length === 0 ? 0 : Number(keys[keys.length - 1]!.slice(this.#prefix.length));
    const entry: QueuedChange = { ...change, seq: last + 1, attempts: 0, nextAttemptAt: change.enqueuedAt };
    await this.#store.set(this.#key(entry.seq), entry);
    return entry;
  }

  /** Every queued change, oldest first. */
  async list(): Promise<QueuedChange[]> {
    const keys = await this.#store.keys(this.#prefix);
    const entries: QueuedChange[] = [];
    for (const key of keys) {
      const entry = (await this.#store.get(key)) as QueuedChange | undefined;
      if (entry !== undefined) entries.push(entry);
    }
    return entries;
  }

  async size(): Promise<number> {
    return (await this.#store.keys(this.#prefix)).length;
  }

  async remove(seq: number): Promise<void> {
    await this.#store.delete(this.#key(seq));
  }

  async clear(): Promise<void> {
    for (const key of await this.#store.keys(this.#prefix)) await this.#store.delete(key);
  }

  /** Records a failed attempt and pushes the entry's next attempt out by the back-off, or the server's Retry-After if longer. */
  async defer(entry: QueuedChange, error: SyncError, now: number): Promise<QueuedChange> {
    const attempts = entry.attempts + 1;
    const next: QueuedChange = {
      ...entry,
      attempts,
      nextAttemptAt: now + Math.max(backoffDelay(attempts, this.#backoff), error.retryAfterMs ?? 0),
      lastError: { code: error.code, message: error.message },
    };
    await this.#store.set(this.#key(entry.seq), next);
    return next;
  }

  /**
   * Replays due changes oldest first through `apply`, removing each once applied. Stops at the
   * first change not yet due, or at a transient error (deferring that change). Any other error
   * is recorded on the change, which stays at the head, and is thrown: it needs the user.
   */
  async drain(apply: (entry: QueuedChange) => Promise<void>, options: DrainOptions): Promise<DrainResult> {
    const entries = await this.list();
    let replayed = 0;
    for (const entry of entries) {
      if (options.force !== true && entry.nextAttemptAt > options.now) break;
      try {
        await apply(entry);
      } catch (error) {
        if (isTransientError(error)) {
          await this.defer(entry, error, options.now);
          return { replayed, remaining: entries.length - replayed, deferredBy: error };
        }
        const failure = error as SyncError;
        if (typeof failure?.code === "string") {
          await this.#store.set(this.#key(entry.seq), {
            ...entry,
            attempts: entry.attempts + 1,
            lastError: { code: failure.code, message: failure.message },
          });
        }
        throw error;
      }
      await this.remove(entry.seq);
      replayed++;
    }
    return { replayed, remaining: entries.length - replayed };
  }

  #key(seq: number): string {
    return this.#prefix + String(seq).padStart(SEQ_DIGITS, "0");
  }
}
