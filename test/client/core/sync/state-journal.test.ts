/**
 * A document's state in the store as a checkpoint and a journal of register writes: whatever a
 * device does to a state between saves, loading the store gives the state back exactly; edits made
 * by writes are saved in the size of the writes; saves of another process on an older view, a
 * crash between a checkpoint and its cleanup, and states stored before the journal are read right.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HybridLogicalClock } from "../../../../client/core/merge/hlc.ts";
import { canonicalJson, type Json } from "../../../../client/core/merge/json-value.ts";
import { stamp, type MergeRules, type Stamped } from "../../../../client/core/merge/merge.ts";
import { appendWrites, assignmentWrites } from "../../../../client/core/merge/register-writes.ts";
import { MemoryStore, type Store } from "../../../../client/core/ports.ts";
import { applyTracked } from "../../../../client/core/sync/lineage.ts";
import { deleteDoc, loadDoc, saveDoc, type SavedDoc } from "../../../../client/core/sync/state-journal.ts";
import {
  emptyDocState,
  markServer,
  markSynced,
  serverData,
  type DocState,
} from "../../../../client/core/sync/state.ts";

const RULES: MergeRules = { "/log": "append" };

/** A Store that counts what is written, and how many bytes. */
class CountingStore extends MemoryStore {
  sets: string[] = [];
  bytes = 0;
  override async set(key: string, value: unknown): Promise<void> {
    this.sets.push(key);
    this.bytes += JSON.stringify(value).length;
    await super.set(key, value);
  }
}

/** Everything a load must give back: the header fields, the base, and the server's state. */
function view(state: DocState): string {
  const { base, server, ...rest } = state;
  const stamped = (s: Stamped | null) => (s === null ? null : { data: canonicalJson(s.data), clocks: s.clocks });
  return canonicalJson({
    rest: JSON.parse(JSON.stringify(rest)) as Json,
    base: stamped(base) as unknown as Json,
    server: server === null ? null : ({ version: server.version, hash: server.hash } as Json),
    serverData: stamped(serverData(state)) as unknown as Json,
  });
}

function bigDoc(turns: number): Json {
  return { title: "memory", log: Array.from({ length: turns }, (_, i) => ({ id: `t${i}`, text: "x".repeat(300) })) };
}

/** A state synced at version 1 with `data`, and the clock of the device holding it. */
function synced(data: Json): { state: DocState; clock: HybridLogicalClock } {
  const clock = new HybridLogicalClock("device-a", { now: () => 1_000 });
  const state = emptyDocState();
  markSynced(state, stamp(null, data, clock.tick(), RULES), 1, "h1");
  return { state, clock };
}

/** An edit by path joined into the state's base, as `append`/`set` leave it: synced at `version`. */
function edit(state: DocState, writes: ReturnType<typeof appendWrites>, version: number): void {
  markSynced(state, applyTracked(state.base!, writes, RULES, true), version, `h${version}`);
}

describe("the document state journal", () => {
  it("saves an appended record as an entry of about its size, and loads the state back", async () => {
    const store = new CountingStore();
    const { state, clock } = synced(bigDoc(2000));
    let saved = await saveDoc(store, "alice", "memory", state, undefined);
    const checkpointBytes = store.bytes;
    expect(checkpointBytes).toBeGreaterThan(600_000);

    store.bytes = 0;
    edit(state, appendWrites("/log", { id: "new", text: "y".repeat(300) }, clock.tick(), RULES), 2);
    saved = await saveDoc(store, "alice", "memory", state, saved);
    expect(saved.entries).toBe(1);
    expect(store.bytes).toBeLessThan(2_000);

    const loaded = await loadDoc(store, "alice", "memory");
    expect(view(loaded.state)).toBe(view(state));
    expect(loaded.saved.revision).toBe(saved.revision);
  });

  it("writes nothing when a save changes nothing", async () => {
    const store = new CountingStore();
    const { state } = synced({ a: 1 });
    let saved = await saveDoc(store, "alice", "d", state, undefined);
    store.sets = [];
    // The same content in a new object (a merge that changed nothing).
    markSynced(state, structuredClone(state.base!), 1, "h1");
    saved = await saveDoc(store, "alice", "d", state, saved);
    expect(store.sets).toEqual([]);
    state.lastDownload = "2026-12-06T00:00:00.000Z";
    await saveDoc(store, "alice", "d", state, saved);
    expect(store.sets.filter((k) => k.includes("/journal/"))).toHaveLength(1);
  });

  it("folds the journal into a checkpoint once it outgrows its share of the state", async () => {
    const store = new CountingStore();
    const { state, clock } = synced(bigDoc(20));
    let saved = await saveDoc(store, "alice", "memory", state, undefined);
    let checkpoints = 0;
    for (let n = 0; n < 200; n++) {
      edit(state, appendWrites("/log", { id: `n${n}`, text: "z".repeat(300) }, clock.tick(), RULES), n + 2);
      saved = await saveDoc(store, "alice", "memory", state, saved);
      if (saved.entries === 0) checkpoints += 1;
      expect(saved.journalBytes).toBeLessThanOrEqual(Math.max(16 * 1024, JSON.stringify(state).length / 4 + 2_000));
    }
    expect(checkpoints).toBeGreaterThan(0);
    // Covered entries are removed with each checkpoint.
    expect((await store.keys("users/alice/journal/memory/")).length).toBe(saved.entries);
    expect(view((await loadDoc(store, "alice", "memory")).state)).toBe(view(state));
  });

  it("ends the chain at an entry another process wrote on an older view", async () => {
    const store = new MemoryStore();
    const { state, clock } = synced(bigDoc(10));
    const first = await saveDoc(store, "alice", "memory", state, undefined);
    // Process one appends twice; process two, which loaded before, appends once on its view.
    const other = await loadDoc(store, "alice", "memory");
    let saved = first;
    for (const id of ["p1", "p2"]) {
      edit(state, appendWrites("/log", { id, text: id }, clock.tick(), RULES), state.server!.version + 1);
      saved = await saveDoc(store, "alice", "memory", state, saved);
    }
    const expected = view(state);
    edit(other.state, appendWrites("/log", { id: "q1", text: "q1" }, clock.tick(), RULES), 2);
    await saveDoc(store, "alice", "memory", other.state, other.saved);
    // Entry 0 is now the other process's, which follows the checkpoint: its state, never a mix.
    const loaded = await loadDoc(store, "alice", "memory");
    expect(view(loaded.state)).toBe(view(other.state));
    expect(view(loaded.state)).not.toBe(expected);
    expect(JSON.stringify(loaded.state.base!.data)).not.toContain('"p2"');
  });

  it("reads a checkpoint whose covered entries a crash left behind", async () => {
    const store = new MemoryStore();
    const { state, clock } = synced(bigDoc(5));
    let saved = await saveDoc(store, "alice", "memory", state, undefined);
    edit(state, appendWrites("/log", { id: "a", text: "a" }, clock.tick(), RULES), 2);
    saved = await saveDoc(store, "alice", "memory", state, saved);
    const stale = await store.get("users/alice/journal/memory/000000000000");
    expect(stale).toBeDefined();
    // New content (not writes) is a checkpoint; the entry it covers comes back as if the cleanup crashed.
    markSynced(state, stamp(state.base, bigDoc(3), clock.tick(), RULES), 3, "h3");
    saved = await saveDoc(store, "alice", "memory", state, saved);
    expect(saved.entries).toBe(0);
    await store.set("users/alice/journal/memory/000000000000", stale);
    expect(view((await loadDoc(store, "alice", "memory")).state)).toBe(view(state));
  });

  it("reads a state stored before the journal, and checkpoints its next save", async () => {
    const store = new MemoryStore();
    const { state } = synced({ a: 1 });
    // The previous release's layout: the state itself under docs/, no journal, a revision beside it.
    await store.set("users/alice/docs/d", state);
    await store.set("users/alice/revisions/d", "an-old-revision");
    const loaded = await loadDoc(store, "alice", "d");
    expect(view(loaded.state)).toBe(view(state));
    expect(loaded.saved.revision).toBeUndefined();
    loaded.state.lastDownload = "2026-12-06T00:00:00.000Z";
    const saved = await saveDoc(store, "alice", "d", loaded.state, loaded.saved);
    expect(saved.entries).toBe(0);
    expect(await store.get("users/alice/revisions/d")).toBe(saved.revision);
  });

  it("forgets a document's journal with the document", async () => {
    const store = new MemoryStore();
    const { state, clock } = synced(bigDoc(5));
    const saved = await saveDoc(store, "alice", "memory", state, undefined);
    edit(state, assignmentWrites("/title", "t", clock.tick(), RULES), 2);
    await saveDoc(store, "alice", "memory", state, saved);
    await deleteDoc(store, "alice", "memory");
    expect(await store.keys("users/alice/")).toEqual([]);
  });

  it("loads back exactly what was saved, whatever a device did between saves", async () => {
    type Op =
      | { op: "edit" | "pull"; id: string; title: string | null }
      | { op: "adopt" | "merge" | "header" | "save" | "restart" };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        op: fc.constantFrom("edit" as const, "pull" as const),
        id: fc.constantFrom("a", "b", "c", "d"),
        title: fc.option(fc.constantFrom("x", "y"), { nil: null }),
      }),
      fc.record({ op: fc.constantFrom("adopt" as const, "merge" as const, "header" as const) }),
      fc.record({ op: fc.constantFrom("save" as const, "save" as const, "restart" as const) }),
    );
    let entries = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
        const store: Store = new MemoryStore();
        const clock = new HybridLogicalClock("device-a", { now: () => 1_000 });
        let state = emptyDocState();
        markSynced(state, stamp(null, bigDoc(3), clock.tick(), RULES), 1, "h1");
        let saved: SavedDoc | undefined;
        let version = 1;
        const writesOf = (o: { id: string; title: string | null }) => [
          ...appendWrites("/log", { id: o.id, text: `${o.id}${version}` }, clock.tick(), RULES),
          ...(o.title === null ? [] : assignmentWrites("/title", o.title, clock.tick(), RULES)),
        ];
        for (const o of ops) {
          version += 1;
          if (o.op === "edit") {
            // As an edit by path: joined into the server's state, which becomes the base too.
            markSynced(state, applyTracked(serverData(state)!, writesOf(o), RULES, true), version, `v${version}`);
          } else if (o.op === "pull") {
            // As the changes feed: into the server's state, in place only when it is its own object.
            const own = state.server?.data !== null || state.base === null;
            markServer(state, applyTracked(serverData(state)!, writesOf(o), RULES, own), version, `v${version}`);
          } else if (o.op === "adopt") {
            markSynced(state, serverData(state)!, state.server!.version, state.server!.hash);
          } else if (o.op === "merge") {
            markSynced(state, stamp(state.base, bigDoc(version % 4), clock.tick(), RULES), version, `m${version}`);
          } else if (o.op === "header") {
            state.lastDownload = new Date(version * 1000).toISOString();
          } else if (o.op === "save") {
            saved = await saveDoc(store, "alice", "doc", state, saved);
            entries += saved.entries > 0 ? 1 : 0;
            expect(view((await loadDoc(store, "alice", "doc")).state)).toBe(view(state));
          } else {
            saved = await saveDoc(store, "alice", "doc", state, saved);
            ({ state, saved } = await loadDoc(store, "alice", "doc"));
          }
        }
        saved = await saveDoc(store, "alice", "doc", state, saved);
        expect(view((await loadDoc(store, "alice", "doc")).state)).toBe(view(state));
      }),
      { numRuns: 300, seed: 0x0c4a_0101 },
    );
    // The property exercised the journal, not only checkpoints.
    expect(entries).toBeGreaterThan(100);
  });
});
