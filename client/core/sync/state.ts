/**
 * What a device remembers between syncs, as records in the Store: per document the merge base and
 * what the server last showed (with the integrity record), per user the write counter, clock and
 * status. Layout: `users/<u>/meta`, `users/<u>/docs/<doc>` with `users/<u>/journal/<doc>/<n>` and
 * `users/<u>/revisions/<doc>` (state-journal.ts), `users/<u>/queue/<seq>` (queue.ts),
 * and `device/clock` for this device's skew against the server.
 */
import type { IntegrityRecord } from "./integrity.ts";
import { jsonEqual } from "../merge/json-value.ts";
import type { MergeRules, Stamped } from "../merge/merge.ts";
import type { Store } from "../ports.ts";

export interface ErrorRecord {
  /** ISO-8601 UTC. */
  at: string;
  code: string;
  message: string;
  doc?: string;
}

/** One document as this device last knew it. */
export interface DocState {
  /**
   * The state the application last gave us or got from us: the common ancestor of its data and the
   * server's, against which its next edit is stamped. Null before the first sync.
   */
  base: Stamped | null;
  /** The server's version as last seen; `data` is null when it equals `base` (saves storing it twice). */
  server: { version: number; hash: string; data: Stamped | null } | null;
  integrity?: IntegrityRecord;
  /**
   * Set when this device accepted a version on its binding alone: the versions between the one it
   * had seen (`from`) and the one it took (`to`) could no longer be read to check the chain (pruned
   * past retention, or removed by a delete). Kept, and shown in status, until the document is forgotten.
   */
  unverified?: UnverifiedGap;
  /** Merge rules the document declares in its envelope (`sync.rules`), as last seen. */
  declaredRules?: MergeRules;
  /** The version of the deletion the changes feed showed last (the document's next write is whole, after it). */
  deletedAt?: number;
  lastUpload: string | null;
  lastDownload: string | null;
  lastError: ErrorRecord | null;
}

/** A stretch of a document's history this device could not check (DocState.unverified). */
export interface UnverifiedGap {
  /** The newest version this device had seen. */
  from: number;
  /** The version it accepted. */
  to: number;
  /** ISO-8601 UTC. */
  at: string;
}

/** A peer's clock as estimated from its tokens: the token's own timestamp minus the server's storage time. */
export interface PeerClock {
  skewMs: number;
  /** ISO-8601 UTC of the observation. */
  at: string;
}

export interface UserMeta {
  /** The last write counter this device used for this user (PROTOCOL.md `sync.counter`). */
  counter: number;
  /** The newest HLC issued or observed, so clocks never run backwards across restarts. */
  hlc: string;
  lastUpload: string | null;
  lastDownload: string | null;
  lastError: ErrorRecord | null;
  peers: Record<string, PeerClock>;
  /** Device display names learned from the device list. */
  names: Record<string, string>;
  /** The largest sequence number applied from the changes feed (docs/PROTOCOL.md "Sequence and cursor"). */
  cursor?: number;
  /** The largest head the server ever answered: a later, lower one is a rollback. */
  headSeen?: number;
  /**
   * Documents whose entries the feed showed but this device did not fetch (an operation that
   * asked for other documents first), by the cursor from which to read them again.
   */
  pending?: Record<string, number>;
}

export interface DeviceClock {
  /** Local clock minus server clock, in ms; positive when this device runs fast. */
  skewMs: number;
  at: string;
}

export function emptyDocState(): DocState {
  return { base: null, server: null, lastUpload: null, lastDownload: null, lastError: null };
}

export function emptyUserMeta(): UserMeta {
  return { counter: 0, hlc: "", lastUpload: null, lastDownload: null, lastError: null, peers: {}, names: {} };
}

const userPrefix = (username: string) => `users/${username}/`;
const metaKey = (username: string) => `users/${username}/meta`;
const DEVICE_CLOCK_KEY = "device/clock";

/** The names of every document this device holds state for. */
export async function listDocStates(store: Store, username: string): Promise<string[]> {
  const prefix = `users/${username}/docs/`;
  return (await store.keys(prefix)).map((k) => k.slice(prefix.length));
}

export async function loadUserMeta(store: Store, username: string): Promise<UserMeta> {
  return { ...emptyUserMeta(), ...((await store.get(metaKey(username))) as Partial<UserMeta> | undefined) };
}

export async function saveUserMeta(store: Store, username: string, meta: UserMeta): Promise<void> {
  await store.set(metaKey(username), meta);
}

export async function loadDeviceClock(store: Store): Promise<DeviceClock | null> {
  return ((await store.get(DEVICE_CLOCK_KEY)) as DeviceClock | undefined) ?? null;
}

export async function saveDeviceClock(store: Store, clock: DeviceClock): Promise<void> {
  await store.set(DEVICE_CLOCK_KEY, clock);
}

/** Forgets everything this device kept for a user (after the account is deleted). */
export async function clearUser(store: Store, username: string): Promise<void> {
  for (const key of await store.keys(userPrefix(username))) await store.delete(key);
}

/** The server's current content as last seen, whichever field holds it. */
export function serverData(state: DocState): Stamped | null {
  if (state.server === null) return null;
  return state.server.data ?? state.base;
}

/** After a sync that left the application and the server agreeing on `stamped`. */
export function markSynced(state: DocState, stamped: Stamped, version: number, hash: string): void {
  state.base = stamped;
  state.server = { version, hash, data: null };
}

/** The server showed (or took) `stamped` as `version`; the application's base is unchanged. */
export function markServer(state: DocState, stamped: Stamped, version: number, hash: string): void {
  const sameAsBase =
    state.base !== null && jsonEqual(state.base.data, stamped.data) && jsonEqual(state.base.clocks, stamped.clocks);
  state.server = { version, hash, data: sameAsBase ? null : stamped };
}

/** The application now holds `stamped`, which the server does not have yet. */
export function moveBase(state: DocState, stamped: Stamped): void {
  if (state.server !== null && state.server.data === null) state.server.data = state.base;
  state.base = stamped;
}
