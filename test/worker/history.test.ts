import { describe, expect, it } from "vitest";
import { call, callWith, errorOf } from "./support/api.ts";
import { bytesOf, claimedUser, getDoc, type TestUser } from "./support/docs.ts";
import { docsPrefixOf } from "./support/space.ts";
import { fernetBytes } from "./support/tokens.ts";

async function writeVersions(
  u: TestUser,
  doc: string,
  count: number,
  vars: Record<string, string> = {},
): Promise<Uint8Array[]> {
  const bodies: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const body = fernetBytes();
    const res = await callWith(vars, `/v1/users/${u.user}/docs/${doc}`, {
      method: "PUT",
      headers: { ...u.auth, "X-Device-Id": `dev-${i}` },
      body,
    });
    expect(res.status).toBeLessThan(300);
    bodies.push(body);
  }
  return bodies;
}

describe("document history", () => {
  it("lists versions newest first with the current one included", async () => {
    const u = await claimedUser();
    await writeVersions(u, "notes", 3);
    const res = await call(`/v1/users/${u.user}/docs/notes/versions`, { headers: u.auth });
    expect(res.status).toBe(200);
    const { versions } = (await res.json()) as {
      versions: { version: number; etag: string; device_id: string; size: number }[];
    };
    expect(versions.map((v) => v.version)).toEqual([3, 2, 1]);
    expect(versions[0]).toMatchObject({ etag: '"3"', device_id: "dev-2", size: 89 });
  });

  it("serves the bytes of an earlier version", async () => {
    const u = await claimedUser();
    const bodies = await writeVersions(u, "notes", 3);
    const res = await call(`/v1/users/${u.user}/docs/notes/versions/2`, { headers: u.auth });
    expect(res.status).toBe(200);
    expect(res.headers.get("X-Sync-Version")).toBe("2");
    expect(await bytesOf(res)).toEqual(bodies[1]);
  });

  it("keeps only HISTORY_RETENTION versions and answers 404 for older ones", async () => {
    const u = await claimedUser();
    const vars = { HISTORY_RETENTION: "3" };
    await writeVersions(u, "notes", 9, vars);
    const list = await callWith(vars, `/v1/users/${u.user}/docs/notes/versions`, { headers: u.auth });
    const { versions } = (await list.json()) as { versions: { version: number }[] };
    expect(versions.map((v) => v.version)).toEqual([9, 8, 7]);
    expect(
      await errorOf(await callWith(vars, `/v1/users/${u.user}/docs/notes/versions/6`, { headers: u.auth })),
    ).toEqual({
      status: 404,
      code: "not_found",
      message: "version 6 does not exist or is no longer retained",
    });
    expect((await callWith(vars, `/v1/users/${u.user}/docs/notes/versions/7`, { headers: u.auth })).status).toBe(200);
  });

  it("deletes pruned versions from storage after a batch of writes", async () => {
    const u = await claimedUser();
    await writeVersions(u, "notes", 8, { HISTORY_RETENTION: "3" });
    const { env } = await import("cloudflare:workers");
    const listed = await env.BLOBS.list({ prefix: `${await docsPrefixOf(u.user)}notes/v/` });
    expect(listed.objects).toHaveLength(3);
  });

  it("prunes in batches of half the retention, so storage holds at most half as many again", async () => {
    const u = await claimedUser();
    const { env } = await import("cloudflare:workers");
    const stored = async () =>
      (await env.BLOBS.list({ prefix: `${await docsPrefixOf(u.user)}notes/v/` })).objects.length;
    await writeVersions(u, "notes", 29, { HISTORY_RETENTION: "20" });
    expect(await stored()).toBe(29);
    await writeVersions(u, "notes", 1, { HISTORY_RETENTION: "20" });
    expect(await stored()).toBe(20);
  });

  it("answers 404 for the history of a document never written", async () => {
    const u = await claimedUser();
    expect((await errorOf(await call(`/v1/users/${u.user}/docs/none/versions`, { headers: u.auth }))).code).toBe(
      "not_found",
    );
  });

  it("rejects a version number that is not a positive integer", async () => {
    const u = await claimedUser();
    expect(await errorOf(await call(`/v1/users/${u.user}/docs/notes/versions/0`, { headers: u.auth }))).toEqual({
      status: 400,
      code: "bad_request",
      message: "n: version must be an integer from 1 to 999999999999",
    });
  });
});

describe("restoring a version", () => {
  it("has no server-side restore: copying an old token as a new version answers 404 and stores nothing", async () => {
    const u = await claimedUser();
    const bodies = await writeVersions(u, "notes", 3);
    const res = await call(`/v1/users/${u.user}/docs/notes/versions/1/restore`, {
      method: "POST",
      headers: { ...u.auth, "X-Device-Id": "dev-r" },
    });
    expect(await errorOf(res)).toMatchObject({ status: 404, code: "not_found" });
    const current = await getDoc(u, "notes");
    expect(current.headers.get("ETag")).toBe('"3"');
    expect(await bytesOf(current)).toEqual(bodies[2]);
  });
});
