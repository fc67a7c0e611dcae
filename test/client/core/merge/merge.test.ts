import { describe, expect, test } from "vitest";
import { SyncError } from "../../../../client/core/errors.ts";
import { HybridLogicalClock, hlcFromWallTime } from "../../../../client/core/merge/hlc.ts";
import { latestClock, merge, stamp, stampWhole, type Json, type Stamped } from "../../../../client/core/merge/merge.ts";

const T0 = Date.UTC(2025, 0, 1, 10, 0, 0);
const HOUR = 3_600_000;

/** Two devices sharing one synced base, each with its own clock. */
function twoDevices(data: Json, skewB = 0) {
  const a = new HybridLogicalClock("device-a", { now: () => T0 });
  const b = new HybridLogicalClock("device-b", { now: () => T0 + skewB });
  const base = stamp(null, data, a.tick());
  b.observe(latestClock(base));
  return { a, b, base };
}

function both(base: Stamped, x: Stamped, y: Stamped): Stamped {
  const xy = merge(base, x, y);
  expect(merge(base, y, x)).toEqual(xy);
  return xy;
}

describe("merge: last writer wins per key", () => {
  test("concurrent edits of different keys on two devices both survive", () => {
    const { a, b, base } = twoDevices({
      preferences: { theme: "dark", language: "en" },
      ai_persona: { curiosity: 0.8 },
    });
    const x = stamp(
      base,
      { preferences: { theme: "light", language: "en" }, ai_persona: { curiosity: 0.8 } },
      a.tick(),
    );
    const y = stamp(base, { preferences: { theme: "dark", language: "fr" }, ai_persona: { curiosity: 0.9 } }, b.tick());
    expect(both(base, x, y).data).toEqual({
      preferences: { theme: "light", language: "fr" },
      ai_persona: { curiosity: 0.9 },
    });
  });

  test("the later edit of the same key wins, in either merge order", () => {
    const { a, b, base } = twoDevices({ theme: "dark" });
    const early = stamp(base, { theme: "light" }, a.tick());
    b.observe(latestClock(early)); // b's edit comes after a's
    const late = stamp(base, { theme: "blue" }, b.tick());
    expect(both(base, early, late).data).toEqual({ theme: "blue" });
  });

  test("a device whose clock is an hour behind still wins with an edit made after seeing the other's", () => {
    const { a, b, base } = twoDevices({ theme: "dark" }, -HOUR);
    const first = stamp(base, { theme: "light" }, a.tick());
    const seen = merge(base, base, first);
    b.observe(latestClock(seen));
    const second = stamp(seen, { theme: "blue" }, b.tick());
    expect(both(base, first, second).data).toEqual({ theme: "blue" });
  });

  test("concurrent edits with equal wall time resolve the same way on both devices", () => {
    const { a, b, base } = twoDevices({ theme: "dark" });
    const x = stamp(base, { theme: "from-a" }, a.tick());
    const y = stamp(base, { theme: "from-b" }, b.tick());
    // Same ms and counter: the node id decides, "device-b" > "device-a".
    expect(both(base, x, y).data).toEqual({ theme: "from-b" });
  });

  test("edits deep in nested objects merge key by key; arrays are replaced whole", () => {
    const { a, b, base } = twoDevices({ s: { ui: { font: { size: 12, family: "mono" } }, tags: ["a", "b"] } });
    const x = stamp(base, { s: { ui: { font: { size: 14, family: "mono" } }, tags: ["a", "b"] } }, a.tick());
    const y = stamp(base, { s: { ui: { font: { size: 12, family: "serif" } }, tags: ["c"] } }, b.tick());
    expect(both(base, x, y).data).toEqual({ s: { ui: { font: { size: 14, family: "serif" } }, tags: ["c"] } });
  });

  test("records which paths changed and leaves unchanged ones at their old clock", () => {
    const { a, base } = twoDevices({ k1: 1, k2: { x: 1 } });
    const at = a.tick();
    const next = stamp(base, { k1: 1, k2: { x: 2 } }, at);
    expect(next.clocks["/k2/x"]).toBe(at);
    expect(next.clocks["/k1"]).toBe(base.clocks["/k1"]);
  });
});

describe("merge: deletions are edits", () => {
  test("a delete later than the other device's edit removes the key", () => {
    const { a, b, base } = twoDevices({ keep: 1, gone: "old" });
    const edit = stamp(base, { keep: 1, gone: "edited" }, a.tick());
    b.observe(latestClock(edit));
    const del = stamp(base, { keep: 1 }, b.tick());
    expect(both(base, edit, del).data).toEqual({ keep: 1 });
  });

  test("an edit later than the other device's delete brings the key back with the new value", () => {
    const { a, b, base } = twoDevices({ keep: 1, gone: "old" });
    const del = stamp(base, { keep: 1 }, a.tick());
    b.observe(latestClock(del));
    const edit = stamp(base, { keep: 1, gone: "edited" }, b.tick());
    expect(both(base, del, edit).data).toEqual({ keep: 1, gone: "edited" });
  });

  test("a tombstone never resurrects the deleted value when merged with the old state", () => {
    const { a, base } = twoDevices({ keep: 1, gone: "old" });
    const del = stamp(base, { keep: 1 }, a.tick());
    expect(both(base, del, base).data).toEqual({ keep: 1 });
  });

  test("deleting a subtree leaves one tombstone and drops the clocks beneath it", () => {
    const { a, base } = twoDevices({ memory: { a: { b: 1, c: 2 }, d: 3 }, keep: true });
    const grown = stamp(base, { memory: { a: { b: 5, c: 6 }, d: 7 }, keep: true }, a.tick());
    const at = a.tick();
    const del = stamp(grown, { keep: true }, at);
    expect(del.clocks).toEqual({ "/keep": base.clocks["/keep"], "/memory": at });
  });

  test("an edit inside an object deleted earlier on another device keeps the object with that edit only", () => {
    const { a, b, base } = twoDevices({ prefs: { theme: "dark", lang: "en" } });
    const del = stamp(base, {}, a.tick());
    b.observe(latestClock(del));
    const edit = stamp(base, { prefs: { theme: "light", lang: "en" } }, b.tick());
    expect(both(base, del, edit).data).toEqual({ prefs: { theme: "light" } });
  });
});

describe("merge: a subtree replaced by a scalar and back", () => {
  test("a later scalar replaces an object edited earlier elsewhere", () => {
    const { a, b, base } = twoDevices({ x: { y: 1 } });
    const edit = stamp(base, { x: { y: 2 } }, a.tick());
    b.observe(latestClock(edit));
    const scalar = stamp(base, { x: "flat" }, b.tick());
    expect(both(base, edit, scalar).data).toEqual({ x: "flat" });
  });

  test("a later edit inside the object beats an earlier replacement by a scalar", () => {
    const { a, b, base } = twoDevices({ x: { y: 1, z: 1 } });
    const scalar = stamp(base, { x: "flat" }, a.tick());
    b.observe(latestClock(scalar));
    const edit = stamp(base, { x: { y: 2, z: 1 } }, b.tick());
    expect(both(base, scalar, edit).data).toEqual({ x: { y: 2 } });
  });

  test("an object written over a scalar later wins whole", () => {
    const { a, b, base } = twoDevices({ x: 1 });
    const num = stamp(base, { x: 2 }, a.tick());
    b.observe(latestClock(num));
    const obj = stamp(base, { x: { nested: true } }, b.tick());
    expect(both(base, num, obj).data).toEqual({ x: { nested: true } });
  });
});

describe("merge: new objects", () => {
  test("the same new object created on two devices at once keeps both devices' keys", () => {
    const { a, b, base } = twoDevices({});
    const x = stamp(base, { memory: { likes: "tea" } }, a.tick());
    const y = stamp(base, { memory: { dislikes: "noise" } }, b.tick());
    expect(both(base, x, y).data).toEqual({ memory: { likes: "tea", dislikes: "noise" } });
  });

  test("an empty object written later beats an earlier scalar at the same key", () => {
    const { a, b, base } = twoDevices({ x: "old" });
    const scalar = stamp(base, { x: "new" }, a.tick());
    b.observe(latestClock(scalar));
    const empty = stamp(base, { x: {} }, b.tick());
    expect(both(base, scalar, empty).data).toEqual({ x: {} });
  });

  test("first syncs of two devices that never shared a base merge key by key", () => {
    const a = new HybridLogicalClock("device-a", { now: () => T0 });
    const b = new HybridLogicalClock("device-b", { now: () => T0 + HOUR });
    const desktop = stamp(null, { preferences: { theme: "dark" }, ai_persona: { empathy: 0.9 } }, a.tick());
    const mobile = stamp(null, { preferences: { language: "en" } }, b.tick());
    expect(both(desktop, desktop, mobile).data).toEqual({
      preferences: { theme: "dark", language: "en" },
      ai_persona: { empathy: 0.9 },
    });
  });
});

describe("merge: clock maps stay bounded", () => {
  test("creating and deleting subtrees over and over leaves one tombstone per deleted key", () => {
    const { a, base } = twoDevices({ keep: 1 });
    let state = base;
    for (let round = 0; round < 200; round++) {
      const scratch = { [`k${round % 3}`]: { deep: { leaf: round, other: [round] } } };
      state = stamp(state, { keep: 1, scratch }, a.tick());
      state = merge(base, state, base);
      state = stamp(state, { keep: 1 }, a.tick());
    }
    expect(state.data).toEqual({ keep: 1 });
    expect(Object.keys(state.clocks).sort()).toEqual(["/keep", "/scratch"]);
  });

  test("re-creating a deleted key replaces its tombstone", () => {
    const { a, base } = twoDevices({ gone: { x: 1 } });
    const deleted = stamp(base, {}, a.tick());
    const at = a.tick();
    const back = stamp(deleted, { gone: 5 }, at);
    expect(back.clocks).toEqual({ "/gone": at });
  });

  test("a whole-document write drops every older tombstone", () => {
    const { a, base } = twoDevices({ a: 1, b: 2, c: 3 });
    const deleted = stamp(base, { c: 3 }, a.tick());
    expect(Object.keys(deleted.clocks).sort()).toEqual(["/a", "/b", "/c"]);
    const python = stampWhole({ c: 4 }, hlcFromWallTime(T0 + 60_000, "a1b2c3d4e5f60718"));
    expect(merge(null, deleted, python).clocks).toEqual(python.clocks);
  });

  test("a clock equal to its parent's is inherited, not written out", () => {
    const at = hlcFromWallTime(T0, "a1b2c3d4e5f60718");
    const whole = stampWhole({ a: { b: { c: [1, 2] } }, d: "x" }, at);
    expect(whole.clocks).toEqual({ "": at });
    const s = stamp(null, { a: { b: 1, c: 2 } }, at);
    expect(s.clocks).toEqual({ "/a/b": at, "/a/c": at });
  });
});

describe("merge: Python devices write the whole document at one time", () => {
  test("a whole-document stamp replaces everything written before it, keys it lacks included", () => {
    const { base } = twoDevices({ theme: "dark", local_only: 1 });
    const python = stampWhole({ theme: "python" }, hlcFromWallTime(T0 + 60_000, "a1b2c3d4e5f60718"));
    expect(both(base, base, python).data).toEqual({ theme: "python" });
    expect(python.clocks).toEqual({ "": hlcFromWallTime(T0 + 60_000, "a1b2c3d4e5f60718") });
  });

  test("edits made after the Python upload's time survive it", () => {
    const { a, base } = twoDevices({ theme: "dark", lang: "en" });
    const python = stampWhole({ theme: "python", lang: "en" }, hlcFromWallTime(T0 + 60_000, "a1b2c3d4e5f60718"));
    a.observe(latestClock(python));
    const later = stamp(base, { theme: "dark", lang: "de" }, a.tick());
    expect(both(base, later, python).data).toEqual({ theme: "python", lang: "de" });
  });
});

describe("merge: algebra and input checks", () => {
  test("merging a state with itself returns it unchanged", () => {
    const { a, base } = twoDevices({ a: { b: [1, 2] }, c: null });
    const next = stamp(base, { a: { b: [3] } }, a.tick());
    expect(merge(base, next, next)).toEqual(next);
    expect(merge(null, base, base)).toEqual(base);
  });

  test("keeps the local document's key order", () => {
    const { a, b, base } = twoDevices({ z: 1, a: 1, m: 1 });
    const x = stamp(base, { z: 2, a: 1, m: 1 }, a.tick());
    const y = stamp(base, { m: 1, a: 3, z: 1, new: 1 }, b.tick());
    expect(Object.keys(merge(base, x, y).data as object)).toEqual(["z", "a", "m", "new"]);
  });

  test("keeps a __proto__ key as data, never as a prototype", () => {
    const data = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as Json;
    const { a, base } = twoDevices(data);
    const next = stamp(base, JSON.parse('{"__proto__": {"polluted": false}, "ok": 1}') as Json, a.tick());
    const merged = merge(base, base, next);
    expect(Object.getPrototypeOf(merged.data)).toBe(Object.prototype);
    expect(JSON.stringify(merged.data)).toBe('{"__proto__":{"polluted":false},"ok":1}');
  });

  test("rejects a clock map with a non-HLC value as invalid_payload", () => {
    const { base } = twoDevices({ a: 1 });
    const bad: Stamped = { data: { a: 2 }, clocks: { "/a": "yesterday" } };
    expect(() => merge(base, base, bad)).toThrow(SyncError);
    expect(() => merge(base, base, bad)).toThrow(/not a hybrid logical clock timestamp/);
    expect(() => merge(base, base, { data: {}, clocks: { "no-slash": base.clocks["/a"]! } })).toThrow(
      /not a JSON pointer/,
    );
  });

  test("refuses to stamp with a clock that is not later than the previous state's newest", () => {
    const { a, base } = twoDevices({ a: 1 });
    const next = stamp(base, { a: 2 }, a.tick());
    expect(() => stamp(next, { a: 3 }, latestClock(base))).toThrow(RangeError);
    expect(() => stamp(next, { a: 3 }, "not-a-clock")).toThrow(/not a hybrid logical clock/);
  });
});
