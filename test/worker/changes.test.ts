/**
 * The incremental routes through the whole Worker in workerd, with the hub's SQLite index and R2:
 * cursor reads (idle, behind, reset, paging), change writes by compare-and-swap, snapshots,
 * compaction hints and the history window, and an account stored by the previous release.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { decodeFrames, type Frame } from "../../client/core/protocol/change-frames.ts";
import { EntryIndex } from "../../worker/changes/entry-index.ts";
import { snapshotKey, versionKey } from "../../worker/storage/document-keys.ts";
import { bearer, call, callWith, errorOf } from "./support/api.ts";
import { failing } from "./support/failing-bindings.ts";
import { spaceOf } from "./support/space.ts";
import { fernetBytes, tokenFor, uniqueUser } from "./support/tokens.ts";

async function claimed(label: string): Promise<{ user: string; token: string }> {
  const user = uniqueUser(label);
  const token = await tokenFor(user);
  const res = await call(`/v1/users/${user}`, { method: "PUT", headers: bearer(token) });
  expect(res.status).toBe(201);
  return { user, token };
}

async function putWhole(
  user: string,
  token: string,
  doc: string,
  body: Uint8Array,
  version: number,
): Promise<Response> {
  return call(`/v1/users/${user}/docs/${doc}`, {
    method: "PUT",
    headers: bearer(token, { "X-Device-Id": "laptop001", "X-Sync-Version": String(version) }),
    body,
  });
}

function postChange(user: string, token: string, doc: string, body: Uint8Array, version: number, env2?: object) {
  const init = {
    method: "POST",
    headers: bearer(token, { "X-Device-Id": "phone0001", "X-Sync-Version": String(version) }),
    body,
  };
  const path = `/v1/users/${user}/docs/${doc}/changes`;
  return env2 === undefined ? call(path, init) : callWith(env2, path, init);
}

async function changesAfter(user: string, token: string, after: number) {
  const res = await call(`/v1/users/${user}/changes?after=${after}`, { headers: bearer(token) });
  expect(res.status).toBe(200);
  const frames = decodeFrames(new Uint8Array(await res.arrayBuffer()));
  return {
    res,
    frames,
    head: Number(res.headers.get("X-Sync-Head")),
    reset: res.headers.get("X-Sync-Reset") === "1",
    more: res.headers.get("X-Sync-More") === "1",
  };
}

const summary = (frames: Frame[]) => frames.map((f) => `${f.header.doc}:${f.header.version}:${f.header.kind}`);

describe("GET /v1/users/:u/changes", () => {
  it("answers an idle round at the head with an empty body and the head, from the index alone", async () => {
    const { user, token } = await claimed("chg-idle");
    expect((await putWhole(user, token, "notes", fernetBytes(), 1)).status).toBe(201);
    const first = await changesAfter(user, token, 0);
    expect(first.head).toBeGreaterThan(0);
    const idle = await changesAfter(user, token, first.head);
    expect(idle.frames).toEqual([]);
    expect(idle.head).toBe(first.head);
    expect(idle.reset).toBe(false);
    expect(idle.res.headers.get("Content-Type")).toBe("application/vnd.cloud-sync.changes");
  });

  it("gives a device k entries behind all of them, of every document, in one answer and in order", async () => {
    const { user, token } = await claimed("chg-behind");
    const a = fernetBytes(2);
    const b = fernetBytes(3);
    expect((await putWhole(user, token, "persona", a, 1)).status).toBe(201);
    const cursor = (await changesAfter(user, token, 0)).head;
    const c1 = fernetBytes(1);
    const c2 = fernetBytes(1);
    expect((await postChange(user, token, "persona", c1, 2)).status).toBe(201);
    expect((await putWhole(user, token, "memory", b, 1)).status).toBe(201);
    expect((await postChange(user, token, "persona", c2, 3)).status).toBe(201);
    const { frames, head } = await changesAfter(user, token, cursor);
    expect(summary(frames)).toEqual(["persona:2:change", "memory:1:whole", "persona:3:change"]);
    expect(frames.map((f) => f.header.seq)).toEqual([cursor + 1, cursor + 2, cursor + 3]);
    expect(head).toBe(cursor + 3);
    expect(frames[0]!.token).toEqual(c1);
    expect(frames[1]!.token).toEqual(b);
    expect(frames[0]!.header.device_id).toBe("phone0001");
  });

  it("starts a new device with each document's base and the entries after it (a reset)", async () => {
    const { user, token } = await claimed("chg-reset");
    expect((await putWhole(user, token, "persona", fernetBytes(), 1)).status).toBe(201);
    expect((await postChange(user, token, "persona", fernetBytes(1), 2)).status).toBe(201);
    expect((await putWhole(user, token, "gone", fernetBytes(), 1)).status).toBe(201);
    const del = await call(`/v1/users/${user}/docs/gone`, { method: "DELETE", headers: bearer(token) });
    expect(del.status).toBe(204);
    const { frames, reset } = await changesAfter(user, token, 0);
    expect(reset).toBe(true);
    expect(summary(frames)).toEqual(["gone:2:tombstone", "persona:1:whole", "persona:2:change"]);
    expect(frames[0]!.token).toBeNull();
  });

  it("refuses a cursor past the head with 409 cursor_ahead", async () => {
    const { user, token } = await claimed("chg-ahead");
    expect((await putWhole(user, token, "notes", fernetBytes(), 1)).status).toBe(201);
    const res = await call(`/v1/users/${user}/changes?after=99`, { headers: bearer(token) });
    expect(await errorOf(res)).toMatchObject({ status: 409, code: "cursor_ahead" });
    expect(res.headers.get("X-Sync-Head")).toBe("1");
  });

  it("refuses a malformed cursor with 400, and a stranger with 401", async () => {
    const { user, token } = await claimed("chg-bad");
    for (const after of ["-1", "x", "01", ""]) {
      const res = await call(`/v1/users/${user}/changes?after=${after}`, { headers: bearer(token) });
      expect((await errorOf(res)).status).toBe(400);
    }
    const stranger = await tokenFor(uniqueUser("stranger"));
    const res = await call(`/v1/users/${user}/changes?after=0`, { headers: bearer(stranger) });
    expect(await errorOf(res)).toMatchObject({ status: 401, code: "unauthorized" });
  });

  it("pages a long run: at most 1000 entries per answer, X-Sync-More until the head", async () => {
    const { user, token } = await claimed("chg-page");
    const hub = env.USER_HUB.get(env.USER_HUB.idFromName(await spaceOf(user)));
    // 1100 entries recorded straight into the index (R2 is not consulted for inline tokens).
    for (let v = 1; v <= 1100; v++) {
      await hub.record(
        await spaceOf(user),
        {
          doc: "memory",
          version: v,
          kind: v === 1 ? "whole" : "change",
          device_id: "laptop001",
          updated_at: new Date().toISOString(),
          size: 89,
          token: fernetBytes(2),
        },
        50,
      );
    }
    const first = await changesAfter(user, token, 1);
    expect(first.frames).toHaveLength(1000);
    expect(first.more).toBe(true);
    const rest = await changesAfter(user, token, first.frames.at(-1)!.header.seq);
    expect(rest.frames).toHaveLength(99);
    expect(rest.more).toBe(false);
    expect(rest.frames.at(-1)!.header.seq).toBe(rest.head);
  });
});

describe("POST /v1/users/:u/docs/:doc/changes", () => {
  it("stores a change only on top of the version it names, else 412 with the next number", async () => {
    const { user, token } = await claimed("chg-cas");
    expect((await putWhole(user, token, "notes", fernetBytes(), 1)).status).toBe(201);
    const ok = await postChange(user, token, "notes", fernetBytes(1), 2);
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ name: "notes", version: 2 });
    expect(Number(ok.headers.get("X-Sync-Seq"))).toBeGreaterThan(0);
    const stale = await postChange(user, token, "notes", fernetBytes(1), 2);
    expect(await errorOf(stale)).toMatchObject({ status: 412, code: "precondition_failed" });
    expect(stale.headers.get("ETag")).toBe('"2"');
    const skipping = await postChange(user, token, "notes", fernetBytes(1), 5);
    expect((await errorOf(skipping)).status).toBe(412);
    expect(summary((await changesAfter(user, token, 0)).frames)).toEqual(["notes:1:whole", "notes:2:change"]);
  });

  it("never creates a document: a first version, or one after a delete, is whole", async () => {
    const { user, token } = await claimed("chg-create");
    expect((await errorOf(await postChange(user, token, "fresh", fernetBytes(1), 1))).status).toBe(412);
    expect((await putWhole(user, token, "fresh", fernetBytes(), 1)).status).toBe(201);
    expect((await call(`/v1/users/${user}/docs/fresh`, { method: "DELETE", headers: bearer(token) })).status).toBe(204);
    expect((await errorOf(await postChange(user, token, "fresh", fernetBytes(1), 3))).status).toBe(412);
  });

  it("refuses a change over 64 KiB with 413 and a body that is not a token with 400, storing nothing", async () => {
    const { user, token } = await claimed("chg-size");
    expect((await putWhole(user, token, "notes", fernetBytes(), 1)).status).toBe(201);
    const big = await postChange(user, token, "notes", fernetBytes(4100), 2);
    expect(await errorOf(big)).toMatchObject({ status: 413, code: "payload_too_large" });
    const junk = await postChange(user, token, "notes", new TextEncoder().encode("not a token"), 2);
    expect(await errorOf(junk)).toMatchObject({ status: 400, code: "invalid_token" });
    expect((await changesAfter(user, token, 0)).frames).toHaveLength(1);
  });

  it("answers a whole-version read of a document whose newest entry is a change with 409 upgrade_required", async () => {
    const { user, token } = await claimed("chg-old-client");
    expect((await putWhole(user, token, "notes", fernetBytes(), 1)).status).toBe(201);
    expect((await postChange(user, token, "notes", fernetBytes(1), 2)).status).toBe(201);
    const res = await call(`/v1/users/${user}/docs/notes`, { headers: bearer(token) });
    expect(await errorOf(res)).toMatchObject({ status: 409, code: "upgrade_required" });
    // Its versions stay readable one by one (the history, and a reader fetching a blob entry).
    expect((await call(`/v1/users/${user}/docs/notes/versions/2`, { headers: bearer(token) })).status).toBe(200);
  });

  it("indexes versions R2 holds but the index missed (a write whose record failed) when the next one arrives", async () => {
    const { user, token } = await claimed("chg-gap");
    expect((await putWhole(user, token, "notes", fernetBytes(), 1)).status).toBe(201);
    const space = await spaceOf(user);
    // Version 2 stored as a failed write leaves it: in R2, never recorded.
    await env.BLOBS.put(versionKey(space, "notes", 2), fernetBytes(1), {
      customMetadata: { device_id: "tablet001", updated_at: new Date().toISOString(), kind: "change" },
    });
    expect((await postChange(user, token, "notes", fernetBytes(1), 3)).status).toBe(201);
    const { frames } = await changesAfter(user, token, 0);
    expect(summary(frames)).toEqual(["notes:1:whole", "notes:2:change", "notes:3:change"]);
    expect(frames[1]!.header.blob).toBe(true);
  });

  it("indexes what beat a writer when its write loses the race, so its next pull finds it", async () => {
    const { user, token } = await claimed("chg-race");
    expect((await putWhole(user, token, "notes", fernetBytes(), 1)).status).toBe(201);
    const space = await spaceOf(user);
    await env.BLOBS.put(versionKey(space, "notes", 2), fernetBytes(1), {
      customMetadata: { device_id: "tablet001", updated_at: new Date().toISOString(), kind: "change" },
    });
    expect((await errorOf(await postChange(user, token, "notes", fernetBytes(1), 2))).status).toBe(412);
    expect(summary((await changesAfter(user, token, 1)).frames)).toEqual(["notes:2:change"]);
  });
});

describe("compaction and snapshots", () => {
  async function growChanges(user: string, token: string, from: number, count: number, blocks: number) {
    let compact: string | null = null;
    for (let v = from; v < from + count; v++) {
      const res = await postChange(user, token, "memory", fernetBytes(blocks), v);
      expect(res.status).toBe(201);
      compact = res.headers.get("X-Sync-Compact");
    }
    return compact;
  }

  it("asks for a snapshot once the changes reach a fifth of the base, and serves a reset from it", async () => {
    const { user, token } = await claimed("chg-compact");
    // A 20 KiB base: compaction is due after 4 KiB of changes (and never below 4 KiB).
    expect((await putWhole(user, token, "memory", fernetBytes(1280), 1)).status).toBe(201);
    expect(await growChanges(user, token, 2, 3, 64)).toBeNull();
    expect(await growChanges(user, token, 5, 1, 64)).toBe("5");
    const snapshot = fernetBytes(1300);
    const put = await call(`/v1/users/${user}/docs/memory/snapshots/5`, {
      method: "PUT",
      headers: bearer(token),
      body: snapshot,
    });
    expect(put.status).toBe(201);
    expect(await growChanges(user, token, 6, 1, 2)).toBeNull();
    const { frames } = await changesAfter(user, token, 0);
    expect(summary(frames)).toEqual(["memory:5:snapshot", "memory:6:change"]);
    expect(frames[0]!.token).toBeNull();
    expect(frames[0]!.header.blob).toBe(true);
    const got = await call(`/v1/users/${user}/docs/memory/snapshots/5`, { headers: bearer(token) });
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(snapshot);
  });

  it("refuses a snapshot that exists, of an entry not stored, older than the base, or of a deletion", async () => {
    const { user, token } = await claimed("chg-snap-refuse");
    const put = (n: number) =>
      call(`/v1/users/${user}/docs/memory/snapshots/${n}`, {
        method: "PUT",
        headers: bearer(token),
        body: fernetBytes(3),
      });
    expect((await putWhole(user, token, "memory", fernetBytes(), 1)).status).toBe(201);
    expect((await errorOf(await put(1))).status).toBe(412); // a whole entry is its own base
    expect((await errorOf(await put(7))).status).toBe(412); // no such entry
    expect((await postChange(user, token, "memory", fernetBytes(1), 2)).status).toBe(201);
    expect((await put(2)).status).toBe(201);
    expect((await errorOf(await put(2))).status).toBe(412); // exists
    expect((await call(`/v1/users/${user}/docs/memory`, { method: "DELETE", headers: bearer(token) })).status).toBe(
      204,
    );
    expect(await errorOf(await put(3))).toMatchObject({ status: 409, code: "precondition_failed" });
  });

  it("with HISTORY_DAYS=0 keeps only the newest snapshot and what follows it, in the index and in R2", async () => {
    const { user, token } = await claimed("chg-window");
    const space = await spaceOf(user);
    expect((await putWhole(user, token, "memory", fernetBytes(), 1)).status).toBe(201);
    for (let v = 2; v <= 4; v++) expect((await postChange(user, token, "memory", fernetBytes(1), v)).status).toBe(201);
    const snap = await callWith({ HISTORY_DAYS: "0" }, `/v1/users/${user}/docs/memory/snapshots/3`, {
      method: "PUT",
      headers: bearer(token),
      body: fernetBytes(4),
    });
    expect(snap.status).toBe(201);
    // callWith waited for the trim: versions 1 and 2 are gone from R2, 3 (the snapshot's entry) and 4 stay.
    for (const [v, kept] of [
      [1, false],
      [2, false],
      [3, true],
      [4, true],
    ] as const) {
      expect((await env.BLOBS.head(versionKey(space, "memory", v))) !== null).toBe(kept);
    }
    expect(await env.BLOBS.head(snapshotKey(space, "memory", 3))).not.toBeNull();
    const { frames } = await changesAfter(user, token, 0);
    expect(summary(frames)).toEqual(["memory:3:snapshot", "memory:4:change"]);
    // A device whose cursor fell below what was trimmed gets a reset, not a gap.
    const behind = await changesAfter(user, token, 1);
    expect(behind.reset).toBe(true);
  });

  it("with the default window keeps every entry since the oldest base inside it", async () => {
    const { user, token } = await claimed("chg-window30");
    const space = await spaceOf(user);
    expect((await putWhole(user, token, "memory", fernetBytes(), 1)).status).toBe(201);
    for (let v = 2; v <= 4; v++) expect((await postChange(user, token, "memory", fernetBytes(1), v)).status).toBe(201);
    const snap = await callWith({}, `/v1/users/${user}/docs/memory/snapshots/3`, {
      method: "PUT",
      headers: bearer(token),
      body: fernetBytes(4),
    });
    expect(snap.status).toBe(201);
    // History keeps every version inside the window (rollback reads them one by one) ...
    for (const v of [1, 2, 3, 4]) expect(await env.BLOBS.head(versionKey(space, "memory", v))).not.toBeNull();
    // ... and a device a few changes behind the snapshot gets those changes, inline, not the snapshot.
    const behind = await changesAfter(user, token, 1);
    expect(behind.reset).toBe(false);
    expect(summary(behind.frames)).toEqual(["memory:2:change", "memory:3:change", "memory:4:change"]);
    expect(behind.frames.every((f) => f.token !== null)).toBe(true);
  });

  it("folds the window's base when every change after it carries its undo, keeping its place in the history", async () => {
    const { user, token } = await claimed("chg-fold");
    const space = await spaceOf(user);
    const base = fernetBytes(200);
    expect((await putWhole(user, token, "memory", base, 1)).status).toBe(201);
    for (let v = 2; v <= 4; v++) {
      const res = await call(`/v1/users/${user}/docs/memory/changes`, {
        method: "POST",
        headers: bearer(token, { "X-Device-Id": "phone0001", "X-Sync-Version": String(v), "X-Sync-Undo": "1" }),
        body: fernetBytes(1),
      });
      expect(res.status).toBe(201);
    }
    const before = (await (await call(`/v1/users/${user}`, { headers: bearer(token) })).json()) as {
      stored_bytes: number;
    };
    const snapshot = fernetBytes(210);
    const snap = await callWith({}, `/v1/users/${user}/docs/memory/snapshots/4`, {
      method: "PUT",
      headers: bearer(token),
      body: snapshot,
    });
    expect(snap.status).toBe(201);
    // Version 1's object is now a marker: listed as folded, with its writer and time, unreadable.
    const marker = await env.BLOBS.head(versionKey(space, "memory", 1));
    expect(marker?.size).toBeLessThan(16);
    const listed = (await (
      await call(`/v1/users/${user}/docs/memory/versions`, { headers: bearer(token) })
    ).json()) as {
      versions: Array<{ version: number; kind: string; device_id: string; snapshot?: true }>;
    };
    expect(listed.versions.map((v) => `${v.version}:${v.kind}${v.snapshot ? ":snapshot" : ""}`)).toEqual([
      "4:change:snapshot",
      "3:change",
      "2:change",
      "1:folded",
    ]);
    expect(listed.versions.at(-1)!.device_id).toBe("laptop001");
    expect(
      await errorOf(await call(`/v1/users/${user}/docs/memory/versions/1`, { headers: bearer(token) })),
    ).toMatchObject({ status: 404, code: "not_found" });
    // The account holds one whole copy, not two: the snapshot came (in R2 and inline), the base went.
    const after = (await (await call(`/v1/users/${user}`, { headers: bearer(token) })).json()) as {
      stored_bytes: number;
    };
    expect(after.stored_bytes).toBe(before.stored_bytes + 2 * snapshot.length - 2 * base.length);
    // A device behind the folded base starts again from the snapshot.
    expect((await changesAfter(user, token, 0)).frames.map((f) => f.header.kind)).toEqual(["snapshot"]);
  });

  it("keeps the window's base whole when a change after it carries no undo", async () => {
    const { user, token } = await claimed("chg-nofold");
    const space = await spaceOf(user);
    expect((await putWhole(user, token, "memory", fernetBytes(200), 1)).status).toBe(201);
    for (let v = 2; v <= 3; v++) {
      const res = await call(`/v1/users/${user}/docs/memory/changes`, {
        method: "POST",
        headers: bearer(token, {
          "X-Device-Id": "phone0001",
          "X-Sync-Version": String(v),
          ...(v === 2 ? {} : { "X-Sync-Undo": "1" }),
        }),
        body: fernetBytes(1),
      });
      expect(res.status).toBe(201);
    }
    const snap = await callWith({}, `/v1/users/${user}/docs/memory/snapshots/3`, {
      method: "PUT",
      headers: bearer(token),
      body: fernetBytes(210),
    });
    expect(snap.status).toBe(201);
    expect((await env.BLOBS.head(versionKey(space, "memory", 1)))?.size).toBe(fernetBytes(200).length);
    expect((await call(`/v1/users/${user}/docs/memory/versions/1`, { headers: bearer(token) })).status).toBe(200);
  });

  it("refuses an X-Sync-Undo other than 1 with 400, storing nothing", async () => {
    const { user, token } = await claimed("chg-undo-bad");
    expect((await putWhole(user, token, "memory", fernetBytes(), 1)).status).toBe(201);
    const res = await call(`/v1/users/${user}/docs/memory/changes`, {
      method: "POST",
      headers: bearer(token, { "X-Device-Id": "phone0001", "X-Sync-Version": "2", "X-Sync-Undo": "yes" }),
      body: fernetBytes(1),
    });
    expect(await errorOf(res)).toMatchObject({ status: 400 });
    expect((await changesAfter(user, token, 0)).head).toBe(1);
  });
});

describe("an account stored by the previous release", () => {
  it("is indexed on its first incremental read, from its heads, with no bytes copied", async () => {
    const { user, token } = await claimed("chg-upgrade");
    const space = await spaceOf(user);
    // Today's layout, written as the previous release wrote it: versions in R2, no index, no kind.
    const meta = (device: string) => ({
      customMetadata: { device_id: device, updated_at: "2026-11-30T10:00:00.000Z" },
    });
    const v2 = fernetBytes(5);
    await env.BLOBS.put(versionKey(space, "default", 1), fernetBytes(4), meta("laptop001"));
    await env.BLOBS.put(versionKey(space, "default", 2), v2, meta("python01"));
    await env.BLOBS.put(versionKey(space, "persona", 1), fernetBytes(3), meta("laptop001"));
    await env.BLOBS.put(versionKey(space, "old", 1), fernetBytes(3), meta("laptop001"));
    await env.BLOBS.put(versionKey(space, "old", 2), new Uint8Array(0), meta("laptop001"));
    const { frames, head } = await changesAfter(user, token, 0);
    expect(summary(frames)).toEqual(["default:2:whole", "old:2:tombstone", "persona:1:whole"]);
    expect(head).toBe(3);
    // Served by reference: the client reads the version as before.
    expect(frames[0]!.header.blob).toBe(true);
    const read = await call(`/v1/users/${user}/docs/default/versions/2`, { headers: bearer(token) });
    expect(new Uint8Array(await read.arrayBuffer())).toEqual(v2);
    // And it stays writable: the next whole write is version 3, and a change after it is 4.
    expect((await putWhole(user, token, "default", fernetBytes(), 3)).status).toBe(200);
    expect((await postChange(user, token, "persona", fernetBytes(1), 2)).status).toBe(201);
    expect(summary((await changesAfter(user, token, head)).frames)).toEqual(["default:3:whole", "persona:2:change"]);
  });
});

describe("an index of the previous schema", () => {
  it("gains the undo column on start; its changes count as without undo and fold nothing", async () => {
    const stub = env.USER_HUB.get(env.USER_HUB.idFromName(uniqueUser("chg-schema1")));
    await runInDurableObject(stub, (_hub, state) => {
      const sql = state.storage.sql;
      const at = new Date(0).toISOString();
      // The tables as the previous release created them: entries without `undo`, no `folded`, no schema mark.
      sql.exec("DROP TABLE IF EXISTS entries; DROP TABLE IF EXISTS folded; DROP TABLE IF EXISTS meta;");
      sql.exec(`CREATE TABLE entries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        doc TEXT NOT NULL, version INTEGER NOT NULL, kind TEXT NOT NULL,
        device_id TEXT NOT NULL, updated_at TEXT NOT NULL, size INTEGER NOT NULL, token BLOB,
        UNIQUE (doc, version));
      CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);`);
      sql.exec(
        "INSERT INTO entries (doc, version, kind, device_id, updated_at, size) VALUES ('memory', 1, 'whole', 'a', ?, 100)",
        at,
      );
      sql.exec(
        "INSERT INTO entries (doc, version, kind, device_id, updated_at, size) VALUES ('memory', 2, 'change', 'a', ?, 10)",
        at,
      );
      sql.exec("INSERT INTO meta (key, value) VALUES ('imported', 1)");
      new EntryIndex(sql);
      expect(sql.exec("SELECT name FROM pragma_table_info('entries') WHERE name = 'undo'").toArray()).toHaveLength(1);
      // Started again, the index keeps its data and does not migrate twice.
      const index = new EntryIndex(sql);
      expect(index.entry("memory", 2)?.kind).toBe("change");
      sql.exec(
        "INSERT INTO docs (doc, head, head_kind, base_version, base_bytes, change_bytes) VALUES ('memory', 2, 'change', 1, 100, 10)",
      );
      index.record({
        doc: "memory",
        version: 3,
        kind: "change",
        device_id: "a",
        updated_at: at,
        size: 10,
        token: null,
        undo: true,
      });
      const trim = index.recordSnapshot(
        { doc: "memory", version: 3, size: 100, stored_at: Date.now(), token: null },
        0,
      );
      // Version 2 carries no undo: the base stays whole.
      expect(trim.folded).toBeNull();
      expect(index.entry("memory", 1)?.kind).toBe("whole");
    });
  });
});

describe("the account's usage", () => {
  it("is kept by the index as entries come and go, with no listing of R2", async () => {
    const { user, token } = await claimed("chg-usage");
    const noListing = { BLOBS: failing(env.BLOBS, ["list"]) };
    const read = async () =>
      (await (await callWith(noListing, `/v1/users/${user}`, { headers: bearer(token) })).json()) as {
        usage_bytes: number;
        stored_bytes: number;
        documents: number;
      };
    const whole = fernetBytes(10);
    const change = fernetBytes(2);
    expect((await putWhole(user, token, "memory", whole, 1)).status).toBe(201);
    expect((await postChange(user, token, "memory", change, 2)).status).toBe(201);
    expect(await read()).toMatchObject({
      usage_bytes: whole.length + change.length,
      stored_bytes: 2 * (whole.length + change.length),
      documents: 1,
    });
    // A write over the quota is refused from the index's count, again without listing.
    const tight = await callWith(
      { ...noListing, USER_QUOTA_BYTES: String(whole.length + change.length + 100) },
      `/v1/users/${user}/docs/memory/changes`,
      {
        method: "POST",
        headers: bearer(token, { "X-Device-Id": "phone0001", "X-Sync-Version": "3" }),
        body: fernetBytes(10),
      },
    );
    expect(await errorOf(tight)).toMatchObject({ status: 413, code: "quota_exceeded" });
    expect((await call(`/v1/users/${user}/docs/memory`, { method: "DELETE", headers: bearer(token) })).status).toBe(
      204,
    );
    expect(await read()).toMatchObject({ usage_bytes: 0, stored_bytes: 0, documents: 0 });
  });
});

describe("a write whose entry cannot be recorded", () => {
  it("answers 503; its retry is told the version is taken, and the feed then has it", async () => {
    const { user, token } = await claimed("chg-record-fails");
    expect((await putWhole(user, token, "notes", fernetBytes(), 1)).status).toBe(201);
    // The hub answers everything but the record of the entry (it fails after R2 stored it).
    const hubs = env.USER_HUB;
    const recordFails = {
      idFromName: (name: string) => hubs.idFromName(name),
      get: (id: DurableObjectId) =>
        new Proxy(hubs.get(id), {
          get: (stub, prop) =>
            prop === "record" ? () => Promise.reject(new Error("simulated record outage")) : Reflect.get(stub, prop),
        }),
    } as unknown as typeof hubs;
    const change = fernetBytes(1);
    const failed = await postChange(user, token, "notes", change, 2, { USER_HUB: recordFails });
    expect(await errorOf(failed)).toMatchObject({ status: 503, code: "unavailable" });
    const retry = await postChange(user, token, "notes", change, 2);
    expect(await errorOf(retry)).toMatchObject({ status: 412, code: "precondition_failed" });
    const { frames } = await changesAfter(user, token, 1);
    expect(summary(frames)).toEqual(["notes:2:change"]);
  });
});
