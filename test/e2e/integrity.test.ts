import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deriveAuthToken } from "../../client/core/crypto/credential.ts";
import { hexEncode, utf8Encode } from "../../client/core/protocol/encoding.ts";
import { pythonTimestamp } from "../../client/core/wire/envelope.ts";
import { Fernet } from "../../client/core/crypto/fernet.ts";
import { ApiClient } from "../../client/core/wire/api-client.ts";
import { freshKey, freshUser, manager as syncManager } from "../support/sync-clients.ts";
import { startTamperingProxy, type TamperingProxy } from "../support/tampering-proxy.ts";
import { startWorkerServer, type WorkerServer } from "../support/worker-server.ts";
import { failure } from "../support/sync-failure.ts";

/**
 * These devices read whole versions (incremental off), as the previous release and Python devices
 * do: the proxies tamper with those reads. The changes feed's checks are in incremental.test.ts
 * and test/reliability/tampering.test.ts.
 */
const manager: typeof syncManager = (url, options) => syncManager(url, { ...options, incremental: false });

let server: WorkerServer;
let other: WorkerServer;
let proxy: TamperingProxy;
beforeAll(async () => {
  [server, other] = await Promise.all([startWorkerServer(), startWorkerServer()]);
  proxy = await startTamperingProxy(server.url);
});
afterAll(async () => {
  await proxy.stop();
  await Promise.all([server.stop(), other.stop()]);
});

describe("rollback detection", () => {
  it("reports a server replaying an old version and merges nothing from it", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const device = await manager(proxy.url, { key, deviceId: "laptop" });
    await device.bidirectionalSync(user, { step: 1 });
    await device.syncDownload(user);
    await device.bidirectionalSync(user, { step: 2 });
    proxy.serveVersion = 1;
    try {
      const error = await failure(device.bidirectionalSync(user, { step: 2, local: true }));
      expect(error.code).toBe("rollback_detected");
      expect(error.message).toContain('version 1 of document "default"');
      expect(error.message).toContain("already seen version 2");
      expect((await device.getSyncStatus(user)).lastError).toMatchObject({ code: "rollback_detected", doc: "default" });
    } finally {
      proxy.serveVersion = null;
    }
    const healed = await device.bidirectionalSync(user, { step: 2, local: true });
    expect(healed).toMatchObject({ data: { step: 2, local: true }, version: 3 });
  });
});

describe("a document deleted and written again", () => {
  it("reaches a device that saw its old history as new content, not as a rollback", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const laptop = await manager(server.url, { key, deviceId: "laptop" });
    for (const step of [1, 2]) await laptop.syncUpload(user, { step });
    const phoneApi = new ApiClient({ baseUrl: server.url, deviceId: "phone", token: () => deriveAuthToken(key, user) });
    await phoneApi.deleteDocument(user, "default");
    const phone = await manager(server.url, { key, deviceId: "phone" });
    await phone.syncUpload(user, { fresh: true });
    // Version numbers go on after a delete, so the laptop, which saw version 2, is served version 4.
    expect(await laptop.syncDownload(user)).toMatchObject({ fresh: true });
    expect((await laptop.getSyncStatus(user)).lastError).toBeNull();
  });
});

describe("fork detection", () => {
  it("reports two diverging histories shown to the same device", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const writerOne = await manager(server.url, { key, deviceId: "writer-one" });
    const writerTwo = await manager(other.url, { key, deviceId: "writer-two" });
    await writerOne.syncUpload(user, { history: "one" });
    await writerTwo.syncUpload(user, { history: "two" });
    const fork = await startTamperingProxy(server.url);
    try {
      const reader = await manager(fork.url, { key, deviceId: "reader" });
      expect(await reader.syncDownload(user)).toEqual({ history: "one" });
      fork.upstream = other.url;
      const sameVersion = await failure(reader.syncDownload(user));
      expect(sameVersion.code).toBe("fork_detected");
      expect(sameVersion.message).toContain("differs from the version 1 this device saw");
      await writerTwo.syncUpload(user, { history: "two, continued" });
      const next = await failure(reader.syncDownload(user));
      expect(next.code).toBe("fork_detected");
      expect(next.message).toContain("not written on top of version 1");
    } finally {
      await fork.stop();
    }
  });

  it("takes a restore, written by a client as a new version on top of the current one, as the newest content everywhere", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const writer = await manager(server.url, { key, deviceId: "writer" });
    for (const step of [1, 2]) await writer.syncUpload(user, { step });
    expect((await writer.bidirectionalSync(user, { step: 3 })).data).toEqual({ step: 3 });
    const reader = await manager(server.url, { key, deviceId: "reader" });
    expect((await reader.bidirectionalSync(user, { step: 3 })).data).toEqual({ step: 3 });
    // What the dashboard's restore button does: the client library re-seals version 1's content as
    // version 4, based on version 3 and bound to its own number, with clocks of now.
    const dashboard = await manager(server.url, { key, deviceId: "dashboard" });
    expect(await dashboard.rollback(user, { version: 1 })).toMatchObject({ version: 4, restoredFrom: 1 });
    expect((await reader.bidirectionalSync(user, { step: 3 })).data).toEqual({ step: 1 });
    expect((await writer.bidirectionalSync(user, { step: 3 })).data).toEqual({ step: 1 });
    expect((await reader.getSyncStatus(user)).lastError).toBeNull();
  });
});

describe("wrong keys and tampering", () => {
  it("reports a different key as a refused credential naming FERNET_KEY", async () => {
    const user = freshUser();
    await (await manager(server.url, { key: freshKey(), deviceId: "owner" })).syncUpload(user, { a: 1 });
    const intruder = await manager(server.url, { key: freshKey(), deviceId: "intruder" });
    const error = await failure(intruder.syncDownload(user));
    expect(error.code).toBe("unauthorized");
    expect(error.message).toContain("different FERNET_KEY");
  });

  it("reports a document encrypted under another key as wrong_key and merges nothing", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const device = await manager(server.url, { key, deviceId: "laptop" });
    await device.bidirectionalSync(user, { mine: 1 });
    // A Python device with the right capability URL but a different FERNET_KEY uploads.
    const envelope = {
      username: user,
      device_id: "misconfigured",
      timestamp: pythonTimestamp(Date.now()),
      data: { theirs: 1 },
    };
    const text = await (await Fernet.create(freshKey())).encryptToString(JSON.stringify(envelope));
    const token = await deriveAuthToken(key, user);
    const res = await fetch(`${server.url}/legacy/${token}/upload`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: user, device_id: "misconfigured", encrypted_data: hexEncode(utf8Encode(text)) }),
    });
    expect(res.status).toBe(200);
    const error = await failure(device.bidirectionalSync(user, { mine: 2 }));
    expect(error.code).toBe("wrong_key");
    expect(error.message).toContain(`document "default" of ${user}`);
    expect(error.message).toContain("different FERNET_KEY");
    expect((await device.listVersions(user)).map((v) => v.version)).toEqual([2, 1]);
    expect((await device.getVersion(user, { version: 1 })).data).toEqual({ mine: 1 });
  });

  it("reports a token altered in transit as wrong_key, never a crash", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const device = await manager(proxy.url, { key, deviceId: "laptop" });
    await device.syncUpload(user, { a: 1 });
    const reader = await manager(proxy.url, { key, deviceId: "reader" });
    proxy.flipByte = true;
    try {
      const error = await failure(reader.syncDownload(user));
      expect(error.code).toBe("wrong_key");
      expect(error.message).toContain("altered");
    } finally {
      proxy.flipByte = false;
    }
    expect(await reader.syncDownload(user)).toEqual({ a: 1 });
  });
});
