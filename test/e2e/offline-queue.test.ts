import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FetchLike } from "../../client/core/ports.ts";
import { closedPortUrl } from "../support/closed-port.ts";
import { freshDataDir, freshKey, freshUser, manager, recordingFetch, type WireCall } from "../support/sync-clients.ts";
import { startWorkerServer, type WorkerServer } from "../support/worker-server.ts";

let server: WorkerServer;
/** Accepts connections and never answers: a server that hangs. */
let silent: TcpServer;
const silentSockets = new Set<Socket>();
let silentUrl: string;
let closedUrl: string;

beforeAll(async () => {
  server = await startWorkerServer();
  silent = createTcpServer((socket) => {
    silentSockets.add(socket);
    socket.on("close", () => silentSockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  closedUrl = await closedPortUrl();
});
afterAll(async () => {
  await server.stop();
  for (const socket of silentSockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

describe("the offline queue", () => {
  it("keeps changes met by an unreachable server and replays them after a restart", async () => {
    const [user, key, dataDir] = [freshUser(), freshKey(), freshDataDir()];
    const offline = await manager(closedUrl, { key, deviceId: "laptop", dataDir });
    const first = await offline.syncUpload(user, { theme: "dark" }).catch((e: unknown) => e);
    expect(first).toMatchObject({ code: "network" });
    expect((first as Error).message).toContain("unreachable");
    expect((first as Error).message).toContain("queued (1 pending)");
    await expect(offline.bidirectionalSync(user, { turns: 1 }, { doc: "memory" })).rejects.toThrow(
      /queued \(2 pending\)/,
    );
    const before = await offline.getSyncStatus(user);
    expect(before.pendingChanges).toBe(2);
    expect(before.lastError).toMatchObject({ code: "network", doc: "memory" });

    const restarted = await manager(server.url, { key, deviceId: "laptop", dataDir });
    expect(await restarted.syncDownload(user)).toEqual({ theme: "dark" });
    expect(await restarted.syncDownload(user, { doc: "memory" })).toEqual({ turns: 1 });
    expect((await restarted.getSyncStatus(user)).pendingChanges).toBe(0);
    expect((await restarted.listVersions(user)).map((v) => v.version)).toEqual([1]);
  });

  it("replays queued changes in the order they were made", async () => {
    const [user, key, dataDir] = [freshUser(), freshKey(), freshDataDir()];
    const offline = await manager(closedUrl, { key, deviceId: "laptop", dataDir });
    for (const n of [1, 2, 3]) await expect(offline.syncUpload(user, { n })).rejects.toMatchObject({ code: "network" });
    const online = await manager(server.url, { key, deviceId: "laptop", dataDir });
    await online.listDocuments(user);
    const versions = await online.listVersions(user);
    expect(versions.map((v) => v.version)).toEqual([3, 2, 1]);
    for (const v of versions)
      expect((await online.getVersion(user, { version: v.version })).data).toEqual({ n: v.version });
  });

  it("queues a change met by a timeout", async () => {
    const [user, key, dataDir] = [freshUser(), freshKey(), freshDataDir()];
    const hanging = await manager(silentUrl, { key, deviceId: "laptop", dataDir, timeoutMs: 300 });
    const error = await hanging.syncUpload(user, { a: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "network" });
    expect((error as Error).message).toContain("no answer within 0.3 s");
    expect((await hanging.pendingChanges(user)).map((c) => [c.doc, c.kind])).toEqual([["default", "upload"]]);
  });

  it("queues a change met by a 5xx and sends it with the next operation", async () => {
    const [user, key] = [freshUser(), freshKey()];
    let failNext = true;
    const flaky: FetchLike = async (url, init) => {
      if (init.method === "PUT" && url.includes("/docs/") && failNext) {
        failNext = false;
        return Response.json(
          { error: { code: "unavailable", message: "storage down" } },
          { status: 503, headers: { "Retry-After": "1" } },
        );
      }
      return fetch(url, init);
    };
    const device = await manager(server.url, { key, deviceId: "laptop", fetch: flaky });
    await expect(device.bidirectionalSync(user, { a: 1 })).rejects.toThrow(/unavailable.*queued \(1 pending\)/s);
    const result = await device.bidirectionalSync(user, { a: 1, b: 2 });
    expect(result.data).toEqual({ a: 1, b: 2 });
    expect((await device.listVersions(user)).map((v) => v.device_id)).toEqual(["laptop", "laptop"]);
    expect((await device.getVersion(user, { version: 1 })).data).toEqual({ a: 1 });
  });

  it("does not apply twice a queued change whose first attempt landed though its answer was lost", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const calls: WireCall[] = [];
    let loseNextAnswer = true;
    const lossy: FetchLike = async (url, init) => {
      const res = await fetch(url, init);
      if (init.method === "PUT" && url.includes("/docs/") && loseNextAnswer) {
        loseNextAnswer = false;
        throw new TypeError("fetch failed", { cause: { code: "ECONNRESET" } });
      }
      return res;
    };
    const laptop = await manager(server.url, { key, deviceId: "laptop", fetch: recordingFetch(calls, lossy) });
    await expect(laptop.syncUpload(user, { a: 1 })).rejects.toThrow(/ECONNRESET.*queued/s);
    // Another device writes on top before the laptop replays.
    const phone = await manager(server.url, { key, deviceId: "phone" });
    await phone.bidirectionalSync(user, { a: 1, phone: true });
    calls.length = 0;
    expect(await laptop.syncDownload(user)).toEqual({ a: 1, phone: true });
    expect(calls.filter((c) => c.method === "PUT")).toEqual([]);
    expect((await laptop.listVersions(user)).map((v) => [v.version, v.device_id])).toEqual([
      [2, "phone"],
      [1, "laptop"],
    ]);
    expect(await laptop.pendingChanges(user)).toEqual([]);
  });

  it("lets the user discard a queued change", async () => {
    const [user, key, dataDir] = [freshUser(), freshKey(), freshDataDir()];
    const offline = await manager(closedUrl, { key, deviceId: "laptop", dataDir });
    await expect(offline.syncUpload(user, { a: 1 })).rejects.toMatchObject({ code: "network" });
    const [queued] = await offline.pendingChanges(user);
    await offline.discardPendingChange(user, queued!.seq);
    const online = await manager(server.url, { key, deviceId: "laptop", dataDir });
    expect(await online.syncDownload(user)).toBeNull();
  });
});
