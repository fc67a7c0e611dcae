/**
 * Incremental sync over time, end to end against the Worker in workerd with a history window of 0
 * days (every compaction trims what it covers): a device offline across a compaction, a device
 * upgraded in place from whole reads, history and rollback of changes, edits by path, and a live
 * listener hearing an appended record.
 */
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../client/core/merge/json-value.ts";
import { freshDataDir, freshKey, freshUser, manager, recordingFetch, type WireCall } from "../support/sync-clients.ts";
import { useWorkerServer } from "../support/use-worker-server.ts";

const server = useWorkerServer({ vars: { HISTORY_DAYS: "0", RATE_LIMITS: "off" } });

function records(prefix: string, count: number, size = 200): JsonObject[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i}`,
    timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    text: "x".repeat(size),
  }));
}

const ids = (data: unknown) => ((data as JsonObject)["conversations"] as JsonObject[]).map((r) => r["id"]);

describe("incremental sync over time", () => {
  it("brings a device offline across a compaction back from the snapshot, keeping its own edit", async () => {
    const [user, key] = [freshUser("inc-offline"), freshKey()];
    const laptop = await manager(server.url, { key, deviceId: "laptop" });
    const phone = await manager(server.url, { key, deviceId: "phone" });
    let data: JsonObject = { conversations: records("start", 20) };
    data = (await laptop.bidirectionalSync(user, data, { doc: "memory" })).data as JsonObject;
    const onPhone = (await phone.bidirectionalSync(user, data, { doc: "memory" })).data as JsonObject;
    // The phone goes offline; the laptop talks on until the server asks it to compact, and it does.
    for (let i = 0; i < 30; i++) {
      data = { conversations: [...(data["conversations"] as JsonObject[]), ...records(`more${i}`, 1)] };
      data = (await laptop.bidirectionalSync(user, data, { doc: "memory" })).data as JsonObject;
    }
    const history = await laptop.listVersions(user, { doc: "memory" });
    expect(history.some((v) => v.snapshot === true)).toBe(true);
    // Back online with an edit of its own made meanwhile.
    const edited = { conversations: [...(onPhone["conversations"] as JsonObject[]), ...records("phone", 1)] };
    const merged = await phone.bidirectionalSync(user, edited, { doc: "memory" });
    expect(ids(merged.data)).toEqual(expect.arrayContaining(["phone-0", "more29-0", "start-0"]));
    expect(ids(merged.data)).toHaveLength(20 + 30 + 1);
    const again = await laptop.bidirectionalSync(user, data, { doc: "memory" });
    expect(again.data).toEqual(merged.data);
    // What it skipped by taking the snapshot is shown, not passed off as checked.
    const status = await phone.getSyncStatus(user);
    expect(status.documents.find((d) => d.doc === "memory")?.unverifiedHistory).toMatchObject({ from: 1 });
  });

  it("moves a device from whole reads to the feed in place, on the state it kept", async () => {
    const [user, key, dataDir] = [freshUser("inc-upgrade"), freshKey(), freshDataDir()];
    const other = await manager(server.url, { key, deviceId: "other" });
    const before = await manager(server.url, { key, deviceId: "laptop", dataDir, incremental: false });
    await other.bidirectionalSync(user, { theme: "dark" }, { doc: "preferences" });
    await before.bidirectionalSync(user, { theme: "dark", font: 12 }, { doc: "preferences" });
    await other.bidirectionalSync(user, { theme: "light" }, { doc: "preferences" });
    // The application upgrades: same data folder, this release's default.
    const calls: WireCall[] = [];
    const after = await manager(server.url, { key, deviceId: "laptop", dataDir, fetch: recordingFetch(calls) });
    const result = await after.bidirectionalSync(user, { theme: "dark", font: 12, lang: "fr" }, { doc: "preferences" });
    expect(result.data).toEqual({ theme: "light", font: 12, lang: "fr" });
    expect(calls.some((c) => c.path.endsWith("/changes") && c.method === "GET")).toBe(true);
    expect(calls.some((c) => c.path.endsWith("/docs/preferences/changes") && c.method === "POST")).toBe(true);
  });

  it("never lets a manager's cached state hide what another process saved to the same folder", async () => {
    const [user, key, dataDir] = [freshUser("inc-shared"), freshKey(), freshDataDir()];
    const watcher = await manager(server.url, { key, deviceId: "laptop", dataDir });
    await watcher.bidirectionalSync(user, { a: 1 }, { doc: "notes" });
    // A second process on the same data folder (a `cloud-sync push` while `watch` runs) syncs an edit.
    const command = await manager(server.url, { key, deviceId: "laptop", dataDir });
    await command.bidirectionalSync(user, { a: 1, b: 2 }, { doc: "notes" });
    const phone = await manager(server.url, { key, deviceId: "phone" });
    await phone.bidirectionalSync(user, { a: 1, b: 2 }, { doc: "notes" });
    // The phone's change writes c alone.
    await phone.bidirectionalSync(user, { a: 1, b: 2, c: 3 }, { doc: "notes" });
    // The first manager must start from the store's state, not its cached one: the cursor it reads
    // from the store is past b's change, so a stale state would never get b.
    expect(await watcher.syncDownload(user, { doc: "notes" })).toEqual({ a: 1, b: 2, c: 3 });
  });

  it("lists changes in the history and rolls back to a change's version", async () => {
    const [user, key] = [freshUser("inc-rollback"), freshKey()];
    const laptop = await manager(server.url, { key, deviceId: "laptop" });
    await laptop.bidirectionalSync(user, { a: 1 }, { doc: "notes" });
    await laptop.bidirectionalSync(user, { a: 1, b: 2 }, { doc: "notes" });
    await laptop.bidirectionalSync(user, { a: 1, b: 2, c: 3 }, { doc: "notes" });
    const versions = await laptop.listVersions(user, { doc: "notes" });
    expect(versions.map((v) => `${v.version}:${v.kind}`)).toEqual(["3:change", "2:change", "1:whole"]);
    expect((await laptop.getVersion(user, { doc: "notes", version: 2 })).data).toEqual({ a: 1, b: 2 });
    const restored = await laptop.rollback(user, { doc: "notes", version: 2 });
    expect(restored.data).toEqual({ a: 1, b: 2 });
    const reader = await manager(server.url, { key, deviceId: "phone" });
    expect(await reader.syncDownload(user, { doc: "notes" })).toEqual({ a: 1, b: 2 });
  });

  it("takes an edit by path as one small change that other devices merge", async () => {
    const [user, key] = [freshUser("inc-path"), freshKey()];
    const laptop = await manager(server.url, { key, deviceId: "laptop" });
    const phone = await manager(server.url, { key, deviceId: "phone" });
    await laptop.bidirectionalSync(user, { conversations: records("c", 50, 500), title: "mine" }, { doc: "memory" });
    const calls: WireCall[] = [];
    const writer = await manager(server.url, { key, deviceId: "desk", fetch: recordingFetch(calls) });
    await writer.syncDownload(user, { doc: "memory" });
    calls.length = 0;
    const turn = { id: "said-now", timestamp: "2026-06-01T00:00:00.000Z", text: "hello" };
    expect(await writer.append(user, "memory", "/conversations", turn)).toMatchObject({ doc: "memory", version: 2 });
    expect(await writer.set(user, "memory", "/title", "ours")).toMatchObject({ version: 3 });
    expect(calls.filter((c) => c.method === "POST").map((c) => c.path.split("/").slice(-2).join("/"))).toEqual([
      "memory/changes",
      "memory/changes",
    ]);
    const seen = (await phone.syncDownload(user, { doc: "memory" })) as JsonObject;
    expect(seen["title"]).toBe("ours");
    expect(ids(seen).at(-1)).toBe("said-now");
    await expect(writer.append(user, "memory", "/title", { id: "x" })).rejects.toThrow(/not an append list/);
  });

  it("brings an appended record to a listening device within a second", async () => {
    const [user, key] = [freshUser("inc-live"), freshKey()];
    const laptop = await manager(server.url, { key, deviceId: "laptop" });
    const phone = await manager(server.url, { key, deviceId: "phone" });
    await laptop.bidirectionalSync(user, { conversations: records("c", 3) }, { doc: "memory" });
    const held = new Map<string, unknown>();
    phone.enableAutoSync(3600, {
      username: user,
      documents: ["memory"],
      read: (doc) => held.get(doc) as JsonObject | undefined,
      write: (doc, data) => void held.set(doc, data),
    });
    try {
      await expect.poll(() => held.get("memory"), { timeout: 20_000 }).toBeDefined();
      await expect.poll(() => phone.liveStatus?.state, { timeout: 20_000 }).toBe("open");
      const sent = Date.now();
      await laptop.append(user, "memory", "/conversations", { id: "live-one", timestamp: "2026-07-01T00:00:00Z" });
      await expect
        .poll(() => ids(held.get("memory")).includes("live-one"), { timeout: 5_000, interval: 20 })
        .toBe(true);
      expect(Date.now() - sent).toBeLessThan(1000);
    } finally {
      await phone.disableAutoSync();
    }
  });
});
