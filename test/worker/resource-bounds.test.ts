/** What one account may hold: MAX_DOCUMENTS live documents and MAX_DEVICES registered devices. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { callWith, errorOf } from "./support/api.ts";
import { claimedUser, type TestUser } from "./support/docs.ts";
import { fernetBytes } from "./support/tokens.ts";

function put(u: TestUser, doc: string, vars: Record<string, string>, device = "dev-1"): Promise<Response> {
  return callWith(vars, `/v1/users/${u.user}/docs/${doc}`, {
    method: "PUT",
    headers: { ...u.auth, "X-Device-Id": device, "Content-Type": "application/octet-stream" },
    body: fernetBytes(),
  });
}

describe("MAX_DOCUMENTS", () => {
  it("refuses a write that would create one document too many with 403 quota_exceeded, storing nothing", async () => {
    const u = await claimedUser();
    const vars = { MAX_DOCUMENTS: "3" };
    for (const doc of ["a", "b", "c"]) expect((await put(u, doc, vars)).status).toBe(201);
    const refused = await put(u, "d", vars);
    expect(await errorOf(refused)).toMatchObject({ status: 403, code: "quota_exceeded" });
    const listed = await env.BLOBS.list({ prefix: "" });
    expect(listed.objects.some((o) => o.key.includes(`/docs/d/`) && o.key.includes(u.user))).toBe(false);
  });

  it("still lets existing documents be rewritten and a deleted one's place be taken", async () => {
    const u = await claimedUser();
    const vars = { MAX_DOCUMENTS: "2" };
    for (const doc of ["a", "b"]) expect((await put(u, doc, vars)).status).toBe(201);
    expect((await put(u, "a", vars)).status).toBe(200);
    const removed = await callWith(vars, `/v1/users/${u.user}/docs/b`, { method: "DELETE", headers: u.auth });
    expect(removed.status).toBe(204);
    expect((await put(u, "c", vars)).status).toBe(201);
  });
});

describe("MAX_DEVICES", () => {
  it("refuses to register a device past the limit with 403 quota_exceeded; renaming a known one still works", async () => {
    const u = await claimedUser();
    const vars = { MAX_DEVICES: "2" };
    const register = (id: string, name: string) =>
      callWith(vars, `/v1/users/${u.user}/devices/${id}`, {
        method: "PUT",
        headers: { ...u.auth, "Content-Type": "application/json" },
        body: JSON.stringify({ name, platform: "linux" }),
      });
    expect((await register("laptop", "Laptop")).status).toBe(200);
    expect((await register("phone", "Phone")).status).toBe(200);
    expect(await errorOf(await register("tablet", "Tablet"))).toMatchObject({ status: 403, code: "quota_exceeded" });
    expect((await register("phone", "My phone")).status).toBe(200);
  });

  it("does not record the activity of made-up device ids past the limit, while their writes succeed", async () => {
    const u = await claimedUser();
    const vars = { MAX_DEVICES: "2" };
    for (const device of ["d-1", "d-2", "d-3", "d-4"])
      expect((await put(u, "notes", vars, device)).status).toBeLessThan(300);
    const listed = await callWith(vars, `/v1/users/${u.user}/devices`, { headers: u.auth });
    const { devices } = (await listed.json()) as { devices: { device_id: string }[] };
    expect(devices.map((d) => d.device_id).sort()).toEqual(["d-1", "d-2"]);
  });
});
