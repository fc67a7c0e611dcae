/**
 * A change's undo: joined into the state it was written against and then undone, a state comes
 * back exactly, data and clocks, whatever the change (a merge's registers, appended records,
 * assignments, deletions, patches) and whatever the state held (tombstones, counters, records).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { key, RULES, value } from "../../../support/register-arbitraries.ts";
import { HybridLogicalClock } from "../../../../client/core/merge/hlc.ts";
import { canonicalJson, type Json } from "../../../../client/core/merge/json-value.ts";
import { merge, stamp, type Stamped } from "../../../../client/core/merge/merge.ts";
import {
  appendWrites,
  applyWrites,
  assignmentWrites,
  diffRegisters,
  type RegisterWrite,
} from "../../../../client/core/merge/register-writes.ts";
import { applyUndo, checkUndo, undoOf } from "../../../../client/core/merge/undo-writes.ts";

const record = fc.record({
  id: fc.constantFrom("r1", "r2", "r3"),
  ts: fc.nat(100),
  text: fc.string({ maxLength: 4 }),
  turns: fc.array(fc.string({ maxLength: 3 }), { maxLength: 4 }),
});
const doc: fc.Arbitrary<Json> = fc.record(
  {
    a: value,
    b: fc.dictionary(key, value, { maxKeys: 3 }),
    log: fc.uniqueArray(record, { selector: (r) => r.id, maxLength: 3 }),
    count: fc.dictionary(fc.constantFrom("x", "y"), fc.integer({ min: 0, max: 9 }), { maxKeys: 2 }),
  },
  { requiredKeys: [] },
);

function same(a: Stamped, b: Stamped): void {
  expect(canonicalJson(a.data)).toBe(canonicalJson(b.data));
  expect(a.clocks).toEqual(b.clocks);
}

/** Undone through the wire form, as a reader gets it. */
function undone(before: Stamped, after: Stamped, writes: Parameters<typeof undoOf>[1]): Stamped {
  const undo = checkUndo(JSON.parse(JSON.stringify(undoOf(before, writes, RULES))));
  return applyUndo(after, undo, RULES);
}

describe("undoOf and applyUndo", () => {
  it("take a merged change back to the state it was written against", () => {
    fc.assert(
      fc.property(doc, doc, doc, doc, (start, middle, mine, theirs) => {
        const a = new HybridLogicalClock("device-a", { now: () => 1_000 });
        const b = new HybridLogicalClock("device-b", { now: () => 1_000 });
        // A history with deletions, so the state holds tombstones.
        const first = stamp(null, start, a.tick(), RULES);
        const before = stamp(first, middle, a.tick(), RULES);
        b.observe(a.last);
        const server = stamp(before, theirs, b.tick(), RULES);
        a.observe(b.last);
        const local = stamp(before, mine, a.tick(), RULES);
        const merged = merge(before, local, server, RULES);
        const writes = diffRegisters(server, merged, RULES);
        const after = applyWrites(server, writes, RULES);
        same(undone(server, after, writes), server);
      }),
      { numRuns: 400, seed: 0x0c4a_0201 },
    );
  });

  it("take appended records, assignments and deletions back", () => {
    const edit = fc.oneof(
      fc.record({ op: fc.constant("append" as const), record }),
      fc.record({
        op: fc.constant("set" as const),
        path: fc.constantFrom("/a", "/b/a", "/b/c/a", "/count/x", ""),
        value,
      }),
      fc.record({
        op: fc.constant("turn" as const),
        id: fc.constantFrom("r1", "r2"),
        text: fc.string({ maxLength: 3 }),
      }),
    );
    fc.assert(
      fc.property(doc, doc, fc.array(edit, { minLength: 1, maxLength: 3 }), (start, middle, edits) => {
        const a = new HybridLogicalClock("device-a", { now: () => 1_000 });
        const before = stamp(stamp(null, start, a.tick(), RULES), middle, a.tick(), RULES);
        // Each edit is made on the state the ones before it left, as one change carries them.
        let current = before;
        const writes = edits.flatMap((e) => {
          let w: RegisterWrite[];
          if (e.op === "append") w = appendWrites("/log", e.record, a.tick(), RULES);
          else if (e.op === "set") w = assignmentWrites(e.path, e.value, a.tick(), RULES);
          else {
            // A turn added to a record: the merge's own diff, which sends it as a patch.
            const data = current.data as { log?: Array<{ id: string; turns?: string[] }> } | null;
            const log = (data?.log ?? []).map((r) =>
              r.id === e.id ? { ...r, turns: [...(r.turns ?? []), e.text] } : r,
            );
            const next = stamp(current, { ...(data ?? {}), log } as Json, a.tick(), RULES);
            w = diffRegisters(current, next, RULES);
          }
          current = applyWrites(current, w, RULES);
          return w;
        });
        const after = applyWrites(before, writes, RULES);
        same(undone(before, after, writes), before);
      }),
      { numRuns: 400, seed: 0x0c4a_0202 },
    );
  });

  it("keeps an appended record's undo tiny, and a turn added to a long record a patch back", () => {
    const clock = new HybridLogicalClock("device-a", { now: () => 1_000 });
    const turns = Array.from({ length: 50 }, (_, i) => `turn ${i} ${"x".repeat(200)}`);
    const before = stamp(null, { log: [{ id: "c1", turns }] }, clock.tick(), RULES);
    const append = appendWrites("/log", { id: "c2", text: "hello" }, clock.tick(), RULES);
    expect(JSON.stringify(undoOf(before, append, RULES)).length).toBeLessThan(40);
    const next = stamp(before, { log: [{ id: "c1", turns: [...turns, "one more"] }] }, clock.tick(), RULES);
    const writes = diffRegisters(before, next, RULES);
    expect(writes[0]![2]).toBe("patch");
    const undo = undoOf(before, writes, RULES);
    expect(JSON.stringify(undo).length).toBeLessThan(200);
    same(applyUndo(applyWrites(before, writes, RULES), undo, RULES), before);
  });
});
