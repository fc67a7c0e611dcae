/**
 * Changes as registers: a change diffed from a merge and applied to the state it was diffed from
 * gives the merged state exactly, patches included; applying a change twice changes nothing; and
 * the wire form is checked.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { key, leaf, RULES, value } from "../../../support/register-arbitraries.ts";
import { HybridLogicalClock } from "../../../../client/core/merge/hlc.ts";
import { canonicalJson, type Json } from "../../../../client/core/merge/json-value.ts";
import { merge, stamp, type MergeRules, type Stamped } from "../../../../client/core/merge/merge.ts";
import {
  appendWrites,
  applyWrites,
  applyWritesInPlace,
  assignmentWrites,
  checkWrites,
  diffRegisters,
} from "../../../../client/core/merge/register-writes.ts";
import { diffValue, isValuePatch, patchValue } from "../../../../client/core/merge/value-patch.ts";

const record = fc.record({ id: fc.constantFrom("r1", "r2", "r3"), ts: fc.nat(100), text: fc.string({ maxLength: 4 }) });
const doc: fc.Arbitrary<Json> = fc.record(
  {
    a: value,
    b: fc.dictionary(key, value, { maxKeys: 3 }),
    log: fc.uniqueArray(record, { selector: (r) => r.id, maxLength: 3 }),
  },
  { requiredKeys: [] },
);

function same(a: Stamped, b: Stamped): void {
  expect(canonicalJson(a.data)).toBe(canonicalJson(b.data));
  expect(a.clocks).toEqual(b.clocks);
}

describe("diffRegisters and applyWrites", () => {
  let inPlace = 0;
  it("turn the server's state into the merged one, whatever two devices edited", () => {
    fc.assert(
      fc.property(doc, doc, doc, (start, mine, theirs) => {
        const a = new HybridLogicalClock("device-a", { now: () => 1_000 });
        const b = new HybridLogicalClock("device-b", { now: () => 1_000 });
        const base = stamp(null, start, a.tick(), RULES);
        b.observe(a.last);
        const server = stamp(base, theirs, b.tick(), RULES);
        a.observe(b.last);
        const local = stamp(base, mine, a.tick(), RULES);
        const merged = merge(base, local, server, RULES);
        const writes = checkWrites(JSON.parse(JSON.stringify(diffRegisters(server, merged, RULES))));
        same(applyWrites(server, writes, RULES), merged);
        // Joined twice, the same.
        same(applyWrites(applyWrites(server, writes, RULES), writes, RULES), merged);
        // In place, when it applies, the same again.
        const copy = structuredClone(server);
        if (applyWritesInPlace(copy, writes, RULES)) {
          expect(canonicalJson(copy.data)).toBe(canonicalJson(merged.data));
          expect(copy.clocks).toEqual(merged.clocks);
          inPlace += 1;
        }
      }),
      { numRuns: 300, seed: 0x0c4a_0001 },
    );
    // The in-place path was taken at all (the targeted property below exercises it more).
    expect(inPlace).toBeGreaterThan(0);
  });

  it("in place, give what the join gives for appended records and set scalars", () => {
    const rec = fc.record({
      id: fc.constantFrom("r1", "r2", "r3", "r4", "r5"),
      ts: fc.nat(5),
      text: fc.string({ maxLength: 3 }),
    });
    const edit = fc.oneof(
      fc.record({ op: fc.constant("append" as const), record: rec }),
      fc.record({ op: fc.constant("set" as const), key: fc.constantFrom("a", "b"), value: leaf }),
    );
    let taken = 0;
    fc.assert(
      fc.property(doc, fc.array(edit, { minLength: 1, maxLength: 3 }), fc.boolean(), (start, edits, otherDevice) => {
        const a = new HybridLogicalClock("device-a", { now: () => 1_000 });
        const b = new HybridLogicalClock("device-b", { now: () => 1_000 });
        const state = stamp(null, start, a.tick(), RULES);
        const clock = otherDevice ? b : a;
        clock.observe(a.last);
        const writes = edits.flatMap((e) =>
          e.op === "append"
            ? appendWrites("/log", e.record, clock.tick(), RULES)
            : assignmentWrites(`/${e.key}`, e.value, clock.tick(), RULES),
        );
        const expected = applyWrites(state, writes, RULES);
        const copy = structuredClone(state);
        if (applyWritesInPlace(copy, writes, RULES)) {
          taken += 1;
          expect(canonicalJson(copy.data)).toBe(canonicalJson(expected.data));
          expect(copy.clocks).toEqual(expected.clocks);
          // The list keeps the order the join gives it, not only the same members.
          expect(JSON.stringify((copy.data as { log?: Json }).log)).toBe(
            JSON.stringify((expected.data as { log?: Json }).log),
          );
        } else expect(copy).toEqual(state);
      }),
      { numRuns: 300, seed: 0x0c4a_0003 },
    );
    expect(taken).toBeGreaterThan(100);
  });

  it("sends a turn added to a large record as a patch of that turn, not the record", () => {
    const clock = new HybridLogicalClock("device-a", { now: () => 1_000 });
    const turns = Array.from({ length: 40 }, (_, i) => ({ id: `t${i}`, text: "x".repeat(200) }));
    const before = stamp(null, { conversations: [{ id: "c1", turns }] }, clock.tick(), { "/conversations": "append" });
    const grown = { conversations: [{ id: "c1", turns: [...turns, { id: "t40", text: "hello" }] }] };
    const after = stamp(before, grown, clock.tick(), { "/conversations": "append" });
    const writes = diffRegisters(before, after, { "/conversations": "append" });
    expect(writes).toHaveLength(1);
    expect(writes[0]![2]).toBe("patch");
    expect(JSON.stringify(writes).length).toBeLessThan(200);
    same(applyWrites(before, writes, { "/conversations": "append" }), after);
    const copy = structuredClone(before);
    expect(applyWritesInPlace(copy, writes, { "/conversations": "append" })).toBe(true);
    expect(canonicalJson(copy.data)).toBe(canonicalJson(after.data));
    expect(copy.clocks).toEqual(after.clocks);
  });

  it("builds an append or an assignment as the registers stamp would record", () => {
    const rules: MergeRules = { "/log": "append" };
    const clock = new HybridLogicalClock("device-a", { now: () => 1_000 });
    const state = stamp(null, { log: [{ id: 1, t: "a" }], meta: { n: 1 } }, clock.tick(), rules);
    const appended = applyWrites(state, appendWrites("/log", { id: 2, t: "b" }, clock.tick(), rules), rules);
    expect(appended.data).toEqual({
      log: [
        { id: 1, t: "a" },
        { id: 2, t: "b" },
      ],
      meta: { n: 1 },
    });
    const set = applyWrites(appended, assignmentWrites("/meta", { m: 2 }, clock.tick(), rules), rules);
    expect(set.data).toEqual({
      log: [
        { id: 1, t: "a" },
        { id: 2, t: "b" },
      ],
      meta: { m: 2 },
    });
    expect(() => appendWrites("/meta", { id: 3 }, clock.tick(), rules)).toThrow(/not an append list/);
    expect(() => appendWrites("/log", { no: "id" }, clock.tick(), rules)).toThrow(/id/);
  });

  it("refuses malformed writes from a token as invalid_payload", () => {
    for (const bad of [
      null,
      [["not a pointer", "", "leaf", 1]],
      [["/a", "not-an-hlc", "leaf", 1]],
      [["/a", "", "weird"]],
      [["/a", "", "leaf"]],
      [["/a", "", "object", 1]],
      [["/a", "", "patch", { z: 1 }]],
    ]) {
      expect(() => checkWrites(bad)).toThrow(expect.objectContaining({ code: "invalid_payload" }));
    }
  });
});

describe("value patches", () => {
  it("turn a into b, and check their own shape", () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        const patch = diffValue(a, b);
        if (patch === null) {
          expect(canonicalJson(a)).toBe(canonicalJson(b));
          return;
        }
        expect(isValuePatch(JSON.parse(JSON.stringify(patch)))).toBe(true);
        expect(canonicalJson(patchValue(a, patch))).toBe(canonicalJson(b));
      }),
      { numRuns: 500, seed: 0x0c4a_0002 },
    );
  });

  it("refuses to patch a value of another shape than it was made for", () => {
    expect(() => patchValue([1], { o: {} })).toThrow(expect.objectContaining({ code: "invalid_payload" }));
    expect(() => patchValue([1], { n: 3, a: [] })).toThrow(expect.objectContaining({ code: "invalid_payload" }));
  });
});
