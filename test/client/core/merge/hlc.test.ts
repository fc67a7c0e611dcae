import { describe, expect, test } from "vitest";
import { SyncError } from "../../../../client/core/errors.ts";
import {
  compareHlc,
  hlcFromWallTime,
  HybridLogicalClock,
  MIN_HLC,
  parseHlc,
} from "../../../../client/core/merge/hlc.ts";

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 0, 1, 10, 0, 0);

/** A wall clock the test moves by hand. */
function manualTime(start: number): { now: () => number; advance: (ms: number) => void; set: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms), set: (ms) => (t = ms) };
}

describe("HybridLogicalClock", () => {
  test("encodes as fixed-width <13-digit ms>:<4 hex counter>:<node id>", () => {
    const clock = new HybridLogicalClock("dev-a", { now: () => T0 });
    expect(clock.tick()).toBe(`${T0}:0000:dev-a`);
    expect(clock.tick()).toBe(`${T0}:0001:dev-a`);
    expect(hlcFromWallTime(5, "x")).toBe("0000000000005:0000:x");
  });

  test("ticks strictly increase while the wall clock stands still or goes backwards", () => {
    const time = manualTime(T0);
    const clock = new HybridLogicalClock("dev-a", { now: time.now });
    const stamps = [clock.tick(), clock.tick()];
    time.set(T0 - HOUR);
    stamps.push(clock.tick(), clock.tick());
    time.set(T0 + 1);
    stamps.push(clock.tick());
    for (let i = 1; i < stamps.length; i++) expect(compareHlc(stamps[i]!, stamps[i - 1]!)).toBe(1);
    expect(stamps.at(-1)).toBe(`${T0 + 1}:0000:dev-a`);
  });

  test("string order equals HLC order across digits, counters and node ids", () => {
    const ordered = [
      MIN_HLC,
      "0000000000999:ffff:zzz",
      "0000000001000:0000:a",
      "0000000001000:0000:b",
      "0000000001000:000a:a",
      "0000000001000:0010:a",
      "0000000010000:0000:a",
    ];
    const shuffled = [...ordered].reverse().sort(compareHlc);
    expect(shuffled).toEqual(ordered);
  });

  test("breaks a tie of equal time and counter by node id, the same way on every device", () => {
    const a = new HybridLogicalClock("device-a", { now: () => T0 }).tick();
    const b = new HybridLogicalClock("device-b", { now: () => T0 }).tick();
    expect(compareHlc(a, b)).toBe(-1);
    expect(compareHlc(b, a)).toBe(1);
    expect(compareHlc(a, a)).toBe(0);
  });

  test("a tick after observing a timestamp from a clock an hour ahead sorts after it", () => {
    const fast = new HybridLogicalClock("fast", { now: () => T0 + HOUR });
    const slow = new HybridLogicalClock("slow", { now: () => T0 });
    const remote = fast.tick();
    slow.observe(remote);
    const local = slow.tick();
    expect(compareHlc(local, remote)).toBe(1);
    expect(parseHlc(local).ms).toBe(T0 + HOUR);
  });

  test("skewed clocks (±1 h) still order causally later edits after the ones they observed", () => {
    const skews = [+HOUR, -HOUR, +HOUR / 2, -HOUR / 3];
    const time = manualTime(T0);
    const clocks = skews.map((skew, i) => new HybridLogicalClock(`dev-${i}`, { now: () => time.now() + skew }));
    // A causal chain passed from device to device, round and round, with real time moving on slowly.
    let previous = clocks[0]!.tick();
    for (let step = 1; step < 40; step++) {
      time.advance(7);
      const clock = clocks[step % clocks.length]!;
      clock.observe(previous);
      const next = clock.tick();
      expect(compareHlc(next, previous)).toBe(1);
      previous = next;
    }
  });

  test("adds the server-minus-local offset to local time", () => {
    const clock = new HybridLogicalClock("dev-a", { now: () => T0, offsetMs: () => -HOUR });
    expect(parseHlc(clock.tick()).ms).toBe(T0 - HOUR);
  });

  test("rolls a full counter into the next millisecond instead of wrapping", () => {
    const clock = new HybridLogicalClock("dev-a", { now: () => T0 });
    clock.observe(`${T0}:fffe:other`);
    expect(clock.tick()).toBe(`${T0}:ffff:dev-a`);
    expect(clock.tick()).toBe(`${T0 + 1}:0000:dev-a`);
  });

  test("observing an older timestamp changes nothing", () => {
    const clock = new HybridLogicalClock("dev-a", { now: () => T0 });
    const first = clock.tick();
    clock.observe(`${T0 - HOUR}:0005:other`);
    expect(clock.last).toBe(first);
    expect(clock.tick()).toBe(`${T0}:0001:dev-a`);
  });

  test("a restarted clock that observes its persisted last timestamp continues after it", () => {
    const before = new HybridLogicalClock("dev-a", { now: () => T0 });
    before.tick();
    const persisted = before.tick();
    const after = new HybridLogicalClock("dev-a", { now: () => T0 - 5000 });
    expect(after.last).toBe(MIN_HLC);
    after.observe(persisted);
    expect(compareHlc(after.tick(), persisted)).toBe(1);
  });

  test("rejects a malformed remote timestamp as invalid_payload", () => {
    const clock = new HybridLogicalClock("dev-a", { now: () => T0 });
    for (const bad of ["123:0000:a", "1735725600000:00:a", "1735725600000:0000:", "1735725600000:GGGG:a", "x"]) {
      expect(() => clock.observe(bad)).toThrow(SyncError);
      try {
        clock.observe(bad);
      } catch (error) {
        expect((error as SyncError).code).toBe("invalid_payload");
        expect((error as SyncError).message).toMatch(/not a hybrid logical clock timestamp/);
      }
    }
    expect(clock.last).toBe(MIN_HLC);
  });

  test("rejects a node id with spaces or of the wrong length at construction", () => {
    expect(() => new HybridLogicalClock("")).toThrow(TypeError);
    expect(() => new HybridLogicalClock("has space")).toThrow(/nodeId must be/);
    expect(() => new HybridLogicalClock("x".repeat(129))).toThrow(TypeError);
    expect(() => hlcFromWallTime(Number.NaN, "py")).toThrow(RangeError);
  });

  test("hlcFromWallTime keeps microseconds in the counter, so uploads within one millisecond stay ordered", () => {
    expect(hlcFromWallTime(T0 + 0.123, "py")).toBe(`${T0}:007b:py`);
    expect(hlcFromWallTime(T0 + 0.9996, "py")).toBe(`${T0}:03e7:py`);
    expect(compareHlc(hlcFromWallTime(T0 + 0.002, "py"), hlcFromWallTime(T0 + 0.001, "py"))).toBe(1);
    expect(hlcFromWallTime(T0, "py")).toBe(`${T0}:0000:py`);
  });

  test("hlcFromWallTime sorts a Python upload by its wall time among HLC ticks", () => {
    const clock = new HybridLogicalClock("dev-a", { now: () => T0 });
    const before = clock.tick();
    const python = hlcFromWallTime(T0 + 1, "a1b2c3d4e5f60718");
    expect(compareHlc(python, before)).toBe(1);
    clock.observe(python);
    expect(compareHlc(clock.tick(), python)).toBe(1);
  });
});
