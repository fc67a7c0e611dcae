import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AutoSyncTimer } from "../../../../client/core/auto/timer.ts";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A run whose completion the test controls. */
function controlledRun() {
  const calls: Array<ReadonlySet<string> | null> = [];
  const pending: Array<(ok: boolean) => void> = [];
  const run = (requested: ReadonlySet<string> | null) => {
    calls.push(requested);
    return new Promise<boolean>((resolve) => pending.push(resolve));
  };
  return { run, calls, finish: (ok = true) => pending.shift()!(ok) };
}

describe("AutoSyncTimer", () => {
  it("checks its options", () => {
    const run = async () => true;
    expect(() => new AutoSyncTimer(run, { intervalMs: 0 })).toThrow(RangeError);
    expect(() => new AutoSyncTimer(run, { intervalMs: 1000, jitter: 1 })).toThrow(RangeError);
    expect(() => new AutoSyncTimer(run, { intervalMs: 1000, maxBackoffMs: 0 })).toThrow(RangeError);
  });

  it("runs at once, then again one jittered interval after each run ends", async () => {
    const { run, calls, finish } = controlledRun();
    const timer = new AutoSyncTimer(run, { intervalMs: 1000, jitter: 0.1, random: () => 1 });
    timer.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(1);
    finish();
    await vi.advanceTimersByTimeAsync(1099);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(2);
    finish();
    await timer.stop();
  });

  it("spreads each delay by the jitter", () => {
    const delay = (random: number) =>
      new AutoSyncTimer(async () => true, { intervalMs: 1000, jitter: 0.2, random: () => random }).nextDelay();
    expect([delay(0), delay(0.5), delay(0.999999)]).toEqual([800, 1000, 1200]);
  });

  it("doubles the delay after each failed run up to the ceiling, and resets it after a success", async () => {
    let ok = false;
    const timer = new AutoSyncTimer(async () => ok, { intervalMs: 1000, jitter: 0, maxBackoffMs: 5000 });
    timer.start();
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      await vi.advanceTimersByTimeAsync(timer.state.nextRunAt! - Date.now());
      delays.push(timer.nextDelay());
    }
    expect(timer.state.failures).toBe(4);
    expect(delays).toEqual([2000, 4000, 5000, 5000]);
    ok = true;
    await vi.advanceTimersByTimeAsync(timer.state.nextRunAt! - Date.now());
    expect(timer.state.failures).toBe(0);
    expect(timer.nextDelay()).toBe(1000);
    await timer.stop();
  });

  it("never starts a run while one is going: a wake during a run runs once right after it", async () => {
    const { run, calls, finish } = controlledRun();
    const timer = new AutoSyncTimer(run, { intervalMs: 60_000 });
    timer.start();
    await vi.advanceTimersByTimeAsync(0);
    timer.wake("notes");
    timer.wake("default");
    await vi.advanceTimersByTimeAsync(10);
    expect(calls).toHaveLength(1);
    expect(timer.state.running).toBe(true);
    finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(2);
    expect([...calls[1]!].sort()).toEqual(["default", "notes"]);
    finish();
    await timer.stop();
  });

  it("wakes an idle timer at once, for all documents when none is named", async () => {
    const { run, calls, finish } = controlledRun();
    const timer = new AutoSyncTimer(run, { intervalMs: 60_000 });
    timer.start();
    await vi.advanceTimersByTimeAsync(0);
    finish();
    await vi.advanceTimersByTimeAsync(0);
    timer.wake("notes");
    timer.wake();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toEqual([null, null]);
    finish();
    await timer.stop();
  });

  it("waits for a run in progress when stopped, and runs no more", async () => {
    const { run, calls, finish } = controlledRun();
    const timer = new AutoSyncTimer(run, { intervalMs: 1000 });
    timer.start();
    await vi.advanceTimersByTimeAsync(0);
    let stopped = false;
    const stopping = timer.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    finish();
    await stopping;
    expect(stopped).toBe(true);
    timer.wake();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(1);
    expect(timer.state).toEqual({ running: false, failures: 0, nextRunAt: null });
  });
});
