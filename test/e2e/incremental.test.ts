/**
 * Incremental sync end to end, over real HTTP against the Worker in workerd: edits travel as
 * changes, an idle round is one request, concurrent appends converge, a new device starts from a
 * compacted snapshot, Python's `default` stays whole, and a previous-release account keeps working.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deriveAuthToken } from "../../client/core/crypto/credential.ts";
import { Fernet } from "../../client/core/crypto/fernet.ts";
import { isSyncError } from "../../client/core/errors.ts";
import type { JsonObject } from "../../client/core/merge/json-value.ts";
import { decodeFrames } from "../../client/core/protocol/change-frames.ts";
import { decodeEnvelope } from "../../client/core/wire/envelope.ts";
import { freshDataDir, freshKey, freshUser, manager, recordingFetch, type WireCall } from "../support/sync-clients.ts";
import { useWorkerServer } from "../support/use-worker-server.ts";

const server = useWorkerServer();

function device(key: string, deviceId: string, calls?: WireCall[]) {
  return manager(server.url, {
    key,
    deviceId,
    incremental: true,
    ...(calls === undefined ? {} : { fetch: recordingFetch(calls) }),
  });
}

/** The changes feed as the server stores it, decrypted: kind and data of each entry. */
async function feed(user: string, key: string, after = 0) {
  const token = await deriveAuthToken(key, user);
  const res = await fetch(`${server.url}/v1/users/${user}/changes?after=${after}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  const fernet = await Fernet.create(key);
  const out: Array<{ doc: string; version: number; kind: string; size: number; data: unknown }> = [];
  for (const f of decodeFrames(new Uint8Array(await res.arrayBuffer()))) {
    const data = f.token === null ? null : (await decodeEnvelope(await fernet.decrypt(f.token))).data;
    out.push({ doc: f.header.doc, version: f.header.version, kind: f.header.kind, size: f.header.size, data });
  }
  return out;
}

function memoryWith(turns: number, size = 300): JsonObject {
  return {
    conversations: Array.from({ length: turns }, (_, i) => ({
      id: `turn-${i}`,
      timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      text: "x".repeat(size),
    })),
  };
}

describe("incremental sync", () => {
  it("sends an appended turn as a small change, not the whole document", async () => {
    const [user, key] = [freshUser("inc"), freshKey()];
    const laptop = await device(key, "laptop");
    const big = memoryWith(400);
    await laptop.bidirectionalSync(user, big, { doc: "memory" });
    const grown = {
      conversations: [
        ...(big["conversations"] as JsonObject[]),
        { id: "turn-new", timestamp: "2026-02-01T00:00:00.000Z", text: "hello" },
      ],
    };
    const result = await laptop.bidirectionalSync(user, grown, { doc: "memory" });
    expect(result).toMatchObject({ version: 2, uploaded: true });
    const entries = await feed(user, key);
    expect(entries.map((e) => `${e.version}:${e.kind}`)).toEqual(["1:whole", "2:change"]);
    expect(entries[1]!.size).toBeLessThan(1024);
    const writes = (entries[1]!.data as { writes: unknown[][] }).writes;
    expect(writes).toHaveLength(1);
    expect(writes[0]![0]).toBe('/conversations/@"turn-new"');
  });

  it("brings another device the change, and an idle round is one request for every document", async () => {
    const [user, key] = [freshUser("inc-idle"), freshKey()];
    const laptop = await device(key, "laptop");
    const calls: WireCall[] = [];
    const phone = await device(key, "phone", calls);
    await laptop.bidirectionalSync(user, { theme: "dark" }, { doc: "preferences" });
    await laptop.bidirectionalSync(user, memoryWith(3), { doc: "memory" });
    await phone.bidirectionalSync(user, {}, { doc: "preferences" });
    await laptop.bidirectionalSync(user, { theme: "light", lang: "en" }, { doc: "preferences" });
    calls.length = 0;
    const synced = await phone.bidirectionalSync(user, { theme: "dark" }, { doc: "preferences" });
    expect(synced.data).toEqual({ theme: "light", lang: "en" });
    expect(synced.uploaded).toBe(false);
    expect(calls.map((c) => `${c.method} ${c.path.replace(/^\/v1\/users\/[^/]+/, "")}`)).toEqual(["GET /changes"]);
    // Nothing new: one request again, and it carries no entry.
    calls.length = 0;
    const memory = await phone.syncDownload(user, { doc: "memory" });
    expect(memory).toEqual(memoryWith(3));
    expect(calls).toHaveLength(1);
  });

  it("keeps both turns when two devices append to the same list concurrently", async () => {
    const [user, key] = [freshUser("inc-concurrent"), freshKey()];
    const a = await device(key, "laptop");
    const b = await device(key, "phone");
    const start = memoryWith(5);
    await a.bidirectionalSync(user, start, { doc: "memory" });
    await b.bidirectionalSync(user, start, { doc: "memory" });
    const turn = (id: string) => ({ id, timestamp: "2026-03-01T00:00:00.000Z", text: id });
    const list = start["conversations"] as JsonObject[];
    await a.bidirectionalSync(user, { conversations: [...list, turn("from-laptop")] }, { doc: "memory" });
    // The phone has not pulled: its change loses the compare-and-swap, is rebuilt on top, and lands.
    const fromPhone = await b.bidirectionalSync(
      user,
      { conversations: [...list, turn("from-phone")] },
      { doc: "memory" },
    );
    const ids = (data: unknown) => ((data as JsonObject)["conversations"] as JsonObject[]).map((t) => t["id"]);
    expect(ids(fromPhone.data)).toEqual(expect.arrayContaining(["from-laptop", "from-phone"]));
    const onLaptop = await a.bidirectionalSync(
      user,
      { conversations: [...list, turn("from-laptop")] },
      { doc: "memory" },
    );
    expect(onLaptop.data).toEqual(fromPhone.data);
    expect((await feed(user, key)).map((e) => e.kind)).toEqual(["whole", "change", "change"]);
  });

  it("starts a new device from a snapshot once the changes have grown, with the same state", async () => {
    const [user, key] = [freshUser("inc-compact"), freshKey()];
    const laptop = await device(key, "laptop");
    let data = memoryWith(20, 200);
    await laptop.bidirectionalSync(user, data, { doc: "memory" });
    for (let i = 0; i < 40; i++) {
      const list = data["conversations"] as JsonObject[];
      data = {
        conversations: [...list, { id: `more-${i}`, timestamp: "2026-04-01T00:00:00.000Z", text: "y".repeat(200) }],
      };
      data = (await laptop.bidirectionalSync(user, data, { doc: "memory" })).data as JsonObject;
    }
    const kinds = (await feed(user, key)).map((e) => e.kind);
    expect(kinds[0]).toBe("snapshot");
    expect(kinds.length).toBeLessThan(41);
    const fresh = await device(key, "tablet");
    expect(await fresh.syncDownload(user, { doc: "memory" })).toEqual(data);
  });

  it("keeps a change on the device's disk as a journal entry of its size, which a restarted process reads", async () => {
    const [user, key] = [freshUser("inc-journal"), freshKey()];
    const [laptopDir, phoneDir] = [freshDataDir(), freshDataDir()];
    const laptop = await manager(server.url, { key, deviceId: "laptop", incremental: true, dataDir: laptopDir });
    const phone = await manager(server.url, { key, deviceId: "phone", incremental: true, dataDir: phoneDir });
    await laptop.bidirectionalSync(user, memoryWith(400), { doc: "memory" });
    await phone.downloadDocuments(user, ["memory"]);
    const stateFile = join(phoneDir, "users", user, "docs", "memory.json");
    const checkpoint = readFileSync(stateFile, "utf8");
    expect(checkpoint.length).toBeGreaterThan(100_000);

    await laptop.append(user, "memory", "/conversations", { id: "turn-new", text: "hello" });
    const got = await phone.downloadDocuments(user, ["memory"]);
    expect((got["memory"] as { conversations: unknown[] }).conversations).toHaveLength(401);
    // The whole state was not written again: one small entry beside it holds the change.
    expect(readFileSync(stateFile, "utf8")).toBe(checkpoint);
    const journal = join(phoneDir, "users", user, "journal", "memory");
    const entries = readdirSync(journal);
    expect(entries).toHaveLength(1);
    expect(statSync(join(journal, entries[0]!)).size).toBeLessThan(4096);

    // A new process on the same folder reads checkpoint and journal, and goes on from there.
    const restarted = await manager(server.url, { key, deviceId: "phone", incremental: true, dataDir: phoneDir });
    await laptop.append(user, "memory", "/conversations", { id: "turn-next", text: "again" });
    const after = (await restarted.downloadDocuments(user, ["memory"]))["memory"] as {
      conversations: { id: string }[];
    };
    expect(after.conversations.map((t) => t.id).slice(-2)).toEqual(["turn-new", "turn-next"]);
    expect((await restarted.getSyncStatus(user)).documents[0]).toMatchObject({ doc: "memory", version: 3 });
  });

  it("lets a new device use the persona and preferences before the memory has arrived", async () => {
    const [user, key] = [freshUser("inc-first"), freshKey()];
    const laptop = await device(key, "laptop");
    await laptop.syncDocuments(user, {
      "ai-persona": { name: "Ada", tone: "warm" },
      preferences: { theme: "dark" },
      // Random text, so the memory's token is too large to come inline (over 16 KiB even compressed).
      memory: {
        conversations: (memoryWith(200)["conversations"] as JsonObject[]).map((t) => ({
          ...t,
          text: randomBytes(150).toString("hex"),
        })),
      },
    });
    const calls: WireCall[] = [];
    const phone = await device(key, "phone", calls);
    const first = await phone.downloadDocuments(user, ["ai-persona", "preferences"]);
    expect(first).toEqual({ "ai-persona": { name: "Ada", tone: "warm" }, preferences: { theme: "dark" } });
    // The memory's token (too large to come inline) was not fetched for them.
    expect(calls.filter((c) => c.path.includes("/docs/memory/"))).toEqual([]);
    expect(calls.filter((c) => c.path.endsWith("/changes"))).toHaveLength(1);

    // The memory grows meanwhile; asked for, it comes whole and up to date, the earlier skip included.
    await laptop.append(user, "memory", "/conversations", { id: "turn-late", text: "later" });
    calls.length = 0;
    const memory = (await phone.downloadDocuments(user, ["memory"]))["memory"] as JsonObject;
    expect((memory["conversations"] as JsonObject[]).map((t) => t["id"]).slice(-2)).toEqual(["turn-199", "turn-late"]);
    expect(calls.filter((c) => c.path.includes("/docs/memory/")).length).toBeGreaterThan(0);
    // Nothing is left pending: the next round reads only what is new.
    calls.length = 0;
    await phone.downloadDocuments(user, ["ai-persona", "preferences", "memory"]);
    expect(calls.map((c) => c.path.replace(/^.*\/v1\/users\/[^/]+/, ""))).toEqual(["/changes"]);
  });

  it("writes a queued change to a document left pending when an operation for others replays it", async () => {
    const [user, key] = [freshUser("inc-pending-queue"), freshKey()];
    const laptop = await device(key, "laptop");
    const memory = {
      conversations: (memoryWith(200)["conversations"] as JsonObject[]).map((t) => ({
        ...t,
        text: randomBytes(150).toString("hex"),
      })),
    };
    await laptop.syncDocuments(user, { preferences: { theme: "dark" }, memory });
    let offline = false;
    const phone = await manager(server.url, {
      key,
      deviceId: "phone",
      incremental: true,
      fetch: async (url, init) => {
        if (offline && init.method === "POST") throw new TypeError("fetch failed");
        return fetch(url, init);
      },
    });
    await phone.downloadDocuments(user, ["preferences"]);
    // An append made offline is queued; the memory itself is still pending on this device.
    offline = true;
    const queued = await phone
      .append(user, "memory", "/conversations", { id: "turn-offline", text: "hi" })
      .catch((e) => e);
    expect(queued).toMatchObject({ code: "network" });
    offline = false;
    // Asking for the preferences replays the queue first: the memory is fetched for it, and the change lands.
    await phone.downloadDocuments(user, ["preferences"]);
    expect(await phone.pendingChanges(user)).toEqual([]);
    const onLaptop = (await laptop.downloadDocuments(user, ["memory"]))["memory"] as JsonObject;
    expect((onLaptop["conversations"] as JsonObject[]).map((t) => t["id"])).toContain("turn-offline");
  });

  it("writes the default document whole, so the Python module can read it", async () => {
    const [user, key] = [freshUser("inc-default"), freshKey()];
    const laptop = await device(key, "laptop");
    await laptop.bidirectionalSync(user, { a: 1 }, {});
    await laptop.bidirectionalSync(user, { a: 1, b: 2 }, {});
    // From cursor 1 (the first write): the second is whole too.
    expect((await feed(user, key, 1)).map((e) => `${e.doc}:${e.version}:${e.kind}`)).toEqual(["default:2:whole"]);
  });

  it("syncs with a device of the previous release on whole documents, which it still reads", async () => {
    const [user, key] = [freshUser("inc-mixed"), freshKey()];
    const old = await manager(server.url, { key, deviceId: "old-laptop", incremental: false });
    const fresh = await device(key, "phone");
    await old.bidirectionalSync(user, { theme: "dark" }, { doc: "preferences" });
    expect((await fresh.bidirectionalSync(user, { theme: "dark" }, { doc: "preferences" })).data).toEqual({
      theme: "dark",
    });
    await old.bidirectionalSync(user, { theme: "dark", font: 12 }, { doc: "preferences" });
    const merged = await fresh.bidirectionalSync(user, { theme: "dark", lang: "fr" }, { doc: "preferences" });
    expect(merged.data).toEqual({ theme: "dark", font: 12, lang: "fr" });
    // The document's newest entry is now a change: a whole-version reader is told to upgrade.
    const error = await old.syncDownload(user, { doc: "preferences" }).catch((e: unknown) => e);
    expect(isSyncError(error)).toBe(true);
  });

  it("refuses a change served as another document's, merging nothing", async () => {
    const [user, key] = [freshUser("inc-tamper"), freshKey()];
    const laptop = await device(key, "laptop");
    await laptop.bidirectionalSync(user, { a: 1 }, { doc: "notes" });
    await laptop.bidirectionalSync(user, { a: 1, b: 2 }, { doc: "notes" });
    // A server that re-labels notes' change as todo's version 2 (a proxy rewriting the frame header).
    const relabel = async (input: string, init: RequestInit) => {
      const res = await fetch(input, init);
      if (!new URL(input).pathname.endsWith("/changes")) return res;
      const frames = decodeFrames(new Uint8Array(await res.arrayBuffer()));
      const { encodeFrames } = await import("../../client/core/protocol/change-frames.ts");
      const moved = frames.map((f) => (f.header.version === 2 ? { ...f, header: { ...f.header, doc: "todo" } } : f));
      return new Response(encodeFrames(moved) as Uint8Array<ArrayBuffer>, { status: 200, headers: res.headers });
    };
    const victim = await manager(server.url, { key, deviceId: "phone", incremental: true, fetch: relabel });
    const error = await victim.syncDownload(user, { doc: "todo" }).catch((e: unknown) => e);
    expect(isSyncError(error, "tamper_detected")).toBe(true);
  });
});
