/**
 * A document's state in the device's store as a checkpoint and a journal: the checkpoint is the
 * whole state (`users/<u>/docs/<doc>`); each later save, while it can be told as register writes
 * joined into the states the store already holds (lineage.ts), is a small journal entry
 * (`users/<u>/journal/<doc>/<n>`) instead of the whole state written again. A change synced into a
 * 50 MB state then costs the device a write of the change's size, in time and in memory.
 *
 * Each entry names the save it follows (`after`), and the checkpoint names itself (`revision`) and
 * the first entry that follows it (`from`), so a load applies exactly the chain of saves one
 * writer made: an entry another process wrote on an older view of the state ends the chain rather
 * than mixing two states. Writes are atomic per key, the revision key (`users/<u>/revisions/<doc>`)
 * is cleared before and written after each save, and a checkpoint is written before the entries
 * it covers are removed: a crash at any point leaves a state some save held. A state stored before
 * the journal existed is a checkpoint with no entries.
 */
import { approximateJsonBytes, jsonEqual } from "../merge/json-value.ts";
import type { Stamped } from "../merge/merge.ts";
import type { Store } from "../ports.ts";
import { applyTracked, forgetBefore, pointOf, replaySteps, stepsSince, type Point, type Step } from "./lineage.ts";
import { emptyDocState, type DocState } from "./state.ts";

/** A journal longer than this many entries is folded into a checkpoint (it bounds a cold load's reads). */
const MAX_ENTRIES = 256;
/** The journal may grow to this share of the checkpoint before it is folded in. */
const JOURNAL_SHARE = 0.25;
/** ... and always to this many bytes, so a small document does not checkpoint at every save. */
const MIN_JOURNAL_BYTES = 16 * 1024;
/** Entry numbers are zero-padded so the store's key order is their order. */
const ENTRY_DIGITS = 12;

/** What the last save of a document left in the store: how the next save can follow it. */
export interface SavedDoc {
  /** Names the last save; undefined for a state stored before the journal (its next save is a checkpoint). */
  revision: string | undefined;
  /** The number the next journal entry takes. */
  next: number;
  entries: number;
  journalBytes: number;
  /** About how large the checkpoint is, once a save needed to know. */
  checkpointBytes: number | null;
  /** The base and the server's state (when it is its own object) as the store holds them. */
  base: Point | null;
  server: Point | null;
  /** The entry's header as last saved, to skip a save that changes nothing. */
  header: string;
}

/** How one of the two large parts of a state follows from those the store held: a source and the writes since. */
interface PartChange {
  from: "base" | "server";
  steps: Step[];
}

type Header = Omit<DocState, "base" | "server"> & { server: { version: number; hash: string } | null };

interface JournalEntry {
  after: string;
  revision: string;
  state: Header;
  /** Null: the state has no base. */
  base: PartChange | null;
  /** Null: the server's state is the base (or there is none). */
  server: PartChange | null;
}

type Checkpoint = DocState & { journal?: { revision: string; from: number } };

const docKey = (username: string, doc: string) => `users/${username}/docs/${doc}`;
const revisionKey = (username: string, doc: string) => `users/${username}/revisions/${doc}`;
const journalPrefix = (username: string, doc: string) => `users/${username}/journal/${doc}/`;
const entryKey = (username: string, doc: string, n: number) =>
  `${journalPrefix(username, doc)}${String(n).padStart(ENTRY_DIGITS, "0")}`;

/** A document's state as its saves left it, and what its next save follows. */
export async function loadDoc(
  store: Store,
  username: string,
  doc: string,
): Promise<{ state: DocState; saved: SavedDoc }> {
  const record = (await store.get(docKey(username, doc))) as Checkpoint | undefined;
  if (record === undefined) {
    const state = emptyDocState();
    return { state, saved: savedAfter(state, undefined, 0) };
  }
  const { journal, ...checkpointed } = record;
  let state: DocState = checkpointed;
  if (journal === undefined) return { state, saved: savedAfter(state, undefined, 0) };
  let revision = journal.revision;
  let next = journal.from;
  let entries = 0;
  let journalBytes = 0;
  const prefix = journalPrefix(username, doc);
  for (const key of await store.keys(prefix)) {
    if (Number(key.slice(prefix.length)) !== next) continue;
    const entry = (await store.get(key)) as JournalEntry | undefined;
    if (entry === undefined || entry.after !== revision) break;
    state = applyEntry(state, entry);
    revision = entry.revision;
    next += 1;
    entries += 1;
    journalBytes += JSON.stringify(entry).length;
  }
  const saved = savedAfter(state, revision, next);
  return { state, saved: { ...saved, entries, journalBytes } };
}

/** Saves `state`, as a journal entry after `saved` when it can, else as a checkpoint; what the next save follows. */
export async function saveDoc(
  store: Store,
  username: string,
  doc: string,
  state: DocState,
  saved: SavedDoc | undefined,
): Promise<SavedDoc> {
  const header = headerOf(state);
  const headerText = JSON.stringify(header);
  if (saved?.revision !== undefined && saved.entries < MAX_ENTRIES) {
    const base = state.base === null ? null : describe(state.base, saved);
    const own = state.server?.data ?? null;
    const server = own === null ? null : describe(own, saved);
    if ((state.base === null || base !== null) && (own === null || server !== null)) {
      if (unchanged(saved, base, server, headerText)) {
        // Equal content in new objects: the next save compares against these.
        return { ...saved, base: state.base && pointOf(state.base), server: own && pointOf(own) };
      }
      const revision = crypto.randomUUID();
      const entry: JournalEntry = { after: saved.revision, revision, state: header, base, server };
      const bytes = JSON.stringify(entry).length;
      const checkpointBytes = saved.checkpointBytes ?? sizeOf(state);
      if (saved.journalBytes + bytes <= Math.max(MIN_JOURNAL_BYTES, checkpointBytes * JOURNAL_SHARE)) {
        await store.delete(revisionKey(username, doc));
        await store.set(entryKey(username, doc, saved.next), entry);
        await store.set(revisionKey(username, doc), revision);
        const after = savedAfter(state, revision, saved.next + 1);
        return {
          ...after,
          entries: saved.entries + 1,
          journalBytes: saved.journalBytes + bytes,
          checkpointBytes,
        };
      }
    }
  }
  return checkpoint(store, username, doc, state, saved?.next ?? 0);
}

/** Forgets a document's state, its journal included. */
export async function deleteDoc(store: Store, username: string, doc: string): Promise<void> {
  await store.delete(revisionKey(username, doc));
  await store.delete(docKey(username, doc));
  for (const key of await store.keys(journalPrefix(username, doc))) await store.delete(key);
}

/** The revision the store's last save of a document wrote; undefined while a save is under way, or before any. */
export async function loadDocRevision(store: Store, username: string, doc: string): Promise<string | undefined> {
  const value = await store.get(revisionKey(username, doc));
  return typeof value === "string" ? value : undefined;
}

async function checkpoint(
  store: Store,
  username: string,
  doc: string,
  state: DocState,
  from: number,
): Promise<SavedDoc> {
  const revision = crypto.randomUUID();
  // Entries from `from` on must follow this revision; those before it are covered (and removed below).
  const record: Checkpoint = { ...state, journal: { revision, from } };
  await store.delete(revisionKey(username, doc));
  await store.set(docKey(username, doc), record);
  for (const key of await store.keys(journalPrefix(username, doc))) await store.delete(key);
  await store.set(revisionKey(username, doc), revision);
  return savedAfter(state, revision, from);
}

function savedAfter(state: DocState, revision: string | undefined, next: number): SavedDoc {
  const base = state.base === null ? null : pointOf(state.base);
  const own = state.server?.data ?? null;
  const server = own === null ? null : pointOf(own);
  // The steps a save holds are never needed again by this document's saves.
  if (base !== null) forgetBefore(base);
  if (server !== null) forgetBefore(server);
  return {
    revision,
    next,
    entries: 0,
    journalBytes: 0,
    checkpointBytes: null,
    base,
    server,
    header: JSON.stringify(headerOf(state)),
  };
}

function headerOf(state: DocState): Header {
  const { base: _base, server, ...rest } = state;
  return { ...rest, server: server === null ? null : { version: server.version, hash: server.hash } };
}

function sizeOf(state: DocState): number {
  const part = (s: Stamped | null | undefined) =>
    s === null || s === undefined ? 0 : approximateJsonBytes(s.data) + approximateJsonBytes(s.clocks);
  return part(state.base) + part(state.server?.data);
}

/** How `current` follows from the states the store holds; null when it does not by tracked writes or equality. */
function describe(current: Stamped, saved: SavedDoc): PartChange | null {
  const sources: Array<[PartChange["from"], Point | null]> = [
    ["base", saved.base],
    ["server", saved.server ?? saved.base],
  ];
  for (const [from, point] of sources) {
    if (point === null) continue;
    const steps = stepsSince(current, point);
    if (steps !== null) return { from, steps };
  }
  // New content equal to what the store holds (a merge that changed nothing) needs no write.
  for (const [from, point] of sources) {
    if (point === null || current === point.state || pointOf(point.state).steps !== point.steps) continue;
    if (jsonEqual(current.data, point.state.data) && jsonEqual(current.clocks, point.state.clocks)) {
      return { from, steps: [] };
    }
  }
  return null;
}

function unchanged(saved: SavedDoc, base: PartChange | null, server: PartChange | null, header: string): boolean {
  const still = (part: PartChange | null, from: PartChange["from"]) =>
    part === null || (part.from === from && part.steps.length === 0);
  return (
    header === saved.header &&
    still(base, "base") &&
    still(server, "server") &&
    (base === null) === (saved.base === null) &&
    (server === null) === (saved.server === null)
  );
}

/** The state after one entry, from a state loaded from the store (its objects are no one else's). */
function applyEntry(state: DocState, entry: JournalEntry): DocState {
  const held = { base: state.base, server: state.server?.data ?? state.base };
  const sourceOf = (part: PartChange) => held[part.from];
  const build = (part: PartChange | null, other: PartChange | null): Stamped | null => {
    if (part === null) return null;
    const source = sourceOf(part);
    if (source === null) throw new Error("a journal entry names a state the store does not hold");
    if (part.steps.length === 0) return source;
    // The other part keeps the source as it was: this one joins its writes into a copy.
    const shared = other !== null && sourceOf(other) === source;
    const [first, ...rest] = part.steps;
    const start = shared ? applyTracked(source, first!.writes, first!.rules, false) : source;
    return replaySteps(start, shared ? rest : part.steps);
  };
  const base = build(entry.base, entry.server);
  const server = entry.server === null ? null : build(entry.server, entry.base);
  const { server: seen, ...rest } = entry.state;
  return {
    ...rest,
    base,
    server: seen === null ? null : { ...seen, data: server === null || server === base ? null : server },
  };
}
