/**
 * Abuse over real HTTP: a Worker whose rate limiters (the Workers Rate Limiting bindings, run by
 * miniflare) allow only a few requests answers 429 with Retry-After per user and per address, and
 * the client honours it: it sends nothing until Retry-After has passed by its clock, then asks
 * again. A 503's Retry-After stretches the offline queue's back-off the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SyncError } from "../../client/core/errors.ts";
import type { FetchLike } from "../../client/core/ports.ts";
import { freshKey, freshUser, manager, recordingFetch, type WireCall } from "../support/sync-clients.ts";
import { startWorkerServer, type WorkerServer } from "../support/worker-server.ts";

const LIMIT = 4;
const strict = (namespace: string) => ({
  type: "ratelimit",
  name: namespace,
  namespace_id: namespace,
  simple: { limit: LIMIT, period: 60 },
});

// Every test calls from 127.0.0.1, and a new user's first request is a failed authentication
// (the name has no account until the client claims it), so the two limits get a server each.
let userLimited: WorkerServer;
let addressLimited: WorkerServer;
beforeAll(async () => {
  [userLimited, addressLimited] = await Promise.all([
    startWorkerServer({ bindings: { USER_LIMITER: strict("7001") } }),
    startWorkerServer({ bindings: { ADDRESS_LIMITER: strict("7002") } }),
  ]);
});
afterAll(async () => {
  await Promise.all([userLimited?.stop(), addressLimited?.stop()]);
});

async function failure(promise: Promise<unknown>): Promise<SyncError> {
  return promise.then(
    () => expect.unreachable("expected a SyncError") as never,
    (e: unknown) => e as SyncError,
  );
}

/** A clock the test moves: real time plus whatever was added. */
function movableClock() {
  let added = 0;
  return {
    now: () => Date.now() + added,
    add: (ms: number) => {
      added += ms;
    },
  };
}

describe("the per-user limit", () => {
  it("answers 429 with Retry-After, and the client sends nothing more until that time has passed", async () => {
    const [user, key, calls, clock] = [freshUser("limited"), freshKey(), [] as WireCall[], movableClock()];
    const device = await manager(userLimited.url, { key, deviceId: "hammer", clock, fetch: recordingFetch(calls) });
    let refused: SyncError | undefined;
    for (let i = 0; i < LIMIT + 2 && refused === undefined; i++) {
      await device.syncUpload(user, { i }).catch((e: SyncError) => {
        refused = e;
      });
    }
    expect(refused).toMatchObject({ code: "rate_limited", status: 429, retryAfterMs: 60_000 });
    expect(calls.at(-1)).toMatchObject({ method: "PUT", status: 429 });

    const sent = calls.length;
    clock.add(59_000);
    for (const attempt of [
      () => device.syncUpload(user, { late: true }),
      () => device.listDevices(user),
      () => device.syncDownload(user),
    ]) {
      const error = await failure(attempt());
      expect(error.code).toBe("rate_limited");
      expect(error.message).toContain("nothing was sent");
      expect(error.retryAfterMs).toBeGreaterThan(0);
    }
    expect(calls.length).toBe(sent);

    clock.add(2_000);
    await device.listDevices(user);
    expect(calls.length).toBe(sent + 1);
    // Another user of the same Worker has a limit of its own.
    const other = await manager(userLimited.url, { key: freshKey(), deviceId: "calm" });
    expect(await other.syncUpload(freshUser("calm"), { ok: true })).toMatchObject({ version: 1 });
  });
});

describe("the per-address limit", () => {
  it("answers 429 to an address after repeated failed authentications, even with the right key", async () => {
    const [user, key] = [freshUser("owner"), freshKey()];
    const owner = await manager(addressLimited.url, { key, deviceId: "owner" });
    await owner.syncUpload(user, { mine: true });

    const guesser = await manager(addressLimited.url, { key: freshKey(), deviceId: "guesser" });
    const codes: string[] = [];
    while (codes.at(-1) !== "rate_limited" && codes.length < 2 * LIMIT)
      codes.push((await failure(guesser.syncDownload(user))).code);
    expect(codes.at(-1)).toBe("rate_limited");
    expect(codes.slice(0, -1)).toEqual(Array(codes.length - 1).fill("unauthorized"));
    expect(codes.length).toBeGreaterThan(1);
    // Both managers call from 127.0.0.1: the Worker now refuses that address before any token check.
    const blocked = await failure(owner.syncDownload(user));
    expect(blocked).toMatchObject({ code: "rate_limited", status: 429, retryAfterMs: 60_000 });
  });
});

describe("a 503 with Retry-After", () => {
  it("pushes the queued change's next automatic attempt out by at least Retry-After", async () => {
    const [user, key] = [freshUser("busy"), freshKey()];
    const busy: FetchLike = async (url, init) =>
      init.method === "PUT" && url.includes("/docs/")
        ? Response.json(
            { error: { code: "unavailable", message: "storage down" } },
            { status: 503, headers: { "Retry-After": "300" } },
          )
        : fetch(url, init);
    const device = await manager(userLimited.url, { key, deviceId: "patient", fetch: busy });
    await expect(device.syncUpload(user, { a: 1 })).rejects.toMatchObject({ code: "network" });
    const before = Date.now();
    // The next operation replays the queued change first and meets the 503 again.
    await expect(device.syncUpload(user, { a: 2 })).rejects.toMatchObject({ code: "network" });
    const [first] = await device.pendingChanges(user);
    expect(first?.attempts).toBe(1);
    expect(first!.nextAttemptAt - before).toBeGreaterThanOrEqual(300_000 - 1_000);
  });
});
