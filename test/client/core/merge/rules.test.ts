import { describe, expect, test } from "vitest";
import { HybridLogicalClock, hlcFromWallTime } from "../../../../client/core/merge/hlc.ts";
import {
  latestClock,
  merge,
  PROJECT_AI_RULES,
  stamp,
  stampWhole,
  type Json,
  type MergeRules,
  type Stamped,
} from "../../../../client/core/merge/merge.ts";
import { parseIsoAsUtc, recordTime } from "../../../../client/core/merge/records.ts";

const T0 = Date.UTC(2025, 0, 1, 10, 0, 0);
const RULES: MergeRules = { "/turns": "append", "/progress/*": "max" };

function twoDevices(data: Json, rules: MergeRules = RULES) {
  const a = new HybridLogicalClock("device-a", { now: () => T0 });
  const b = new HybridLogicalClock("device-b", { now: () => T0 });
  const base = stamp(null, data, a.tick(), rules);
  b.observe(latestClock(base));
  return { a, b, base };
}

function both(base: Stamped, x: Stamped, y: Stamped, rules: MergeRules = RULES): Stamped {
  const xy = merge(base, x, y, rules);
  expect(merge(base, y, x, rules)).toEqual(xy);
  return xy;
}

const turn = (id: string, ts: string, text: string) => ({ id, timestamp: ts, text });

describe("append: lists of records merge as a union by id", () => {
  test("turns added on two devices both survive, in time order", () => {
    const t1 = turn("t1", "2025-01-01T10:00:00.000001", "hello");
    const { a, b, base } = twoDevices({ turns: [t1] });
    const fromA = turn("a1", "2025-01-01T10:05:00.000000", "from desktop");
    const fromB1 = turn("b1", "2025-01-01T10:03:00.000000", "from mobile");
    const fromB2 = turn("b2", "2025-01-01T10:07:00.000000", "mobile again");
    const x = stamp(base, { turns: [t1, fromA] }, a.tick(), RULES);
    const y = stamp(base, { turns: [t1, fromB1, fromB2] }, b.tick(), RULES);
    expect(both(base, x, y).data).toEqual({ turns: [t1, fromB1, fromA, fromB2] });
  });

  test("a record present on both devices with different content resolves by clock", () => {
    const { a, b, base } = twoDevices({ turns: [turn("t1", "2025-01-01T10:00:00", "draft")] });
    const x = stamp(base, { turns: [turn("t1", "2025-01-01T10:00:00", "edited on a")] }, a.tick(), RULES);
    b.observe(latestClock(x));
    const y = stamp(base, { turns: [turn("t1", "2025-01-01T10:00:00", "edited later on b")] }, b.tick(), RULES);
    expect(both(base, x, y).data).toEqual({ turns: [turn("t1", "2025-01-01T10:00:00", "edited later on b")] });
  });

  test("a removed record stays removed while the other device adds new ones", () => {
    const t1 = turn("t1", "2025-01-01T10:00:00", "old");
    const t2 = turn("t2", "2025-01-01T10:01:00", "keep");
    const { a, b, base } = twoDevices({ turns: [t1, t2] });
    const x = stamp(base, { turns: [t2] }, a.tick(), RULES);
    const t3 = turn("t3", "2025-01-01T10:02:00", "new");
    const y = stamp(base, { turns: [t1, t2, t3] }, b.tick(), RULES);
    expect(both(base, x, y).data).toEqual({ turns: [t2, t3] });
    expect(x.clocks['/turns/@"t1"']).toBeDefined();
  });

  test("orders records by ts in seconds or ms, then by clock when they have no time", () => {
    const { a, b, base } = twoDevices({ turns: [] });
    const x = stamp(base, { turns: [{ id: 1, ts: 1_735_725_000 }, { id: "untimed-a" }] }, a.tick(), RULES);
    b.observe(latestClock(x));
    const y = stamp(base, { turns: [{ id: "1", ts: 1_735_725_599_000 }, { id: "untimed-b" }] }, b.tick(), RULES);
    // id 1 and id "1" are different records; a record without a time sorts at its clock's time (T0).
    expect(both(base, x, y).data).toEqual({
      turns: [
        { id: 1, ts: 1_735_725_000 },
        { id: "1", ts: 1_735_725_599_000 },
        { id: "untimed-a" },
        { id: "untimed-b" },
      ],
    });
  });

  test("a list that is not records (no ids, or a repeated id) is a value, replaced whole by the later write", () => {
    const { a, b, base } = twoDevices({ turns: [{ id: "t1" }] });
    const x = stamp(base, { turns: [{ id: "t1" }, { id: "t2" }] }, a.tick(), RULES);
    b.observe(latestClock(x));
    const y = stamp(base, { turns: ["no", "ids"] }, b.tick(), RULES);
    expect(both(base, x, y).data).toEqual({ turns: ["no", "ids"] });
    const dup = stamp(y, { turns: [{ id: "z" }, { id: "z" }] }, b.tick(), RULES);
    expect(dup.clocks["/turns"]).toBe(latestClock(dup));
  });

  test("a Python whole-document upload keeps only the records it has, plus records added after it", () => {
    const t1 = turn("t1", "2025-01-01T09:00:00", "old");
    const { a, base } = twoDevices({ turns: [t1] });
    const python = stampWhole(
      { turns: [t1, turn("p1", "2025-01-01T10:00:00", "python")] },
      hlcFromWallTime(T0 + 1000, "pydevice00000001"),
      RULES,
    );
    a.observe(latestClock(python));
    const later = stamp(base, { turns: [t1, turn("a1", "2025-01-01T10:30:00", "after")] }, a.tick(), RULES);
    expect(both(base, later, python).data).toEqual({
      turns: [t1, turn("p1", "2025-01-01T10:00:00", "python"), turn("a1", "2025-01-01T10:30:00", "after")],
    });
  });
});

describe("max: counters never go back", () => {
  test("concurrent increments merge to the larger count", () => {
    const { a, b, base } = twoDevices({ progress: { algebra: 3, physics: 1 } });
    const x = stamp(base, { progress: { algebra: 7, physics: 1 } }, a.tick(), RULES);
    b.observe(latestClock(x));
    const y = stamp(base, { progress: { algebra: 5, physics: 2 } }, b.tick(), RULES);
    expect(both(base, x, y).data).toEqual({ progress: { algebra: 7, physics: 2 } });
  });

  test("a later, lower value does not take a counter back", () => {
    const { a, base } = twoDevices({ progress: { algebra: 9 } });
    const lowered = stamp(base, { progress: { algebra: 2 } }, a.tick(), RULES);
    expect(lowered.data).toEqual({ progress: { algebra: 2 } });
    expect(both(base, base, lowered).data).toEqual({ progress: { algebra: 9 } });
  });

  test("an older Python upload with a lower count does not take the counter back", () => {
    const { a, base } = twoDevices({ progress: { algebra: 1 } });
    const counted = stamp(base, { progress: { algebra: 12 } }, a.tick(), RULES);
    const python = stampWhole({ progress: { algebra: 4 } }, hlcFromWallTime(T0 + 60_000, "pydevice00000001"), RULES);
    expect(both(base, counted, python).data).toEqual({ progress: { algebra: 12 } });
  });

  test("a counter survives the deletion of itself and of the object holding it", () => {
    const { a, b, base } = twoDevices({ progress: { algebra: 3 }, other: 1 });
    const deleted = stamp(base, { progress: {}, other: 1 }, a.tick(), RULES);
    expect(both(base, base, deleted).data).toEqual({ progress: { algebra: 3 }, other: 1 });
    b.observe(latestClock(deleted));
    const parentGone = stamp(base, { other: 2 }, b.tick(), RULES);
    expect(parentGone.data).toEqual({ progress: { algebra: 3 }, other: 2 });
    expect(both(base, deleted, parentGone).data).toEqual({ progress: { algebra: 3 }, other: 2 });
  });

  test("a non-number written over a counter loses to the number", () => {
    const { a, base } = twoDevices({ progress: { algebra: 3 } });
    const text = stamp(base, { progress: { algebra: "three" } }, a.tick(), RULES);
    expect(both(base, base, text).data).toEqual({ progress: { algebra: 3 } });
  });
});

describe("merge rules", () => {
  test("the most specific pattern decides, whatever order the rules are written in", () => {
    const rules: MergeRules = { "/progress/*": "max", "/progress/notes": "lww" };
    const { a, base } = twoDevices({ progress: { notes: 5, algebra: 5 } }, rules);
    const lowered = stamp(base, { progress: { notes: 1, algebra: 1 } }, a.tick(), rules);
    expect(both(base, base, lowered, rules).data).toEqual({ progress: { notes: 1, algebra: 5 } });
  });

  test("rejects a pattern without a leading slash and an unknown rule with TypeError", () => {
    const { a, base } = twoDevices({});
    expect(() => stamp(base, {}, a.tick(), { progress: "max" })).toThrow(/must be "" or start with "\/"/);
    expect(() => merge(null, base, base, { "/x": "sum" as never })).toThrow(TypeError);
  });

  test("PROJECT_AI_RULES merge a Project-AI document: turns append, progress only grows, preferences per key", () => {
    const doc = {
      preferences: { theme: "dark", language: "en" },
      ai_persona: { curiosity: 0.8, interaction_count: 10 },
      memory: { conversations: [{ id: "c1", timestamp: "2025-01-01T09:00:00", role: "user", content: "hi" }] },
      learning: { progress: { python: 2 }, completed_courses: [{ id: "intro", completed_at: "2025-01-01" }] },
    };
    const { a, b, base } = twoDevices(doc, PROJECT_AI_RULES);
    const desktop = structuredClone(doc);
    desktop.preferences.theme = "light";
    desktop.ai_persona.interaction_count = 14;
    desktop.memory.conversations.push({ id: "d1", timestamp: "2025-01-01T10:00:00", role: "user", content: "desktop" });
    const mobile = structuredClone(doc);
    mobile.preferences.language = "fr";
    mobile.ai_persona.interaction_count = 12;
    mobile.learning.progress.python = 3;
    mobile.memory.conversations.push({ id: "m1", timestamp: "2025-01-01T09:30:00", role: "user", content: "mobile" });
    const x = stamp(base, desktop, a.tick(), PROJECT_AI_RULES);
    const y = stamp(base, mobile, b.tick(), PROJECT_AI_RULES);
    const merged = both(base, x, y, PROJECT_AI_RULES).data as typeof doc;
    expect(merged.preferences).toEqual({ theme: "light", language: "fr" });
    expect(merged.ai_persona.interaction_count).toBe(14);
    expect(merged.learning.progress.python).toBe(3);
    expect(merged.memory.conversations.map((t) => t.id)).toEqual(["c1", "m1", "d1"]);
  });
});

describe("record times", () => {
  test("reads ISO times without an offset as UTC, with offsets applied, microseconds kept", () => {
    expect(parseIsoAsUtc("2025-01-01T10:00:00")).toBe(T0);
    expect(parseIsoAsUtc("2025-01-01T11:00:00+01:00")).toBe(T0);
    expect(parseIsoAsUtc("2025-01-01T10:00:00.000500Z")).toBe(T0 + 0.5);
    expect(parseIsoAsUtc("2025-01-01")).toBe(Date.UTC(2025, 0, 1));
    expect(parseIsoAsUtc("yesterday")).toBeUndefined();
  });

  test("falls back to the clock's time for a record with no usable time field", () => {
    expect(recordTime({ id: 1, timestamp: "soon" }, 42)).toBe(42);
    expect(recordTime({ id: 1, ts: 2 }, 42)).toBe(2000);
    expect(recordTime({ id: 1, created_at: "1970-01-01T00:00:01Z" }, 42)).toBe(1000);
  });
});
