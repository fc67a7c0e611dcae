/** Fuzz-lite: malformed requests of every kind never get a 5xx and never change stored state. Bounded to a few hundred runs. */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { call } from "./support/api.ts";
import { claimedUser, putDoc } from "./support/docs.ts";
import { fernetBytes, tokenFor } from "./support/tokens.ts";

async function snapshot(user: string): Promise<string[]> {
  const objects = (await env.BLOBS.list({ prefix: `users/${user}/`, include: ["customMetadata"] })).objects;
  const devices = (await env.DEVICES.list({ prefix: `${user}/` })).keys;
  return [
    ...objects.map((o) => `${o.key} ${o.etag}`),
    ...devices.map((k) => `kv ${k.name} ${JSON.stringify(k.metadata)}`),
  ];
}

const weirdSegment = fc.oneof(
  fc.constantFrom(
    "..",
    ".",
    "%2e%2e",
    "%2f",
    "a%2fb",
    "%00",
    "A",
    "-x",
    "x..y",
    "%",
    "%zz",
    "名前",
    " ",
    "a b",
    "x".repeat(65),
  ),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
);

/** A body that is never a valid Fernet token (first byte is not 0x80) or not the JSON a route wants. */
const badBody = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => (b.length > 0 && b[0] === 0x80 ? b.subarray(1) : b)),
  fc.json().map((j) => new TextEncoder().encode(j)),
  fc.constant(new TextEncoder().encode('{"username":"x","device_id":"d","encrypted_data":"zz"}')),
);

describe("malformed requests", () => {
  it("never answer 5xx and leave a user's documents and devices unchanged", async () => {
    const victim = await claimedUser("victim");
    await putDoc(victim, "notes", fernetBytes());
    await putDoc(victim, "notes", fernetBytes(), { "X-Device-Id": "dev-2" });
    const before = await snapshot(victim.user);
    const wrong = await tokenFor("attacker");
    const token = fc.constantFrom(victim.token, wrong, "", "x", `${victim.token}x`, victim.token.toLowerCase());
    const u = victim.user;
    const request = fc.record({
      method: fc.constantFrom("GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS"),
      path: fc.oneof(
        fc.constantFrom(
          `/v1/users/${u}`,
          `/v1/users/${u}/credential`,
          `/v1/users/${u}/docs`,
          `/v1/users/${u}/devices`,
          "/upload",
          "/download",
          "/devices",
        ),
        weirdSegment.map((s) => `/v1/users/${u}/docs/${s}`),
        weirdSegment.map((s) => `/v1/users/${u}/docs/notes/versions/${s}`),
        weirdSegment.map((s) => `/v1/users/${s}/docs/notes`),
        weirdSegment.map((s) => `/v1/users/${u}/devices/${s}`),
        weirdSegment.map((s) => `/legacy/${s}/download?username=${u}`),
        weirdSegment.map((s) => `/download?username=${s}`),
      ),
      token,
      asLegacy: fc.boolean(),
      ifMatch: fc.option(fc.constantFrom("*", '"1"', '"2"', "nope", '"0"', 'W/"x"', '"99999999999999"')),
      contentType: fc.option(
        fc.constantFrom("application/json", "application/octet-stream", "text/plain", "multipart/form-data"),
      ),
      body: fc.option(badBody),
    });
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        // Requests that could legitimately change state are not malformed: skip the few valid shapes.
        if (r.token === victim.token && r.method === "DELETE" && !r.path.includes("%") && !r.path.includes(".."))
          return;
        const path = r.asLegacy && !r.path.startsWith("/v1") ? `/legacy/${r.token}${r.path}` : r.path;
        const headers: Record<string, string> = { Authorization: `Bearer ${r.token}` };
        // A device named on a successful read is recorded, which is a legitimate change: only writes name one.
        if (r.method !== "GET" && r.method !== "HEAD") headers["X-Device-Id"] = "fuzz";
        if (r.ifMatch !== null) headers["If-Match"] = r.ifMatch;
        if (r.contentType !== null) headers["Content-Type"] = r.contentType;
        const canHaveBody = r.method !== "GET" && r.method !== "HEAD";
        const res = await call(path, {
          method: r.method,
          headers,
          ...(canHaveBody && r.body !== null ? { body: r.body } : {}),
        });
        await res.arrayBuffer();
        expect([r.method, path, res.status < 500]).toEqual([r.method, path, true]);
      }),
      { numRuns: 300, seed: 20261125 },
    );
    expect(await snapshot(victim.user)).toEqual(before);
  });
});
