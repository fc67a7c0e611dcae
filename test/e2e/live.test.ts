/**
 * Two real SyncManagers over HTTP against the Worker in workerd: B runs auto-sync with polling set
 * to minutes, so only the live announcement can explain B holding A's change within the test.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../client/core/crypto/fernet-key.ts";
import type { Json } from "../../client/core/merge/json-value.ts";
import type { LiveStatus } from "../../client/core/wire/live.ts";
import { SyncManager } from "../../client/core/manager.ts";
import { MemoryStore } from "../../client/core/ports.ts";
import { nodeWebSocket } from "../../client/node/websocket.ts";
import { startWorkerServer, type WorkerServer } from "../support/worker-server.ts";

const POLL_SECONDS = 300;
const username = "erin";
const key = generateKey();

let server: WorkerServer;
let a: SyncManager;
let b: SyncManager;
/** B's application copy of each document, written by auto-sync. */
const bLocal = new Map<string, Json>();
const bStatuses: LiveStatus[] = [];

beforeAll(async () => {
  server = await startWorkerServer();
  a = await SyncManager.create({ url: server.url, key, store: new MemoryStore(), deviceId: "laptop-a" });
  // B is a Node 20-style device: the WebSocket comes injected from client/node.
  b = await SyncManager.create({
    url: server.url,
    key,
    store: new MemoryStore(),
    deviceId: "phone-b",
    WebSocket: nodeWebSocket,
  });
  await a.syncUpload(username, { text: "first" }, { doc: "notes" });
});

afterAll(async () => {
  await b?.disableAutoSync();
  await server?.stop();
});

describe("live auto-sync between two managers", () => {
  it("downloads at start, then holds another device's upload without waiting for its poll", async () => {
    b.enableAutoSync(POLL_SECONDS, {
      username,
      documents: ["notes"],
      read: (doc) => bLocal.get(doc),
      write: (doc, data) => {
        bLocal.set(doc, data);
      },
      onLiveStatus: (status) => bStatuses.push(status),
    });
    await expect.poll(() => bLocal.get("notes"), { timeout: 20_000 }).toEqual({ text: "first" });
    await expect.poll(() => b.liveStatus?.state, { timeout: 20_000 }).toBe("open");

    await a.syncUpload(username, { text: "second" }, { doc: "notes" });
    await expect.poll(() => bLocal.get("notes"), { timeout: 20_000 }).toEqual({ text: "second" });
    const status = await b.getSyncStatus(username);
    expect(status.autoSyncIntervalSeconds).toBe(POLL_SECONDS);
  });

  it("brings a device that connects right after a write with nobody listening every later write", async () => {
    // A user of its own whose hub has no socket: A's write earns A a quiet window (the hub sweeps for
    // sockets that open inside it), so C's copy of the second write may come from the sweep.
    const lone = "frank";
    const writer = await SyncManager.create({ url: server.url, key, store: new MemoryStore(), deviceId: "laptop-f" });
    const c = await SyncManager.create({
      url: server.url,
      key,
      store: new MemoryStore(),
      deviceId: "tablet-c",
      WebSocket: nodeWebSocket,
    });
    const cLocal = new Map<string, Json>();
    try {
      await writer.syncUpload(lone, { text: "one" }, { doc: "notes" });
      c.enableAutoSync(POLL_SECONDS, {
        username: lone,
        documents: ["notes"],
        read: (doc) => cLocal.get(doc),
        write: (doc, data) => {
          cLocal.set(doc, data);
        },
      });
      await expect.poll(() => c.liveStatus?.state, { timeout: 20_000 }).toBe("open");
      await writer.syncUpload(lone, { text: "two" }, { doc: "notes" });
      await expect.poll(() => cLocal.get("notes"), { timeout: 20_000 }).toEqual({ text: "two" });
    } finally {
      await c.disableAutoSync();
    }
  });

  it("reports the fallback when the server goes away and recovers when it returns", async () => {
    const port = Number(new URL(server.url).port);
    await server.stop();
    await expect.poll(() => b.liveStatus?.state, { timeout: 20_000 }).toBe("fallback");
    expect(bStatuses.some((s) => s.state === "fallback" && (s.retryInMs ?? 0) > 0)).toBe(true);

    server = await startWorkerServer({ port, persistTo: server.persistTo });
    await expect.poll(() => b.liveStatus?.state, { timeout: 30_000 }).toBe("open");
    await a.syncUpload(username, { text: "third" }, { doc: "notes" });
    await expect.poll(() => bLocal.get("notes"), { timeout: 20_000 }).toEqual({ text: "third" });
  });

  it("closes the socket when auto-sync is disabled", async () => {
    await b.disableAutoSync();
    expect(b.liveStatus).toBeNull();
    expect(bStatuses.at(-1)?.state).toBe("closed");
    expect(b.requestSync("notes")).toBe(false);
  });
});
