import { describe, expect, it } from "vitest";
import { deriveAuthToken } from "../../client/core/crypto/credential.ts";
import type { Json } from "../../client/core/merge/json-value.ts";
import type { FetchLike } from "../../client/core/ports.ts";
import { eventually, freshDataDir, freshKey, freshUser, manager } from "../support/sync-clients.ts";
import { useWorkerServer } from "../support/use-worker-server.ts";

const server = useWorkerServer();

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("devices", () => {
  it("registers, lists and removes devices", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const desktop = await manager(server.url, { key, deviceId: "desktop-1", deviceName: "Desktop", platform: "linux" });
    const mobile = await manager(server.url, { key, deviceId: "mobile-1" });
    await desktop.syncUpload(user, { a: 1 });
    expect(await desktop.registerDevice(user)).toMatchObject({
      device_id: "desktop-1",
      name: "Desktop",
      platform: "linux",
    });
    await mobile.registerDevice(user, { name: "Phone", platform: "android" });
    const listed = await mobile.listDevices(user);
    expect(listed.map((d) => [d.device_id, d.name]).sort()).toEqual([
      ["desktop-1", "Desktop"],
      ["mobile-1", "Phone"],
    ]);
    await desktop.removeDevice(user, "mobile-1");
    expect((await desktop.listDevices(user)).map((d) => d.device_id)).toEqual(["desktop-1"]);
  });
});

describe("history and rollback", () => {
  it("lists versions newest first and reads any of them", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const device = await manager(server.url, { key, deviceId: "desktop" });
    for (const n of [1, 2, 3]) await device.syncUpload(user, { n });
    const versions = await device.listVersions(user);
    expect(versions.map((v) => v.version)).toEqual([3, 2, 1]);
    expect(versions[0]).toMatchObject({ device_id: "desktop", etag: '"3"' });
    expect(versions[0]!.size).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(versions[0]!.updated_at))).toBe(false);
    expect(await device.getVersion(user, { version: 1 })).toMatchObject({
      doc: "default",
      version: 1,
      data: { n: 1 },
      deviceId: "desktop",
    });
    await expect(device.getVersion(user, { version: 9 })).rejects.toMatchObject({ code: "not_found" });
  });

  it("rolls a document back to a version as a new version that other devices take on their next sync", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const desktop = await manager(server.url, { key, deviceId: "desktop" });
    const mobile = await manager(server.url, { key, deviceId: "mobile" });
    await desktop.bidirectionalSync(user, { theme: "dark", lang: "en" });
    const current = (await mobile.bidirectionalSync(user, { theme: "light", lang: "en", extra: 1 })).data;
    const done = await desktop.rollback(user, { version: 1 });
    expect(done).toEqual({ doc: "default", version: 3, restoredFrom: 1, data: { theme: "dark", lang: "en" } });
    expect((await mobile.bidirectionalSync(user, current)).data).toEqual({ theme: "dark", lang: "en" });
    expect((await desktop.bidirectionalSync(user, { theme: "dark", lang: "en" })).data).toEqual({
      theme: "dark",
      lang: "en",
    });
  });

  it("rolls every document back to how it was at a time", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const device = await manager(server.url, { key, deviceId: "desktop" });
    await device.syncUpload(user, { v: "default-1" });
    await device.syncUpload(user, { v: "notes-1" }, { doc: "notes" });
    const at = (await device.listDocuments(user))
      .map((d) => d.updated_at)
      .sort()
      .at(-1)!;
    await pause(20);
    await device.syncUpload(user, { v: "default-2" });
    await device.syncUpload(user, { v: "notes-2" }, { doc: "notes" });
    await device.syncUpload(user, { v: "later-1" }, { doc: "later" });
    const outcomes = await device.rollbackTo(user, at);
    expect(outcomes).toEqual([
      { doc: "default", outcome: "restored", from: 2, to: 1, version: 3 },
      { doc: "later", outcome: "absent", version: 1 },
      { doc: "notes", outcome: "restored", from: 2, to: 1, version: 3 },
    ]);
    expect(await device.syncDownload(user)).toEqual({ v: "default-1" });
    expect(await device.syncDownload(user, { doc: "notes" })).toEqual({ v: "notes-1" });
    await expect(device.rollbackTo(user, "not a time")).rejects.toThrow(RangeError);
  });
});

describe("getSyncStatus", () => {
  it("keeps last upload, download and error per document across a restart", async () => {
    const [user, key, dataDir] = [freshUser(), freshKey(), freshDataDir()];
    const first = await manager(server.url, { key, deviceId: "desktop", dataDir });
    await first.syncUpload(user, { a: 1 });
    await first.syncDownload(user, { doc: "notes" });
    await expect(first.getVersion(user, { version: 7 })).rejects.toMatchObject({ code: "not_found" });
    const restarted = await manager(server.url, { key, deviceId: "desktop", dataDir });
    const status = await restarted.getSyncStatus(user);
    expect(status).toMatchObject({ username: user, deviceId: "desktop", autoSyncEnabled: false, pendingChanges: 0 });
    const byDoc = Object.fromEntries(status.documents.map((d) => [d.doc, d]));
    expect(byDoc["default"]?.version).toBe(1);
    expect(byDoc["default"]?.lastUpload).toBe(status.lastUpload);
    expect(byDoc["default"]?.lastError).toMatchObject({ code: "not_found", doc: "default" });
    expect(status.lastError?.message).toContain("Version 7");
    expect(Math.abs(status.clock.thisDevice!.skewSeconds)).toBeLessThanOrEqual(1);
    expect(status.clock.offByMoreThanAMinute).toEqual([]);
  });

  it("reports a device whose clock is off by more than a minute, by name, on itself and on others", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const fastClock = { now: () => Date.now() + 5 * 60_000 };
    const fast = await manager(server.url, {
      key,
      deviceId: "fast-laptop",
      deviceName: "Fast laptop",
      clock: fastClock,
    });
    const other = await manager(server.url, { key, deviceId: "phone" });
    await fast.registerDevice(user);
    await fast.syncUpload(user, { a: 1 });
    const own = await fast.getSyncStatus(user);
    expect(own.clock.offByMoreThanAMinute).toMatchObject([
      { deviceId: "fast-laptop", name: "Fast laptop", thisDevice: true },
    ]);
    expect(own.clock.offByMoreThanAMinute[0]!.skewSeconds).toBeGreaterThan(290);
    await other.listDevices(user);
    await other.syncDownload(user);
    const seen = await other.getSyncStatus(user);
    expect(seen.clock.offByMoreThanAMinute).toMatchObject([
      { deviceId: "fast-laptop", name: "Fast laptop", thisDevice: false },
    ]);
    expect(seen.clock.offByMoreThanAMinute[0]!.skewSeconds).toBeGreaterThan(290);
  });
});

describe("auto-sync", () => {
  it("pulls another device's change into the application, one sync at a time, and stops cleanly", async () => {
    const [user, key] = [freshUser(), freshKey()];
    let inFlight = 0;
    let maxInFlight = 0;
    const counting: FetchLike = async (url, init) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      try {
        return await fetch(url, init);
      } finally {
        inFlight--;
      }
    };
    const watcher = await manager(server.url, { key, deviceId: "watcher", fetch: counting });
    const editor = await manager(server.url, { key, deviceId: "editor" });
    let local: Json | undefined = { mine: 1 };
    const writes: Json[] = [];
    watcher.enableAutoSync(0.05, {
      username: user,
      read: () => local,
      write: (_doc, data) => {
        local = data;
        writes.push(data);
      },
    });
    expect(watcher.requestSync()).toBe(true);
    await eventually(async () => ((await editor.syncDownload(user)) === null ? undefined : true));
    await editor.bidirectionalSync(user, { mine: 1, theirs: 2 });
    for (let i = 0; i < 5; i++) watcher.requestSync("default");
    await Promise.all([watcher.syncDownload(user), watcher.listDevices(user), watcher.listVersions(user)]);
    await eventually(() => (writes.some((w) => JSON.stringify(w) === '{"mine":1,"theirs":2}') ? true : undefined));
    expect((await watcher.getSyncStatus(user)).autoSyncEnabled).toBe(true);
    await watcher.disableAutoSync();
    expect(watcher.requestSync()).toBe(false);
    expect((await watcher.getSyncStatus(user)).autoSyncEnabled).toBe(false);
    expect(maxInFlight).toBe(1);
  });

  it("backs off after failing runs and reports each error", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const device = await manager("http://127.0.0.1:9", { key, deviceId: "offline", timeoutMs: 2000 });
    const errors: Array<[string, string | null]> = [];
    device.enableAutoSync(0.02, {
      username: user,
      read: () => ({ a: 1 }),
      write: () => undefined,
      onError: (error, doc) => void errors.push([(error as { code: string }).code, doc]),
    });
    const state = await eventually(() =>
      device.autoSyncState && device.autoSyncState.failures >= 2 ? device.autoSyncState : undefined,
    );
    await device.disableAutoSync();
    expect(state.failures).toBeGreaterThanOrEqual(2);
    expect(errors[0]).toEqual(["network", "default"]);
    expect((await device.getSyncStatus(user)).pendingChanges).toBe(1);
  });
});

describe("accounts", () => {
  it("claims a username once and refuses it to another key", async () => {
    const user = freshUser();
    const owner = await manager(server.url, { key: freshKey(), deviceId: "owner" });
    expect(await owner.claim(user)).toEqual({ created: true });
    expect(await owner.claim(user)).toEqual({ created: false });
    const stranger = await manager(server.url, { key: freshKey(), deviceId: "stranger" });
    await expect(stranger.claim(user)).rejects.toMatchObject({ code: "username_taken" });
  });

  it("deletes the account on the server and the device's state for it", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const device = await manager(server.url, { key, deviceId: "desktop" });
    await device.syncUpload(user, { a: 1 });
    await device.syncUpload(user, { b: 1 }, { doc: "notes" });
    await device.deleteAccount(user);
    const token = await deriveAuthToken(key, user);
    const res = await fetch(`${server.url}/v1/users/${user}`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    expect((await device.getSyncStatus(user)).documents).toEqual([]);
    expect(await device.syncDownload(user)).toBeNull();
  });
});
