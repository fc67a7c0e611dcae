import { describe, expect, it, vi } from "vitest";
import { env } from "cloudflare:workers";
import { bearer, call, callWith, errorOf } from "./support/api.ts";
import { bytesOf, claimedUser, getDoc, putDoc, type TestUser } from "./support/docs.ts";
import { failing } from "./support/failing-bindings.ts";
import { counted } from "./support/counted-bindings.ts";
import { docsPrefixOf } from "./support/space.ts";
import { fernetBytes, tokenFor } from "./support/tokens.ts";

describe("writing and reading a document", () => {
  it("answers 201 for the first version and 200 with the next number after", async () => {
    const u = await claimedUser();
    const first = await putDoc(u, "notes");
    expect(first.status).toBe(201);
    expect(first.headers.get("ETag")).toBe('"1"');
    expect(await first.json()).toMatchObject({ name: "notes", version: 1, etag: '"1"', size: 89, device_id: "dev-1" });
    const second = await putDoc(u, "notes", fernetBytes(), { "X-Device-Id": "dev-2" });
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({ version: 2, device_id: "dev-2" });
  });

  it("serves the raw bytes of the current version with its sync headers", async () => {
    const u = await claimedUser();
    const body = fernetBytes(4);
    const written = (await (await putDoc(u, "notes", body)).json()) as { updated_at: string };
    const res = await getDoc(u, "notes");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/octet-stream");
    expect(res.headers.get("ETag")).toBe('"1"');
    expect(res.headers.get("X-Sync-Version")).toBe("1");
    expect(res.headers.get("X-Sync-Device")).toBe("dev-1");
    expect(res.headers.get("Last-Modified")).toBe(new Date(written.updated_at).toUTCString());
    // A browser must ask again each time rather than reuse the answer on heuristics.
    expect(res.headers.get("Cache-Control")).toBe("no-cache");
    expect(await bytesOf(res)).toEqual(body);
  });

  it("answers 304 to If-None-Match naming the current version, and the bytes once it is stale", async () => {
    const u = await claimedUser();
    await putDoc(u, "notes");
    const same = await getDoc(u, "notes", { "If-None-Match": '"1"' });
    expect(same.status).toBe(304);
    expect(same.headers.get("ETag")).toBe('"1"');
    await putDoc(u, "notes");
    expect((await getDoc(u, "notes", { "If-None-Match": '"1"' })).status).toBe(200);
  });

  it("gives an isolate that never saw the version the same headers and bytes, for 304 and 200 alike", async () => {
    const u = await claimedUser();
    const body = fernetBytes(3);
    const written = (await (await putDoc(u, "notes", body, { "X-Device-Id": "dev-7" })).json()) as {
      updated_at: string;
    };
    // A wrapped binding has no isolate memory of its own yet: it reads like a fresh isolate.
    const cold = () => ({ BLOBS: failing(env.BLOBS, []) });
    const path = `/v1/users/${u.user}/docs/notes`;
    const expected = {
      etag: '"1"',
      version: "1",
      device: "dev-7",
      modified: new Date(written.updated_at).toUTCString(),
    };
    const headersOf = (res: Response) => ({
      etag: res.headers.get("ETag"),
      version: res.headers.get("X-Sync-Version"),
      device: res.headers.get("X-Sync-Device"),
      modified: res.headers.get("Last-Modified"),
    });
    const notModified = await callWith(cold(), path, { headers: { ...u.auth, "If-None-Match": '"1"' } });
    expect(notModified.status).toBe(304);
    expect(headersOf(notModified)).toEqual(expected);
    const full = await callWith(cold(), path, { headers: u.auth });
    expect(full.status).toBe(200);
    expect(headersOf(full)).toEqual(expected);
    expect(await bytesOf(full)).toEqual(body);
  });

  it("answers 404 not_found for a document never written", async () => {
    const u = await claimedUser();
    expect(await errorOf(await getDoc(u, "missing"))).toEqual({
      status: 404,
      code: "not_found",
      message: "no such document",
    });
  });

  it("lists each document with its current version", async () => {
    const u = await claimedUser();
    await putDoc(u, "a");
    await putDoc(u, "a");
    await putDoc(u, "b");
    const res = await call(`/v1/users/${u.user}/docs`, { headers: u.auth });
    const { documents } = (await res.json()) as { documents: { name: string; version: number }[] };
    expect(documents.map((d) => [d.name, d.version]).sort()).toEqual([
      ["a", 2],
      ["b", 1],
    ]);
  });

  it("streams a body larger than the buffering threshold to storage and back intact", async () => {
    const u = await claimedUser();
    const body = fernetBytes(200_000); // about 3.2 MB
    const put = await putDoc(u, "big", body);
    expect(put.status).toBe(201);
    expect(await bytesOf(await getDoc(u, "big"))).toEqual(body);
  });
});

describe("compare-and-swap writes", () => {
  it("accepts If-Match naming the current version", async () => {
    const u = await claimedUser();
    await putDoc(u, "notes");
    const res = await putDoc(u, "notes", fernetBytes(), { "If-Match": '"1"' });
    expect(res.status).toBe(200);
    expect(res.headers.get("ETag")).toBe('"2"');
  });

  it("rejects a stale If-Match with 412, the current ETag, and stores nothing", async () => {
    const u = await claimedUser();
    await putDoc(u, "notes");
    const current = fernetBytes();
    await putDoc(u, "notes", current);
    const res = await putDoc(u, "notes", fernetBytes(), { "If-Match": '"1"' });
    expect(res.headers.get("ETag")).toBe('"2"');
    expect(await errorOf(res)).toEqual({
      status: 412,
      code: "precondition_failed",
      message: "the document is at version 2; fetch it and retry",
    });
    expect(await bytesOf(await getDoc(u, "notes"))).toEqual(current);
  });

  it("lets exactly one of two racing writes based on the same version win", async () => {
    const u = await claimedUser();
    await putDoc(u, "notes");
    const a = fernetBytes();
    const b = fernetBytes();
    const results = await Promise.all([
      putDoc(u, "notes", a, { "If-Match": '"1"', "X-Device-Id": "dev-a" }),
      putDoc(u, "notes", b, { "If-Match": '"1"', "X-Device-Id": "dev-b" }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 412]);
    const winner = results[0]!.status === 200 ? a : b;
    const stored = await getDoc(u, "notes");
    expect(stored.headers.get("ETag")).toBe('"2"');
    expect(await bytesOf(stored)).toEqual(winner);
  });

  it("gives racing unconditional writes consecutive versions and loses none", async () => {
    const u = await claimedUser();
    const results = await Promise.all(
      [1, 2, 3].map((i) => putDoc(u, "notes", fernetBytes(), { "X-Device-Id": `dev-${i}` })),
    );
    const versions = await Promise.all(results.map(async (r) => ((await r.json()) as { version: number }).version));
    expect(versions.sort()).toEqual([1, 2, 3]);
  });

  it("creates only with If-None-Match: * and answers 412 once the document exists", async () => {
    const u = await claimedUser();
    expect((await putDoc(u, "notes", fernetBytes(), { "If-None-Match": "*" })).status).toBe(201);
    expect(await errorOf(await putDoc(u, "notes", fernetBytes(), { "If-None-Match": "*" }))).toMatchObject({
      status: 412,
      code: "precondition_failed",
    });
  });

  it("answers 412 to If-Match on a document that does not exist", async () => {
    const u = await claimedUser();
    expect(await errorOf(await putDoc(u, "notes", fernetBytes(), { "If-Match": '"3"' }))).toEqual({
      status: 412,
      code: "precondition_failed",
      message: "the document does not exist",
    });
  });
});

describe("deleting a document", () => {
  it("removes it with its history", async () => {
    const u = await claimedUser();
    await putDoc(u, "notes");
    await putDoc(u, "notes");
    expect((await call(`/v1/users/${u.user}/docs/notes`, { method: "DELETE", headers: u.auth })).status).toBe(204);
    expect((await getDoc(u, "notes")).status).toBe(404);
    expect((await call(`/v1/users/${u.user}/docs/notes/versions/1`, { headers: u.auth })).status).toBe(404);
  });

  it("honours If-Match and keeps the document on a stale one", async () => {
    const u = await claimedUser();
    await putDoc(u, "notes");
    await putDoc(u, "notes");
    const stale = await call(`/v1/users/${u.user}/docs/notes`, {
      method: "DELETE",
      headers: { ...u.auth, "If-Match": '"1"' },
    });
    expect(stale.status).toBe(412);
    expect((await getDoc(u, "notes")).status).toBe(200);
  });

  it("answers 404 for a document that does not exist", async () => {
    const u = await claimedUser();
    expect(
      (await errorOf(await call(`/v1/users/${u.user}/docs/none`, { method: "DELETE", headers: u.auth }))).code,
    ).toBe("not_found");
  });
});

describe("a document deleted and written again", () => {
  async function deleteDoc(u: TestUser, doc: string, headers: Record<string, string> = {}): Promise<Response> {
    return call(`/v1/users/${u.user}/docs/${doc}`, { method: "DELETE", headers: { ...u.auth, ...headers } });
  }

  it("goes on from the deleted version's number, so no ETag a device still holds matches the new bytes", async () => {
    const u = await claimedUser();
    await putDoc(u, "notes");
    await putDoc(u, "notes");
    expect((await deleteDoc(u, "notes")).status).toBe(204);
    const fresh = fernetBytes();
    const created = await putDoc(u, "notes", fresh);
    expect(created.status).toBe(201);
    // Version 3 is the deletion itself.
    expect(await created.json()).toMatchObject({ version: 4, etag: '"4"' });
    for (const held of ['"1"', '"2"', '"3"']) {
      const res = await getDoc(u, "notes", { "If-None-Match": held });
      expect(res.status).toBe(200);
      expect(await bytesOf(res)).toEqual(fresh);
    }
  });

  it("shows nothing of the deleted history: reads, listings, history and usage", async () => {
    const u = await claimedUser();
    await putDoc(u, "notes");
    await putDoc(u, "notes");
    await putDoc(u, "kept");
    await deleteDoc(u, "notes", { "X-Device-Id": "dev-9" });
    expect((await getDoc(u, "notes")).status).toBe(404);
    const listed = (await (await call(`/v1/users/${u.user}/docs`, { headers: u.auth })).json()) as {
      documents: { name: string }[];
    };
    expect(listed.documents.map((d) => d.name)).toEqual(["kept"]);
    expect((await call(`/v1/users/${u.user}/docs/notes/versions`, { headers: u.auth })).status).toBe(404);
    for (const n of [1, 2, 3])
      expect((await call(`/v1/users/${u.user}/docs/notes/versions/${n}`, { headers: u.auth })).status).toBe(404);
    const account = (await (await call(`/v1/users/${u.user}`, { headers: u.auth })).json()) as {
      usage_bytes: number;
      documents: number;
    };
    expect(account).toMatchObject({ usage_bytes: 89, documents: 1 });
    // A second delete finds nothing to delete.
    expect((await errorOf(await deleteDoc(u, "notes"))).code).toBe("not_found");
  });

  it("answers conditions as for a document that does not exist", async () => {
    const u = await claimedUser();
    await putDoc(u, "notes");
    await deleteDoc(u, "notes");
    expect(await errorOf(await putDoc(u, "notes", fernetBytes(), { "If-Match": '"1"' }))).toEqual({
      status: 412,
      code: "precondition_failed",
      message: "the document does not exist",
    });
    expect((await putDoc(u, "notes", fernetBytes(), { "If-Match": "*" })).status).toBe(412);
    expect((await putDoc(u, "notes", fernetBytes(), { "If-None-Match": "*" })).status).toBe(201);
  });

  it("keeps only an empty tombstone in storage", async () => {
    const u = await claimedUser();
    for (let i = 0; i < 3; i++) await putDoc(u, "notes");
    await deleteDoc(u, "notes");
    expect(
      (await env.BLOBS.list({ prefix: `${await docsPrefixOf(u.user)}notes/` })).objects.map((o) => o.size),
    ).toEqual([0]);
  });

  it("has deleted the document once its tombstone is stored, and a later listing removes what a failed cleanup left", async () => {
    const u = await claimedUser();
    for (let i = 0; i < 3; i++) await putDoc(u, "notes");
    const stored = async () =>
      (await env.BLOBS.list({ prefix: `${await docsPrefixOf(u.user)}notes/` })).objects.map((o) => o.size);
    // The tombstone is written, then the batch delete of the history fails.
    const deleted = await callWith({ BLOBS: failing(env.BLOBS, ["delete"]) }, `/v1/users/${u.user}/docs/notes`, {
      method: "DELETE",
      headers: u.auth,
    });
    expect(deleted.status).toBe(204);
    expect(await stored()).toEqual([0, 89, 89, 89]);
    expect((await getDoc(u, "notes")).status).toBe(404);
    expect((await call(`/v1/users/${u.user}/docs/notes/versions/3`, { headers: u.auth })).status).toBe(404);
    const account = (await (await call(`/v1/users/${u.user}`, { headers: u.auth })).json()) as { usage_bytes: number };
    expect(account.usage_bytes).toBe(0);
    expect((await call(`/v1/users/${u.user}/docs`, { headers: u.auth })).status).toBe(200);
    await vi.waitFor(async () => expect(await stored()).toEqual([0]));
  });

  it("finishes a failed cleanup when the deleted document is deleted again", async () => {
    const u = await claimedUser();
    for (let i = 0; i < 2; i++) await putDoc(u, "notes");
    await callWith({ BLOBS: failing(env.BLOBS, ["delete"]) }, `/v1/users/${u.user}/docs/notes`, {
      method: "DELETE",
      headers: u.auth,
    });
    expect((await deleteDoc(u, "notes")).status).toBe(404);
    expect(
      (await env.BLOBS.list({ prefix: `${await docsPrefixOf(u.user)}notes/` })).objects.map((o) => o.size),
    ).toEqual([0]);
  });
});

describe("a writer that created the current version itself", () => {
  // A wrapped binding has no isolate memory: it writes as another isolate would.
  const elsewhere = () => ({ BLOBS: failing(env.BLOBS, []) });
  const putElsewhere = (u: TestUser, doc: string, headers: Record<string, string> = {}) =>
    callWith(elsewhere(), `/v1/users/${u.user}/docs/${doc}`, {
      method: "PUT",
      headers: { ...u.auth, "X-Device-Id": "dev-2", "Content-Type": "application/octet-stream", ...headers },
      body: fernetBytes(),
    });

  it("writes its next version without listing the document's versions", async () => {
    const u = await claimedUser();
    const calls: string[] = [];
    // One binding object for every call: what this isolate remembers is kept per binding.
    const bucket = counted(env.BLOBS, calls);
    const put = (headers: Record<string, string>) =>
      callWith({ BLOBS: bucket }, `/v1/users/${u.user}/docs/notes`, {
        method: "PUT",
        headers: { ...u.auth, "X-Device-Id": "dev-1", "Content-Type": "application/octet-stream", ...headers },
        body: fernetBytes(),
      });
    expect((await put({})).status).toBe(201);
    expect(calls).toContain("list");
    calls.length = 0;
    const second = await put({ "If-Match": '"1"' });
    expect(await second.json()).toMatchObject({ version: 2 });
    expect(calls).toEqual(["put"]);
  });

  it("still gets 412 and the current ETag when another isolate wrote after it", async () => {
    const u = await claimedUser();
    await putDoc(u, "notes");
    expect((await putElsewhere(u, "notes")).status).toBe(200);
    const stale = await putDoc(u, "notes", fernetBytes(), { "If-Match": '"1"' });
    expect(stale.status).toBe(412);
    expect(stale.headers.get("ETag")).toBe('"2"');
    const next = await putDoc(u, "notes", fernetBytes(), { "If-Match": '"2"' });
    expect(await next.json()).toMatchObject({ version: 3 });
  });

  it("gets 412 when another isolate deleted the document, and re-creates it without a condition", async () => {
    const u = await claimedUser();
    await putDoc(u, "notes");
    const deleted = await callWith(elsewhere(), `/v1/users/${u.user}/docs/notes`, {
      method: "DELETE",
      headers: u.auth,
    });
    expect(deleted.status).toBe(204);
    expect(await errorOf(await putDoc(u, "notes", fernetBytes(), { "If-Match": '"1"' }))).toMatchObject({
      status: 412,
      message: "the document does not exist",
    });
    const again = await putDoc(u, "notes");
    expect(again.status).toBe(201);
    expect(await again.json()).toMatchObject({ version: 3 });
  });

  it("never applies what it knew of a deleted account to the account that claims the name next", async () => {
    const first = await claimedUser();
    for (let i = 0; i < 3; i++) await putDoc(first, "notes");
    expect(
      (await callWith(elsewhere(), `/v1/users/${first.user}`, { method: "DELETE", headers: first.admin })).status,
    ).toBe(204);
    const token = await tokenFor(`${first.user}-next-owner`);
    const next: Pick<TestUser, "user" | "auth"> = { user: first.user, auth: bearer(token) };
    expect((await call(`/v1/users/${next.user}`, { method: "PUT", headers: next.auth })).status).toBe(201);
    expect(await errorOf(await putDoc(next, "notes", fernetBytes(), { "If-Match": '"3"' }))).toMatchObject({
      status: 412,
      message: "the document does not exist",
    });
    expect(await (await putDoc(next, "notes")).json()).toMatchObject({ version: 1 });
  });
});

describe("document write validation", () => {
  it("rejects a body that is not a Fernet token with invalid_token", async () => {
    const u = await claimedUser();
    const bad = fernetBytes();
    bad[0] = 0x00;
    expect(await errorOf(await putDoc(u, "notes", bad))).toEqual({
      status: 400,
      code: "invalid_token",
      message:
        "body is not a Fernet token: it must start with byte 0x80, be at least 73 bytes, and hold whole 16-byte blocks",
    });
    expect((await getDoc(u, "notes")).status).toBe(404);
  });

  it("rejects a write without X-Device-Id", async () => {
    const u = await claimedUser();
    const res = await call(`/v1/users/${u.user}/docs/notes`, { method: "PUT", headers: u.auth, body: fernetBytes() });
    expect(await errorOf(res)).toEqual({
      status: 400,
      code: "bad_request",
      message: "header x-device-id is missing or not a string",
    });
  });

  it("rejects a malformed X-Device-Id as invalid_name", async () => {
    const u = await claimedUser();
    expect(await errorOf(await putDoc(u, "notes", fernetBytes(), { "X-Device-Id": "-bad" }))).toMatchObject({
      status: 400,
      code: "invalid_name",
      message: expect.stringContaining("device id must be"),
    });
  });

  it("rejects an uppercase document name as invalid_name", async () => {
    const u = await claimedUser();
    expect(await errorOf(await putDoc(u, "Notes"))).toMatchObject({
      status: 400,
      code: "invalid_name",
      message: expect.stringContaining("document name must be"),
    });
  });

  it("rejects a malformed If-Match as bad_request", async () => {
    const u = await claimedUser();
    expect(await errorOf(await putDoc(u, "notes", fernetBytes(), { "If-Match": "3" }))).toEqual({
      status: 400,
      code: "bad_request",
      message: 'If-Match must be "*" or one entity tag like "3"',
    });
  });

  it("rejects a body over MAX_BODY_BYTES with 413 and stores nothing", async () => {
    const u = await claimedUser();
    const res = await callWith({ MAX_BODY_BYTES: "100" }, `/v1/users/${u.user}/docs/notes`, {
      method: "PUT",
      headers: { ...u.auth, "X-Device-Id": "d1" },
      body: fernetBytes(4),
    });
    expect(await errorOf(res)).toEqual({
      status: 413,
      code: "payload_too_large",
      message: "request body exceeds 100 bytes",
    });
    expect((await getDoc(u, "notes")).status).toBe(404);
  });

  it("rejects a chunked body (no Content-Length) once it passes MAX_BODY_BYTES", async () => {
    const u = await claimedUser();
    const chunk = fernetBytes(8);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 4; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await callWith({ MAX_BODY_BYTES: "300" }, `/v1/users/${u.user}/docs/notes`, {
      method: "PUT",
      headers: { ...u.auth, "X-Device-Id": "d1" },
      body,
    });
    expect(await errorOf(res)).toEqual({
      status: 413,
      code: "payload_too_large",
      message: "request body exceeds 300 bytes",
    });
    expect((await getDoc(u, "notes")).status).toBe(404);
  });

  it("rejects a large streamed body whose first byte is not 0x80 without storing it", async () => {
    const u = await claimedUser();
    const big = fernetBytes(100_000);
    big[0] = 0x00;
    expect((await errorOf(await putDoc(u, "big", big))).code).toBe("invalid_token");
    expect((await getDoc(u, "big")).status).toBe(404);
  });

  it("rejects a write past USER_QUOTA_BYTES with 413 quota_exceeded", async () => {
    const u = await claimedUser();
    const vars = { USER_QUOTA_BYTES: "200" };
    const put = (blocks: number) =>
      callWith(vars, `/v1/users/${u.user}/docs/notes`, {
        method: "PUT",
        headers: { ...u.auth, "X-Device-Id": "d1" },
        body: fernetBytes(blocks),
      });
    expect((await put(2)).status).toBe(201); // 89 bytes
    expect((await put(2)).status).toBe(200); // 178 bytes
    expect(await errorOf(await put(2))).toEqual({
      status: 413,
      code: "quota_exceeded",
      message: "storage quota exceeded: 178 of 200 bytes used, this write needs 89 more",
    });
    expect((await getDoc(u, "notes")).headers.get("ETag")).toBe('"2"');
  });

  it("counts against the quota only the versions within retention, not older ones awaiting pruning", async () => {
    const u = await claimedUser();
    const vars = { USER_QUOTA_BYTES: "300", HISTORY_RETENTION: "2" };
    const put = (blocks = 2) =>
      callWith(vars, `/v1/users/${u.user}/docs/notes`, {
        method: "PUT",
        headers: { ...u.auth, "X-Device-Id": "d1" },
        body: fernetBytes(blocks),
      });
    for (let i = 0; i < 3; i++) expect((await put()).status).toBeLessThan(300); // 3 x 89 bytes stored, 2 retained
    // Stored: 267 + 89 would pass 300; retained: 178 + 89 does not.
    expect((await put()).status).toBe(200);
    expect(await errorOf(await put(5))).toEqual({
      status: 413,
      code: "quota_exceeded",
      message: "storage quota exceeded: 178 of 300 bytes used, this write needs 137 more",
    });
  });
});
