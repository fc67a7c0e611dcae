/**
 * Hostile input on every route: thousands of generated requests, each malformed in at least one
 * way (wrong method; missing, wrong, other user's or mangled credentials; names with path tricks,
 * control and non-ASCII characters, or too long; missing, duplicated and mistyped fields; invalid
 * hex; broken and truncated Fernet tokens; empty and oversized bodies; bad header values). Every
 * answer is a 4xx with the JSON error shape, and storage is byte-identical afterwards. Bounded in
 * `npm test`, four times longer under SOAK=1 (`npm run test:soak`); the seed is fixed and printed on
 * failure. The lighter sweep that predates this one is fuzz.test.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEVICE_ID_PATTERN, DOC_NAME_PATTERN, USERNAME_PATTERN } from "../../worker/schemas/names.ts";
import { call, callWith, postJson } from "./support/api.ts";
import { claimedUser, putDoc, type TestUser } from "./support/docs.ts";
import { SOAK } from "./support/soak-mode.ts";
import { storageSnapshot } from "./support/storage-snapshot.ts";
import { encryptedDataOf, fernetBytes } from "./support/tokens.ts";

const RUNS = SOAK ? 10_000 : 2_500;
const SEED = 0xf022_0ed;

interface Attempt {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array | string;
  /** Sent with MAX_BODY_BYTES lowered, so "huge" bodies stay cheap. */
  smallLimit?: boolean;
  /** What makes it malformed, for the failure message. */
  why: string;
}

const bytes = (text: string) => new TextEncoder().encode(text);
const json = (value: unknown) => JSON.stringify(value);

/** Names that fail their pattern (checked, not assumed), never a pure dot segment (URL parsers resolve those). */
function badName(pattern: RegExp): fc.Arbitrary<string> {
  const tricks = [
    "",
    " ",
    "a b",
    "-x",
    ".x",
    "_x",
    "x..y",
    "a/b",
    "a\\b",
    "a%2fb",
    "..%2f",
    "%2e%2e%2f",
    "名前",
    "é",
    "\u0000",
    "\u001f",
    "\u007f",
    "\u202eevil",
    "a\nb",
    "a?b",
    "a#b",
    "%",
    "x".repeat(65),
    "X".repeat(300),
    "Notes",
    "a;b",
    "a'b",
    'a"b',
    "<script>",
  ];
  return fc
    .oneof(fc.constantFrom(...tricks), fc.string({ unit: "binary", maxLength: 70 }))
    .filter((s) => !pattern.test(s) && !/^(\.|%2e){1,2}$/i.test(s));
}

function setup(v: TestUser, o: TestUser) {
  const u = v.user;
  const withDevice = (headers: Record<string, string>) => ({ ...headers, "X-Device-Id": "fuzzer" });
  const validUpload = { username: u, device_id: "fuzzer", encrypted_data: encryptedDataOf(fernetBytes()) };

  // Credentials that must never open V's data.
  const flip = (t: string) => t.slice(0, 20) + (t[20] === "A" ? "B" : "A") + t.slice(21);
  const wrongTokens = fc.constantFrom(
    "",
    "x",
    o.token,
    v.token.slice(0, 42),
    `${v.token}A`,
    flip(v.token),
    v.token.toUpperCase(),
    `${v.token} ${v.token}`,
    "~".repeat(43),
    "%2e%2e",
    "a".repeat(4096),
    `${v.token.slice(0, 42)}=`,
  );
  const authHeader = fc.oneof(
    wrongTokens.map((t) => ({ Authorization: `Bearer ${t}` })),
    fc.constantFrom(
      {},
      { Authorization: v.token },
      { Authorization: `Basic ${v.token}` },
      { Authorization: `Bearer ${o.token}, Bearer ${v.token}` },
    ),
    fc.constantFrom(
      { Authorization: `Bearer\t${v.token}` },
      { Authorization: `Bearer  ${v.token}x` },
      { Authorization: "Bearer" },
    ),
  );

  // Every route of V with a body that would be accepted from V: only the credential is wrong.
  const routes: Array<{ method: string; path: string; body?: string | Uint8Array; json?: boolean }> = [
    { method: "GET", path: `/v1/users/${u}` },
    { method: "PUT", path: `/v1/users/${u}` },
    { method: "DELETE", path: `/v1/users/${u}` },
    { method: "PUT", path: `/v1/users/${u}/credential`, body: json({ token: o.token }), json: true },
    { method: "GET", path: `/v1/users/${u}/docs` },
    { method: "GET", path: `/v1/users/${u}/docs/notes` },
    { method: "PUT", path: `/v1/users/${u}/docs/notes`, body: fernetBytes() },
    { method: "DELETE", path: `/v1/users/${u}/docs/notes` },
    { method: "GET", path: `/v1/users/${u}/docs/notes/versions` },
    { method: "GET", path: `/v1/users/${u}/docs/notes/versions/1` },
    { method: "GET", path: `/v1/users/${u}/devices` },
    { method: "PUT", path: `/v1/users/${u}/devices/phone`, body: json({ name: "stolen", platform: "x" }), json: true },
    { method: "DELETE", path: `/v1/users/${u}/devices/phone` },
    { method: "GET", path: `/v1/users/${u}/live` },
    { method: "POST", path: "/upload", body: json(validUpload), json: true },
    { method: "GET", path: `/download?username=${u}&device_id=fuzzer` },
    { method: "GET", path: `/devices?username=${u}` },
  ];
  const legacyRoutes = routes.filter((r) => !r.path.startsWith("/v1"));

  const badAuth: fc.Arbitrary<Attempt> = fc.oneof(
    fc.tuple(fc.constantFrom(...routes), authHeader).map(([r, auth]) => ({
      method: r.method,
      path: r.path,
      headers: withDevice({ ...auth, ...(r.json ? { "Content-Type": "application/json" } : {}) }),
      ...(r.body === undefined ? {} : { body: r.body }),
      why: `credential ${JSON.stringify(auth).slice(0, 60)}`,
    })),
    // Capability URLs with a wrong token, or V's token for O's name.
    fc.tuple(fc.constantFrom(...legacyRoutes), wrongTokens).map(([r, t]) => ({
      method: r.method,
      path: `/legacy/${encodeURIComponent(t)}${r.path}`,
      headers: r.json ? { "Content-Type": "application/json" } : {},
      ...(r.body === undefined ? {} : { body: r.body }),
      why: "capability URL with a wrong token",
    })),
    fc.constantFrom<Attempt>(
      {
        method: "GET",
        path: `/legacy/${v.token}/download?username=${o.user}`,
        headers: {},
        why: "V's capability for O",
      },
      {
        method: "GET",
        path: `/legacy/${v.token}/devices?username=${o.user}`,
        headers: {},
        why: "V's capability for O",
      },
      {
        method: "POST",
        path: `/legacy/${v.token}/upload`,
        headers: { "Content-Type": "application/json" },
        body: json({ ...validUpload, username: o.user }),
        why: "V's capability writes O",
      },
      {
        method: "GET",
        path: `/v1/users/${u}/docs/notes/`,
        headers: { Authorization: `Bearer ${o.token}` },
        why: "trailing slash, O's token",
      },
    ),
  );

  const auth = { Authorization: `Bearer ${v.token}` };
  const cap = `/legacy/${v.token}`;
  // V's own credential and a name that breaks its pattern, in every position a name takes.
  const badNames: fc.Arbitrary<Attempt> = fc.oneof(
    badName(USERNAME_PATTERN).map((n) => ({
      method: "PUT",
      path: `/v1/users/${encodeURIComponent(n)}/docs/notes`,
      headers: withDevice(auth),
      body: fernetBytes(),
      why: `username ${JSON.stringify(n)}`,
    })),
    badName(USERNAME_PATTERN).map((n) => ({
      method: "PUT",
      path: `/v1/users/${encodeURIComponent(n)}`,
      headers: auth,
      why: `username ${JSON.stringify(n)}`,
    })),
    badName(DOC_NAME_PATTERN).map((n) => ({
      method: "PUT",
      path: `/v1/users/${u}/docs/${encodeURIComponent(n)}`,
      headers: withDevice(auth),
      body: fernetBytes(),
      why: `doc ${JSON.stringify(n)}`,
    })),
    badName(DOC_NAME_PATTERN).map((n) => ({
      method: "DELETE",
      path: `/v1/users/${u}/docs/${encodeURIComponent(n)}`,
      headers: auth,
      why: `doc ${JSON.stringify(n)}`,
    })),
    badName(DOC_NAME_PATTERN).map((n) => ({
      method: "GET",
      path: `/v1/users/${u}/docs/${encodeURIComponent(n)}/versions/1`,
      headers: auth,
      why: `doc ${JSON.stringify(n)}`,
    })),
    badName(DEVICE_ID_PATTERN).map((n) => ({
      method: "PUT",
      path: `/v1/users/${u}/devices/${encodeURIComponent(n)}`,
      headers: { ...auth, "Content-Type": "application/json" },
      body: json({ name: "n", platform: "p" }),
      why: `device ${JSON.stringify(n)}`,
    })),
    badName(DEVICE_ID_PATTERN).map((n) => ({
      method: "DELETE",
      path: `/v1/users/${u}/devices/${encodeURIComponent(n)}`,
      headers: auth,
      why: `device ${JSON.stringify(n)}`,
    })),
    fc.constantFrom("0", "01", "-1", "1.5", "1e3", "9999999999999", "abc", "%20", "1%00").map((n) => ({
      method: "GET",
      path: `/v1/users/${u}/docs/notes/versions/${n}`,
      headers: auth,
      why: `version ${n}`,
    })),
    badName(DEVICE_ID_PATTERN)
      .map((n) => ({
        method: "PUT",
        path: `/v1/users/${u}/docs/notes`,
        headers: { ...auth, "X-Device-Id": n.replace(/[^\x20-\x7e]/g, "") || " " },
        body: fernetBytes(),
        why: `X-Device-Id ${JSON.stringify(n)}`,
      }))
      .filter((a) => !DEVICE_ID_PATTERN.test(a.headers["X-Device-Id"]!)),
    badName(DEVICE_ID_PATTERN).map((n) => ({
      method: "POST",
      path: `${cap}/upload`,
      headers: { "Content-Type": "application/json" },
      body: json({ ...validUpload, device_id: n }),
      why: `legacy device_id ${JSON.stringify(n)}`,
    })),
    badName(USERNAME_PATTERN).map((n) => ({
      method: "POST",
      path: `${cap}/upload`,
      headers: { "Content-Type": "application/json" },
      body: json({ ...validUpload, username: n }),
      why: `legacy username ${JSON.stringify(n)}`,
    })),
    badName(USERNAME_PATTERN).map((n) => ({
      method: "GET",
      path: `${cap}/download?username=${encodeURIComponent(n)}`,
      headers: {},
      why: `legacy query username ${JSON.stringify(n)}`,
    })),
    badName(DEVICE_ID_PATTERN).map((n) => ({
      method: "GET",
      path: `${cap}/download?username=${u}&device_id=${encodeURIComponent(n)}`,
      headers: {},
      why: `legacy query device_id ${JSON.stringify(n)}`,
    })),
  );

  // Dot segments climb to O's paths (where V's token is wrong), encoded slashes stay inside a name.
  const tricks = fc.constantFrom<Attempt>(
    ...["GET", "DELETE"].map((method) => ({
      method,
      path: `/v1/users/${u}/docs/%2e%2e/%2e%2e/${o.user}/docs/notes`,
      headers: auth,
      why: "dots climb to O",
    })),
    {
      method: "PUT",
      path: `/v1/users/${u}/docs/%2e%2e/%2e%2e/${o.user}/docs/notes`,
      headers: withDevice(auth),
      body: fernetBytes(),
      why: "dots climb to O",
    },
    { method: "DELETE", path: `/v1/users/${u}/%2E%2E/${o.user}`, headers: auth, why: "dots climb to O's account" },
    {
      method: "GET",
      path: `/v1/users/${u}/docs/notes/versions/..%2f..%2f..%2f..%2f${o.user}%2fdocs%2fnotes`,
      headers: auth,
      why: "encoded slashes",
    },
    {
      method: "GET",
      path: `/v1/users/${o.user}%2f..%2f${u}/docs/notes`,
      headers: auth,
      why: "encoded slashes in the username",
    },
    { method: "GET", path: `//v1/users/${u}/docs/notes`, headers: auth, why: "double slash" },
    { method: "GET", path: `/v1/users/${u}/docs/notes%00`, headers: auth, why: "NUL" },
    { method: "GET", path: `/V1/users/${u}/docs/notes`, headers: auth, why: "upper-case prefix" },
    { method: "GET", path: `${cap}/..%2fdownload?username=${u}`, headers: {}, why: "encoded slash in the legacy path" },
    {
      method: "GET",
      path: `/legacy/${v.token}/%2e%2e/%2e%2e/v1/users/${o.user}/docs/notes`,
      headers: {},
      why: "dots from a capability URL to O",
    },
    {
      method: "GET",
      path: `/legacy/${v.token}%2fdownload?username=${u}`,
      headers: {},
      why: "encoded slash after the token",
    },
  );

  // V's credential, a route that writes, and a body or header no such request may have.
  const tokenBodies = fc.oneof(
    fc.constant(new Uint8Array(0)),
    fc.uint8Array({ minLength: 1, maxLength: 400 }).filter((b) => b[0] !== 0x80),
    fc
      .integer({ min: 1, max: 184 })
      .filter((n) => n < 73 || (n - 57) % 16 !== 0)
      .map((n) => fernetBytes(8).slice(0, n)),
    fc.constant(bytes(encryptedDataOf(fernetBytes()))),
    fc.constant(bytes(json(validUpload))),
  );
  const hex = encryptedDataOf(fernetBytes());
  const b64 = new TextDecoder().decode(Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16))));
  const toHex = (text: string) => [...bytes(text)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const badEncrypted = fc.constantFrom<unknown>(
    "",
    "zz",
    hex.slice(1),
    `${hex}0`,
    hex.toUpperCase().replace(/^../, "GG"),
    toHex(b64.slice(0, -4)),
    toHex(b64.replace(/=+$/, "")),
    toHex(b64.replace(/^./, "A")),
    toHex(`${b64} `),
    toHex(b64.replaceAll("-", "+")),
    toHex("not base64 at all!"),
    toHex(" ".repeat(100)),
    12,
    null,
    true,
    [hex],
    { hex },
    toHex(b64).repeat(2),
  );
  const uploadBodies = fc.oneof(
    badEncrypted.map((e) => json({ ...validUpload, encrypted_data: e })),
    fc.constantFrom("username", "device_id", "encrypted_data").map((k) => json({ ...validUpload, [k]: undefined })),
    fc
      .constantFrom<unknown>(12, null, ["x"], { a: 1 }, true)
      .chain((bad) => fc.constantFrom("username", "device_id").map((k) => json({ ...validUpload, [k]: bad }))),
    fc.constant(
      `{"username":"${u}","username":"${o.user}","device_id":"fuzzer","encrypted_data":"${validUpload.encrypted_data}"}`,
    ),
    fc.constantFrom("", "null", "[]", "{", "{}", '"text"', '{"username":', "\u0000", json([validUpload])),
  );
  const deviceBodies = fc.constantFrom(
    "",
    "{}",
    "[]",
    "null",
    json({ name: "n" }),
    json({ platform: "p" }),
    json({ name: "", platform: "p" }),
    json({ name: "a\nb", platform: "p" }),
    json({ name: "x".repeat(65), platform: "p" }),
    json({ name: "n", platform: "p".repeat(33) }),
    json({ name: 5, platform: "p" }),
    '{"name":',
  );
  const credentialBodies = fc.constantFrom(
    "",
    "{}",
    "null",
    json({ token: "" }),
    json({ token: o.token.slice(0, 42) }),
    json({ token: `${o.token}A` }),
    json({ token: "é".repeat(43) }),
    json({ token: 43 }),
    json({ token: [o.token] }),
    json({ token: "+".repeat(43) }),
    '{"token":',
  );
  const badIfMatch = fc.constantFrom("nope", '"0"', 'W/"x"', '"99999999999999"', '"1', "1", '"1", "2"', '""', '"-1"');
  const badBodies: fc.Arbitrary<Attempt> = fc.oneof(
    tokenBodies.map((body) => ({
      method: "PUT",
      path: `/v1/users/${u}/docs/notes`,
      headers: withDevice(auth),
      body,
      why: "document body is not a token",
    })),
    tokenBodies.map((body) => ({
      method: "PUT",
      path: `/v1/users/${u}/docs/fresh`,
      headers: withDevice(auth),
      body,
      why: "new document's body is not a token",
    })),
    fc.constant({
      method: "PUT",
      path: `/v1/users/${u}/docs/notes`,
      headers: auth,
      body: fernetBytes(),
      why: "no X-Device-Id",
    }),
    badIfMatch.map((m) => ({
      method: "PUT",
      path: `/v1/users/${u}/docs/notes`,
      headers: withDevice({ ...auth, "If-Match": m }),
      body: fernetBytes(),
      why: `If-Match ${m}`,
    })),
    fc.constantFrom('"1"', '"9"').map((m) => ({
      method: "PUT",
      path: `/v1/users/${u}/docs/notes`,
      headers: withDevice({ ...auth, "If-Match": m }),
      body: fernetBytes(),
      why: `stale If-Match ${m}`,
    })),
    fc.constantFrom('"2"', "nope", '"*"').map((m) => ({
      method: "PUT",
      path: `/v1/users/${u}/docs/notes`,
      headers: withDevice({ ...auth, "If-None-Match": m }),
      body: fernetBytes(),
      why: `If-None-Match ${m}`,
    })),
    fc.constant({
      method: "PUT",
      path: `/v1/users/${u}/docs/notes`,
      headers: withDevice({ ...auth, "If-None-Match": "*" }),
      body: fernetBytes(),
      why: "create-only on an existing document",
    }),
    badIfMatch.map((m) => ({
      method: "DELETE",
      path: `/v1/users/${u}/docs/notes`,
      headers: { ...auth, "If-Match": m },
      why: `delete with If-Match ${m}`,
    })),
    badIfMatch.map((m) => ({
      method: "GET",
      path: `/v1/users/${u}/docs/notes`,
      headers: { ...auth, "If-None-Match": m },
      why: `read with If-None-Match ${m}`,
    })),
    fc.constantFrom("0", "-1", "1.5", "nope", "9", "1").map((n) => ({
      method: "PUT",
      path: `/v1/users/${u}/docs/notes`,
      headers: withDevice({ ...auth, "X-Sync-Version": n }),
      body: fernetBytes(),
      why: `X-Sync-Version ${n}, not the next number`,
    })),
    fc.constantFrom(
      {
        method: "POST",
        path: `/v1/users/${u}/docs/notes/versions/1/restore`,
        headers: withDevice(auth),
        why: "the server-side restore, which no longer exists",
      },
      {
        method: "GET",
        path: `/v1/users/${u}/docs/notes/versions/99`,
        headers: auth,
        why: "read of a missing version",
      },
      {
        method: "DELETE",
        path: `/v1/users/${u}/devices/never-seen`,
        headers: auth,
        why: "removal of an unknown device",
      },
      { method: "DELETE", path: `/v1/users/${u}/docs/none`, headers: auth, why: "deletion of a missing document" },
    ),
    uploadBodies.map((body) => ({
      method: "POST",
      path: `${cap}/upload`,
      headers: { "Content-Type": "application/json" },
      body,
      why: `legacy upload ${body.slice(0, 80)}`,
    })),
    uploadBodies.map((body) => ({
      method: "POST",
      path: "/upload",
      headers: { ...auth, "Content-Type": "application/json" },
      body,
      why: `legacy upload ${body.slice(0, 80)}`,
    })),
    fc
      .constantFrom("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x")
      .map((type) => ({
        method: "POST",
        path: `${cap}/upload`,
        headers: { "Content-Type": type },
        body: `username=${u}&device_id=fuzzer&encrypted_data=${hex}`,
        why: `legacy upload as ${type}`,
      })),
    deviceBodies.map((body) => ({
      method: "PUT",
      path: `/v1/users/${u}/devices/phone`,
      headers: { ...auth, "Content-Type": "application/json" },
      body,
      why: `device body ${body.slice(0, 60)}`,
    })),
    credentialBodies.map((body) => ({
      method: "PUT",
      path: `/v1/users/${u}/credential`,
      headers: { ...auth, "Content-Type": "application/json" },
      body,
      why: `credential body ${body.slice(0, 60)}`,
    })),
    // Past MAX_BODY_BYTES (lowered to 64 KiB for these): token-shaped, so only the size is wrong.
    fc.integer({ min: 4097, max: 16384 }).map((blocks) => ({
      method: "PUT",
      path: `/v1/users/${u}/docs/notes`,
      headers: withDevice(auth),
      body: fernetBytes(blocks),
      smallLimit: true,
      why: "body over the limit",
    })),
    fc.integer({ min: 70_000, max: 200_000 }).map((n) => ({
      method: "POST",
      path: `${cap}/upload`,
      headers: { "Content-Type": "application/json" },
      body: json({ ...validUpload, encrypted_data: "0".repeat(n) }),
      smallLimit: true,
      why: "legacy upload over the limit",
    })),
  );

  // V's credential on a real path with a method it does not serve.
  const wrongMethods: fc.Arbitrary<Attempt> = fc.constantFrom<Attempt>(
    ...routes.flatMap((r) => {
      const path = r.path.startsWith("/v1") ? r.path : `${cap}${r.path}`;
      const served = new Set(routes.filter((x) => x.path === r.path).map((x) => x.method));
      return ["GET", "PUT", "POST", "DELETE", "PATCH"]
        .filter((m) => !served.has(m))
        .map((method) => ({ method, path, headers: auth, why: `${method} not served` }));
    }),
  );

  const queries = fc.constantFrom<Attempt>(
    ...[
      `${cap}/download`,
      `${cap}/download?username=`,
      `${cap}/download?user=${u}`,
      `${cap}/download?username[]=${u}`,
      `${cap}/devices?username=${o.user}&username=%00`,
      `${cap}/download?username=${o.user}&username=x`,
      `${cap}/devices`,
      `${cap}/download?username=${u}&device_id=`,
      `${cap}/download?username=%E0%A4%A`,
    ].map((path) => ({ method: "GET", path, headers: {}, why: "legacy query" })),
  );

  return fc.oneof(badAuth, badNames, tricks, badBodies, wrongMethods, queries);
}

let address = 0;

async function send(a: Attempt): Promise<Response> {
  // Each request from its own address: failed authentications are counted per address, and a
  // blocked address would answer 429 to everything after it (tested in failures.test.ts).
  address += 1;
  const headers = {
    ...a.headers,
    "CF-Connecting-IP": `10.${(address >> 16) & 255}.${(address >> 8) & 255}.${address & 255}`,
  };
  const init: RequestInit = { method: a.method, headers, ...(a.body === undefined ? {} : { body: a.body }) };
  return a.smallLimit === true ? callWith({ MAX_BODY_BYTES: String(64 * 1024) }, a.path, init) : call(a.path, init);
}

describe("thousands of malformed requests", () => {
  it(
    "each get a 4xx with the JSON error shape and leave storage byte-identical",
    async () => {
      const victim = await claimedUser("victim");
      const other = await claimedUser("other");
      await putDoc(victim, "notes");
      await putDoc(victim, "notes");
      await putDoc(other, "notes");
      await postJson(`/legacy/${victim.token}/upload`, {
        username: victim.user,
        device_id: "seed-device",
        encrypted_data: encryptedDataOf(fernetBytes()),
      });
      await call(`/v1/users/${victim.user}/devices/phone`, {
        method: "PUT",
        headers: { ...victim.auth, "Content-Type": "application/json" },
        body: JSON.stringify({ name: "phone", platform: "ios" }),
      });
      const before = await storageSnapshot();
      expect(before.length).toBeGreaterThan(5);
      const statuses = new Map<number, number>();

      await fc.assert(
        fc.asyncProperty(setup(victim, other), async (a) => {
          const res = await send(a);
          const text = await res.text();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const seen = {
            method: a.method,
            path: a.path.slice(0, 200),
            why: a.why,
            status: res.status,
            body: text.slice(0, 200),
          };
          expect(res.status >= 400 && res.status < 500 ? "4xx" : seen).toBe("4xx");
          expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
          const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
          expect(Object.keys(body)).toEqual(["error"]);
          expect(Object.keys(body.error ?? {}).sort()).toEqual(["code", "message"]);
          expect(body.error?.code).toMatch(/^[a-z_]+$/);
          expect(typeof body.error?.message).toBe("string");
          if (res.status === 405) expect(res.headers.get("Allow")).toMatch(/^[A-Z, ]+$/);
          if (res.status === 429) expect(res.headers.get("Retry-After")).toMatch(/^\d+$/);
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );

      expect(await storageSnapshot()).toEqual(before);
      // The sweep reached authentication, validation, routing and body checks alike.
      for (const status of [400, 401, 404, 405, 412, 413])
        expect([status, (statuses.get(status) ?? 0) > 0]).toEqual([status, true]);
    },
    Math.max(120_000, RUNS * 60),
  );
});
