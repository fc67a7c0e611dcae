import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { deriveAuthToken } from "../../client/core/crypto/credential.ts";
import { hexEncode, utf8Encode } from "../../client/core/protocol/encoding.ts";
import { isCompressed, pythonTimestamp } from "../../client/core/wire/envelope.ts";
import { isSyncError } from "../../client/core/errors.ts";
import { Fernet } from "../../client/core/crypto/fernet.ts";
import type { JsonObject } from "../../client/core/merge/json-value.ts";
import type { FetchLike } from "../../client/core/ports.ts";
import { freshKey, freshUser, manager, recordingFetch, type WireCall } from "../support/sync-clients.ts";
import { useWorkerServer } from "../support/use-worker-server.ts";

const server = useWorkerServer();

/** The plaintext of a document's current token, read straight from the Worker. */
async function plaintextOf(username: string, key: string, doc: string): Promise<Uint8Array> {
  const token = await deriveAuthToken(key, username);
  const res = await fetch(`${server.url}/v1/users/${username}/docs/${doc}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  return (await Fernet.create(key)).decrypt(new Uint8Array(await res.arrayBuffer()));
}

describe("syncUpload and syncDownload", () => {
  it("uploads on one device and downloads the same data on another", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const desktop = await manager(server.url, { key, deviceId: "desktop" });
    const mobile = await manager(server.url, { key, deviceId: "mobile" });
    const data = { preferences: { theme: "dark", language: "en" }, ai_persona: { curiosity: 0.8, empathy: 0.9 } };
    expect(await desktop.syncUpload(user, data)).toEqual({ doc: "default", version: 1 });
    expect(await mobile.syncDownload(user)).toEqual(data);
    expect(await desktop.syncUpload(user, { ...data, extra: true })).toEqual({ doc: "default", version: 2 });
    expect(await mobile.syncDownload(user)).toEqual({ ...data, extra: true });
  });

  it("downloads null for a document that does not exist", async () => {
    const device = await manager(server.url, { key: freshKey(), deviceId: "desktop" });
    expect(await device.syncDownload(freshUser(), { doc: "notes" })).toBeNull();
  });

  it("keeps named documents apart and syncs only the documents a device chose", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const all = await manager(server.url, { key, deviceId: "desktop" });
    await all.syncUpload(user, { theme: "dark" });
    await all.syncUpload(user, { turns: 3 }, { doc: "memory" });
    const selective = await manager(server.url, { key, deviceId: "phone", documents: ["memory"] });
    expect(await selective.syncDownload(user, { doc: "memory" })).toEqual({ turns: 3 });
    const error = await selective.syncDownload(user).catch((e: unknown) => e);
    expect(isSyncError(error, "invalid_config")).toBe(true);
    expect((error as Error).message).toContain('Document "default" is not synced on this device');
  });

  it("rejects options and data that are not usable before any request", async () => {
    const calls: WireCall[] = [];
    const fetch = recordingFetch(calls);
    await expect(manager(server.url, { key: "", deviceId: "d", fetch })).rejects.toThrow(TypeError);
    await expect(manager(server.url, { key: freshKey(), deviceId: "bad id", fetch })).rejects.toThrow(RangeError);
    await expect(manager(server.url, { key: freshKey(), deviceId: "d", documents: ["Bad"], fetch })).rejects.toThrow(
      RangeError,
    );
    await expect(manager("ftp://x", { key: freshKey(), deviceId: "d", fetch })).rejects.toThrow(TypeError);
    const device = await manager(server.url, { key: freshKey(), deviceId: "d", fetch });
    await expect(device.syncUpload(freshUser(), { when: new Date() } as never)).rejects.toThrow(TypeError);
    await expect(device.syncUpload(freshUser(), { n: Number.NaN })).rejects.toThrow(TypeError);
    await expect(device.syncUpload("../etc", {})).rejects.toMatchObject({ code: "invalid_name" });
    expect(calls).toEqual([]);
  });
});

describe("bidirectionalSync", () => {
  it("keeps both edits when two devices edit different keys concurrently", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const a = await manager(server.url, { key, deviceId: "device-a" });
    const b = await manager(server.url, { key, deviceId: "device-b" });
    let dataA = (await a.bidirectionalSync(user, { shared: { start: true } })).data as JsonObject;
    let dataB = (await b.bidirectionalSync(user, {})).data as JsonObject;
    expect(dataB).toEqual({ shared: { start: true } });
    for (let round = 0; round < 4; round++) {
      const [ra, rb] = await Promise.all([
        a.bidirectionalSync(user, {
          ...dataA,
          [`a${round}`]: round,
          shared: { ...(dataA["shared"] as JsonObject), [`fromA${round}`]: 1 },
        }),
        b.bidirectionalSync(user, {
          ...dataB,
          [`b${round}`]: round,
          shared: { ...(dataB["shared"] as JsonObject), [`fromB${round}`]: 1 },
        }),
      ]);
      dataA = ra.data as JsonObject;
      dataB = rb.data as JsonObject;
    }
    dataA = (await a.bidirectionalSync(user, dataA)).data as JsonObject;
    dataB = (await b.bidirectionalSync(user, dataB)).data as JsonObject;
    const expected: JsonObject = { shared: { start: true } };
    for (let round = 0; round < 4; round++) {
      expected[`a${round}`] = round;
      expected[`b${round}`] = round;
      Object.assign(expected["shared"] as JsonObject, { [`fromA${round}`]: 1, [`fromB${round}`]: 1 });
    }
    expect(dataA).toEqual(expected);
    expect(dataB).toEqual(expected);
  });

  it("retries a stale write after 412 by re-merging, losing neither edit", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const a = await manager(server.url, { key, deviceId: "device-a" });
    await a.bidirectionalSync(user, { theme: "dark", lang: "en" });
    const calls: WireCall[] = [];
    let interfered = false;
    // Device A writes between B's read and B's write, so B's compare-and-swap is stale.
    const interfering: FetchLike = async (url, init) => {
      if (init.method === "PUT" && url.includes("/docs/") && !interfered) {
        interfered = true;
        await a.bidirectionalSync(user, { theme: "light", lang: "en" });
      }
      return fetch(url, init);
    };
    const b = await manager(server.url, { key, deviceId: "device-b", fetch: recordingFetch(calls, interfering) });
    await b.syncDownload(user);
    const result = await b.bidirectionalSync(user, { theme: "dark", lang: "fr" });
    expect(result.data).toEqual({ theme: "light", lang: "fr" });
    expect(result.version).toBe(3);
    expect(calls.filter((c) => c.method === "PUT").map((c) => c.status)).toEqual([412, 200]);
    expect((await a.bidirectionalSync(user, { theme: "light", lang: "en" })).data).toEqual({
      theme: "light",
      lang: "fr",
    });
  });

  it("writes nothing when the server already has the merged data, so devices never loop", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const a = await manager(server.url, { key, deviceId: "device-a" });
    const b = await manager(server.url, { key, deviceId: "device-b" });
    await a.bidirectionalSync(user, { x: 1 });
    const first = await b.bidirectionalSync(user, { x: 1 });
    const again = await a.bidirectionalSync(user, { x: 1 });
    expect([first.uploaded, again.uploaded]).toEqual([false, false]);
    expect((await a.listVersions(user)).map((v) => v.version)).toEqual([1]);
  });

  it("merges appended conversation turns from two devices by the default document's rules", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const a = await manager(server.url, { key, deviceId: "device-a" });
    const b = await manager(server.url, { key, deviceId: "device-b" });
    const start = { conversation_history: [{ id: "t1", text: "hello", timestamp: "2025-01-01T10:00:00" }] };
    await a.bidirectionalSync(user, start);
    await b.bidirectionalSync(user, start);
    await a.bidirectionalSync(user, {
      conversation_history: [
        ...start.conversation_history,
        { id: "a1", text: "from a", timestamp: "2025-01-01T10:01:00" },
      ],
    });
    const merged = await b.bidirectionalSync(user, {
      conversation_history: [
        ...start.conversation_history,
        { id: "b1", text: "from b", timestamp: "2025-01-01T10:02:00" },
      ],
    });
    expect(
      (merged.data as { conversation_history: Array<{ id: string }> }).conversation_history.map((t) => t.id),
    ).toEqual(["t1", "a1", "b1"]);
  });
});

describe("the payload", () => {
  it("stays plain JSON in the default document and is gzipped in others when that is smaller", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const device = await manager(server.url, { key, deviceId: "desktop" });
    const big = { notes: "remember this ".repeat(500) };
    await device.syncUpload(user, big);
    await device.syncUpload(user, big, { doc: "notes" });
    const plain = await plaintextOf(user, key, "default");
    expect(isCompressed(plain)).toBe(false);
    expect(JSON.parse(new TextDecoder().decode(plain))).toMatchObject({
      username: user,
      device_id: "desktop",
      data: big,
    });
    expect(isCompressed(await plaintextOf(user, key, "notes"))).toBe(true);
    const unshared = await manager(server.url, { key, deviceId: "desktop", pythonCompatible: false });
    await unshared.syncUpload(user, big);
    expect(isCompressed(await plaintextOf(user, key, "default"))).toBe(true);
    expect(await device.syncDownload(user, { doc: "notes" })).toEqual(big);
  });

  it("writes an envelope Python reads, with a Python-style timestamp", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const device = await manager(server.url, { key, deviceId: "desktop" });
    await device.syncUpload(user, { theme: "dark" });
    const token = await deriveAuthToken(key, user);
    const res = await fetch(`${server.url}/download?username=${user}&device_id=python`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const body = (await res.json()) as { encrypted_data: string };
    const script = [
      "import sys, json, datetime",
      "from cryptography.fernet import Fernet",
      "payload = json.loads(Fernet(sys.argv[1].encode()).decrypt(bytes.fromhex(sys.argv[2])))",
      "datetime.datetime.fromisoformat(payload['timestamp'])",
      "print(json.dumps([payload['username'], payload['device_id'], payload['data']]))",
    ].join("\n");
    const out = execFileSync("python3", ["-c", script, key, body.encrypted_data]).toString();
    expect(JSON.parse(out)).toEqual([user, "desktop", { theme: "dark" }]);
  });

  it("merges a Python device's upload as a whole at its timestamp", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const device = await manager(server.url, { key, deviceId: "desktop" });
    await device.bidirectionalSync(user, { theme: "dark", lang: "en", old: 1 });
    // What the Python module's sync_upload sends: hex of the ASCII token of its envelope, no `sync` field.
    const envelope = {
      username: user,
      device_id: "python-device",
      timestamp: pythonTimestamp(Date.now()),
      data: { theme: "light", lang: "en" },
    };
    const text = await (await Fernet.create(key)).encryptToString(JSON.stringify(envelope));
    const token = await deriveAuthToken(key, user);
    const res = await fetch(`${server.url}/upload`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ username: user, device_id: "python-device", encrypted_data: hexEncode(utf8Encode(text)) }),
    });
    expect(res.status).toBe(200);
    // Edited after the Python upload: lang is newer here; theme and the dropped key come from Python.
    const merged = await device.bidirectionalSync(user, { theme: "dark", lang: "fr", old: 1 });
    expect(merged.data).toEqual({ theme: "light", lang: "fr" });
  });
});

describe("resolveConflict", () => {
  it("keeps the Python module's rule: the later timestamp wins", async () => {
    const device = await manager(server.url, { key: freshKey(), deviceId: "desktop" });
    const local = { content: "local version", timestamp: "2025-01-01T10:00:00" };
    const cloud = { content: "cloud version", timestamp: "2025-01-01T11:00:00" };
    expect(device.resolveConflict(local, cloud)).toBe(cloud);
    expect(device.resolveConflict(cloud, local)).toBe(cloud);
  });
});
