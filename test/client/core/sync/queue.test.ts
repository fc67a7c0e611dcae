import { describe, expect, it } from "vitest";
import { SyncError } from "../../../../client/core/errors.ts";
import { MemoryStore } from "../../../../client/core/ports.ts";
import { backoffDelay, OfflineQueue, type NewChange, type QueuedChange } from "../../../../client/core/sync/queue.ts";

function change(doc: string, counter: number, enqueuedAt = 1000): NewChange {
  return {
    doc,
    kind: "sync",
    change: { data: { counter }, clocks: {} },
    base: null,
    baseVersion: null,
    counter,
    enqueuedAt,
  };
}

describe("OfflineQueue", () => {
  it("keeps changes in order in the store, so a new queue on the same store sees them", async () => {
    const store = new MemoryStore();
    const first = new OfflineQueue(store, "alice");
    await first.enqueue(change("default", 1));
    await first.enqueue(change("notes", 2));
    await first.enqueue(change("default", 3));
    const restarted = new OfflineQueue(store, "alice");
    expect((await restarted.list()).map((e) => [e.seq, e.doc, e.counter])).toEqual([
      [1, "default", 1],
      [2, "notes", 2],
      [3, "default", 3],
    ]);
    expect(await store.keys("users/alice/queue/")).toEqual([
      "users/alice/queue/000000000001",
      "users/alice/queue/000000000002",
      "users/alice/queue/000000000003",
    ]);
  });

  it("keeps each user's queue apart", async () => {
    const store = new MemoryStore();
    await new OfflineQueue(store, "alice").enqueue(change("default", 1));
    expect(await new OfflineQueue(store, "bob").size()).toBe(0);
    expect(await new OfflineQueue(store, "alice").size()).toBe(1);
  });

  it("continues numbering after the last queued change, even after earlier ones were removed", async () => {
    const queue = new OfflineQueue(new MemoryStore(), "alice");
    await queue.enqueue(change("default", 1));
    const second = await queue.enqueue(change("default", 2));
    await queue.remove(1);
    expect((await queue.enqueue(change("default", 3))).seq).toBe(second.seq + 1);
  });

  it("replays every due change oldest first and removes each one applied", async () => {
    const queue = new OfflineQueue(new MemoryStore(), "alice");
    for (const n of [1, 2, 3]) await queue.enqueue(change("default", n));
    const applied: number[] = [];
    const result = await queue.drain(async (e) => void applied.push(e.counter), { now: 5000 });
    expect(applied).toEqual([1, 2, 3]);
    expect(result).toEqual({ replayed: 3, remaining: 0 });
    expect(await queue.size()).toBe(0);
  });

  it("stops at a network error, defers that change with back-off, and keeps the rest behind it", async () => {
    const queue = new OfflineQueue(new MemoryStore(), "alice", { baseDelayMs: 1000, random: () => 0.5 });
    for (const n of [1, 2, 3]) await queue.enqueue(change("default", n));
    const applied: number[] = [];
    const result = await queue.drain(
      async (e) => {
        if (e.counter === 2) throw new SyncError("network", "unreachable");
        applied.push(e.counter);
      },
      { now: 5000 },
    );
    expect(applied).toEqual([1]);
    expect(result.replayed).toBe(1);
    expect(result.remaining).toBe(2);
    expect(result.deferredBy?.code).toBe("network");
    const [head] = await queue.list();
    expect(head).toMatchObject({ counter: 2, attempts: 1, nextAttemptAt: 6000, lastError: { code: "network" } });
  });

  it("does not replay a deferred change before its back-off ends, unless forced", async () => {
    const queue = new OfflineQueue(new MemoryStore(), "alice", { baseDelayMs: 1000, random: () => 0.5 });
    await queue.enqueue(change("default", 1));
    await queue.drain(
      async () => {
        throw new SyncError("server_error", "500");
      },
      { now: 0 },
    );
    const applied: QueuedChange[] = [];
    expect(await queue.drain(async (e) => void applied.push(e), { now: 999 })).toEqual({ replayed: 0, remaining: 1 });
    expect(applied).toHaveLength(0);
    expect(await queue.drain(async (e) => void applied.push(e), { now: 999, force: true })).toEqual({
      replayed: 1,
      remaining: 0,
    });
  });

  it("keeps a change that fails for good at the head, records the error and throws it", async () => {
    const queue = new OfflineQueue(new MemoryStore(), "alice");
    await queue.enqueue(change("default", 1));
    await queue.enqueue(change("default", 2));
    const error = await queue
      .drain(
        async () => {
          throw new SyncError("wrong_key", "different FERNET_KEY");
        },
        { now: 5000 },
      )
      .catch((e: unknown) => e);
    expect((error as SyncError).code).toBe("wrong_key");
    const entries = await queue.list();
    expect(entries.map((e) => e.counter)).toEqual([1, 2]);
    expect(entries[0]?.lastError).toEqual({ code: "wrong_key", message: "different FERNET_KEY" });
  });
});

describe("backoffDelay", () => {
  it("doubles from the base delay up to the ceiling, within 20 % jitter", () => {
    const exact = (attempts: number) =>
      backoffDelay(attempts, { baseDelayMs: 1000, maxDelayMs: 10_000, random: () => 0.5 });
    expect([1, 2, 3, 4, 5, 50].map(exact)).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(backoffDelay(1, { baseDelayMs: 1000, random: () => 0 })).toBe(800);
    expect(backoffDelay(1, { baseDelayMs: 1000, random: () => 0.999999 })).toBe(1200);
  });
});
