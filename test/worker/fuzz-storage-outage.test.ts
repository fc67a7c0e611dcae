/**
 * Storage outages at every point of every route: R2, KV or both start failing at the k-th binding
 * call of a request (as a platform outage that begins mid-request) and stay down. Each answer is a
 * success or a 503 `unavailable` with Retry-After, never another 5xx; a refused write leaves no
 * partial state (a failed first upload may leave only the name claimed by the same token, and a
 * failed account deletion is finished by retrying it). failures.test.ts has the single cases.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { hashToken } from "../../worker/auth/token-hash.ts";
import { bearer, call, callWith } from "./support/api.ts";
import { claimedUser, putDoc, type TestUser } from "./support/docs.ts";
import { failing } from "./support/failing-bindings.ts";
import { SOAK } from "./support/soak-mode.ts";
import { storageSnapshot } from "./support/storage-snapshot.ts";
import { encryptedDataOf, fernetBytes, tokenFor, uniqueUser } from "./support/tokens.ts";

const RUNS = SOAK ? 600 : 150;
const R2_METHODS = ["get", "head", "put", "list", "delete"] as const;
const KV_METHODS = ["get", "getWithMetadata", "put", "list", "delete"] as const;

type Kind = "write" | "claim" | "account-delete" | "read";

interface RouteCase {
  name: string;
  kind: Kind;
  request: (u: TestUser, fresh: { user: string; token: string }) => [string, RequestInit];
}

const json = (value: unknown): RequestInit => ({
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify(value),
});
const withAuth = (u: TestUser, init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: { ...u.auth, "X-Device-Id": "d1", ...(init.headers as Record<string, string>) },
});

/** As withAuth, with the admin token: the routes that change credentials or remove things. */
const withAdmin = (u: TestUser, init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: { ...u.admin, "X-Device-Id": "d1", ...(init.headers as Record<string, string>) },
});

const ROUTES: RouteCase[] = [
  {
    name: "document write",
    kind: "write",
    request: (u) => [`/v1/users/${u.user}/docs/notes`, withAuth(u, { method: "PUT", body: fernetBytes() })],
  },
  {
    name: "new document",
    kind: "write",
    request: (u) => [`/v1/users/${u.user}/docs/fresh`, withAuth(u, { method: "PUT", body: fernetBytes() })],
  },
  {
    name: "legacy upload",
    kind: "write",
    request: (u) => [
      `/legacy/${u.token}/upload`,
      {
        method: "POST",
        ...json({ username: u.user, device_id: "d1", encrypted_data: encryptedDataOf(fernetBytes()) }),
      },
    ],
  },
  {
    name: "change",
    kind: "write",
    request: (u) => [
      `/v1/users/${u.user}/docs/notes/changes`,
      withAuth(u, { method: "POST", headers: { "X-Sync-Version": "4" }, body: fernetBytes() }),
    ],
  },
  {
    name: "snapshot",
    kind: "write",
    request: (u) => [`/v1/users/${u.user}/docs/notes/snapshots/3`, withAuth(u, { method: "PUT", body: fernetBytes() })],
  },
  {
    name: "document delete",
    kind: "write",
    request: (u) => [`/v1/users/${u.user}/docs/notes`, withAuth(u, { method: "DELETE" })],
  },
  {
    name: "device rename",
    kind: "write",
    request: (u) => [
      `/v1/users/${u.user}/devices/phone`,
      withAuth(u, {
        method: "PUT",
        ...json({ name: "renamed", platform: "ios" }),
        headers: { ...u.auth, "Content-Type": "application/json" },
      }),
    ],
  },
  {
    name: "device removal",
    kind: "write",
    request: (u) => [`/v1/users/${u.user}/devices/phone`, withAdmin(u, { method: "DELETE" })],
  },
  {
    name: "credential",
    kind: "write",
    request: (u, f) => [
      `/v1/users/${u.user}/credential`,
      { method: "PUT", ...json({ token: f.token }), headers: { ...u.admin, "Content-Type": "application/json" } },
    ],
  },
  {
    name: "claim",
    kind: "claim",
    request: (_, f) => [`/v1/users/${f.user}`, { method: "PUT", headers: bearer(f.token) }],
  },
  {
    name: "claim by upload",
    kind: "claim",
    request: (_, f) => [
      `/v1/users/${f.user}/docs/notes`,
      { method: "PUT", headers: bearer(f.token, { "X-Device-Id": "d1" }), body: fernetBytes() },
    ],
  },
  {
    name: "account deletion",
    kind: "account-delete",
    request: (u) => [`/v1/users/${u.user}`, withAdmin(u, { method: "DELETE" })],
  },
  ...[
    "",
    "/docs",
    "/docs/default",
    "/docs/notes/versions",
    "/docs/notes/versions/1",
    "/devices",
    "/changes?after=0",
  ].map(
    (path): RouteCase => ({
      name: `read ${path || "account"}`,
      kind: "read",
      request: (u) => [`/v1/users/${u.user}${path}`, withAuth(u)],
    }),
  ),
  {
    name: "legacy download",
    kind: "read",
    request: (u) => [`/legacy/${u.token}/download?username=${u.user}&device_id=d2`, {}],
  },
];

async function populated(): Promise<TestUser> {
  const u = await claimedUser("outage");
  await putDoc(u, "notes");
  await putDoc(u, "notes");
  // Version 3 a change, so the document reads through the feed and a snapshot of 3 may be stored.
  await call(
    `/v1/users/${u.user}/docs/notes/changes`,
    withAuth(u, { method: "POST", headers: { "X-Sync-Version": "3" }, body: fernetBytes() }),
  );
  await call(
    `/v1/users/${u.user}/devices/phone`,
    withAuth(u, {
      method: "PUT",
      ...json({ name: "phone", platform: "ios" }),
      headers: { ...u.auth, "Content-Type": "application/json" },
    }),
  );
  await call(`/legacy/${u.token}/upload`, {
    method: "POST",
    ...json({ username: u.user, device_id: "d1", encrypted_data: encryptedDataOf(fernetBytes()) }),
  });
  return u;
}

const outageArb = fc.record({
  route: fc.constantFrom(...ROUTES),
  /** The first failing call of the request (0: from the start). */
  from: fc.nat(7),
  bindings: fc.constantFrom({ r2: true, kv: false }, { r2: false, kv: true }, { r2: true, kv: true }),
  methods: fc.oneof(
    fc.constant([...R2_METHODS, ...KV_METHODS]),
    fc.subarray([...R2_METHODS, ...KV_METHODS], { minLength: 1 }),
  ),
});

describe("storage failing at any point of any request", () => {
  it(
    "answers success or 503 with Retry-After, never another 5xx, and leaves no partial write",
    async () => {
      // The Worker logs each storage failure for its operator: hundreds of lines here, all expected.
      vi.spyOn(console, "error").mockImplementation(() => undefined);
      let refused = 0;
      await fc.assert(
        fc.asyncProperty(outageArb, async ({ route, from, bindings: { r2, kv }, methods }) => {
          const u = await populated();
          const fresh = { user: uniqueUser("claim"), token: await tokenFor(uniqueUser("fresh")) };
          let calls = 0;
          const down = () => calls++ >= from;
          const overrides = {
            ...(r2
              ? {
                  BLOBS: failing(
                    env.BLOBS,
                    methods.filter((m) => (R2_METHODS as readonly string[]).includes(m)),
                    down,
                  ),
                }
              : {}),
            ...(kv
              ? {
                  DEVICES: failing(
                    env.DEVICES,
                    methods.filter((m) => (KV_METHODS as readonly string[]).includes(m)),
                    down,
                  ),
                }
              : {}),
          };
          const users = [u.user, fresh.user];
          const before = await storageSnapshot(users);
          const [path, init] = route.request(u, fresh);
          const res = await callWith(overrides, path, init);
          const text = res.headers.get("Content-Type")?.startsWith("application/json")
            ? await res.text()
            : `${(await res.arrayBuffer()).byteLength} bytes`;
          const seen = { route: route.name, from, r2, kv, methods, status: res.status, body: text.slice(0, 160) };
          expect(res.status < 300 || res.status === 503 ? "ok" : seen).toBe("ok");
          if (res.status !== 503) return;

          refused++;
          expect(res.headers.get("Retry-After")).toMatch(/^\d+$/);
          expect(JSON.parse(text)).toMatchObject({ error: { code: "unavailable", message: expect.any(String) } });
          const after = await storageSnapshot(users);
          if (route.kind === "account-delete") {
            // Resumable, not atomic: the record goes last, so the owner can always finish the job.
            expect(await env.BLOBS.head(`users/${u.user}/account.json`)).not.toBeNull();
            expect((await call(path, withAdmin(u, { method: "DELETE" }))).status).toBe(204);
            expect(await storageSnapshot([u.user])).toEqual([]);
          } else if (route.kind === "claim" && after.length === before.length + 1) {
            // The only thing a refused first write may leave: the name, claimed by the same token.
            const record = (await (await env.BLOBS.get(`users/${fresh.user}/account.json`))?.json()) as
              | { token_hash?: string }
              | undefined;
            expect(record?.token_hash).toBe(await hashToken(fresh.token));
            expect(after.filter((line) => !line.includes(`users/${fresh.user}/account.json`))).toEqual(before);
          } else {
            expect(after).toEqual(before);
          }
        }),
        { numRuns: RUNS, seed: 0x0_07a6e, endOnFailure: true },
      );
      // Outages did refuse requests, not only miss them.
      expect(refused).toBeGreaterThan(RUNS / 4);
      vi.restoreAllMocks();
    },
    SOAK ? 600_000 : 120_000,
  );
});
