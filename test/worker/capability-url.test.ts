/**
 * The capability URL (`/legacy/<token>`, the Python module's CLOUD_SYNC_URL) carries a token of its
 * own: it opens the Python-compatible routes of its account only, never `/v1`, names the account by its path,
 * and stops at once when rotated or revoked. URLs of the previous release (the routine token in the
 * path) keep working until the owner issues a capability URL, revokes, or replaces the credential.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { hashToken } from "../../worker/auth/token-hash.ts";
import { bearer, call, callWith, errorOf, postJson } from "./support/api.ts";
import { claimedUser, type TestUser } from "./support/docs.ts";
import { failing } from "./support/failing-bindings.ts";
import { previousReleaseAccount } from "./support/previous-release.ts";
import { encryptedDataOf, fernetBytes, tokenFor, uniqueUser } from "./support/tokens.ts";

const unauthorized = { status: 401, code: "unauthorized", message: "missing or invalid credentials" };

/** Issues capability token number `generation` for the user with the admin token; returns the token. */
async function issue(u: TestUser, generation: number): Promise<string> {
  const token = await tokenFor(`${u.user}:capability:${generation}`);
  const res = await call(`/v1/users/${u.user}/capability`, {
    method: "PUT",
    headers: { ...u.admin, "Content-Type": "application/json" },
    body: JSON.stringify({ token, generation }),
  });
  expect(res.status).toBe(204);
  return token;
}

/** The three seed requests, shaped as the Python module sends them; their statuses. */
async function seedStatuses(token: string, user: string): Promise<number[]> {
  const base = `/legacy/${token}`;
  const up = await postJson(`${base}/upload`, {
    username: user,
    device_id: "aaaa000011112222",
    encrypted_data: encryptedDataOf(fernetBytes()),
  });
  const down = await call(`${base}/download?username=${user}&device_id=aaaa000011112222`);
  const devices = await call(`${base}/devices?username=${user}`);
  await Promise.all([up.text(), down.text(), devices.text()]);
  return [up.status, down.status, devices.status];
}

describe("a capability URL", () => {
  it("opens the Python-compatible routes of its account and nothing of /v1", async () => {
    const u = await claimedUser("cap");
    const cap = await issue(u, 1);
    expect(await seedStatuses(cap, u.user)).toEqual([200, 200, 200]);
    for (const path of [`/v1/users/${u.user}`, `/v1/users/${u.user}/docs`, `/v1/users/${u.user}/docs/default`]) {
      expect([path, await errorOf(await call(path, { headers: bearer(cap) }))]).toEqual([path, unauthorized]);
    }
    expect(await errorOf(await call(`/download?username=${u.user}`, { headers: bearer(cap) }))).toEqual(unauthorized);
    const wipe = await call(`/v1/users/${u.user}`, { method: "DELETE", headers: bearer(cap) });
    expect(await errorOf(wipe)).toEqual(unauthorized);
  });

  it("names its account by its path: a request naming another user is refused", async () => {
    const u = await claimedUser("cap-owner");
    const other = await claimedUser("cap-other");
    const cap = await issue(u, 1);
    expect(await seedStatuses(cap, other.user)).toEqual([401, 401, 401]);
  });

  it("stops at once when a new one is issued, and the new one works", async () => {
    const u = await claimedUser("cap-rotate");
    const first = await issue(u, 1);
    const second = await issue(u, 2);
    expect(await seedStatuses(first, u.user)).toEqual([401, 401, 401]);
    expect(await seedStatuses(second, u.user)).toEqual([200, 200, 200]);
    // Even an index entry the rotation failed to remove opens nothing: the record names the new token.
    await env.BLOBS.put(`capabilities/${await hashToken(first)}`, JSON.stringify({ username: u.user }));
    expect(await seedStatuses(first, u.user)).toEqual([401, 401, 401]);
  });

  it("stops at once when revoked, and when the credential is replaced", async () => {
    const u = await claimedUser("cap-revoke");
    const cap = await issue(u, 1);
    expect((await call(`/v1/users/${u.user}/capability`, { method: "DELETE", headers: u.admin })).status).toBe(204);
    expect(await seedStatuses(cap, u.user)).toEqual([401, 401, 401]);
    const again = await issue(u, 2);
    const moved = await call(`/v1/users/${u.user}/credential`, {
      method: "PUT",
      headers: { ...u.admin, "Content-Type": "application/json" },
      body: JSON.stringify({ token: await tokenFor(`${u.user}:next`) }),
    });
    expect(moved.status).toBe(204);
    expect(await seedStatuses(again, u.user)).toEqual([401, 401, 401]);
  });

  it("is issued only with the admin token, and only as the next number", async () => {
    const u = await claimedUser("cap-admin");
    const token = await tokenFor("cap-admin-token");
    const byRoutine = await call(`/v1/users/${u.user}/capability`, {
      method: "PUT",
      headers: { ...u.auth, "Content-Type": "application/json" },
      body: JSON.stringify({ token, generation: 1 }),
    });
    expect(await errorOf(byRoutine)).toEqual(unauthorized);
    const skipped = await call(`/v1/users/${u.user}/capability`, {
      method: "PUT",
      headers: { ...u.admin, "Content-Type": "application/json" },
      body: JSON.stringify({ token, generation: 3 }),
    });
    expect(await errorOf(skipped)).toEqual({
      status: 412,
      code: "precondition_failed",
      message: "the next capability token is number 1, not 3",
    });
    const state = await call(`/v1/users/${u.user}/capability`, { headers: u.admin });
    expect(await state.json()).toEqual({ generation: 0, active: false, routine_url: true });
  });
});

describe("the Worker's logs", () => {
  it("never carry a capability token, whether the request succeeds or storage fails", async () => {
    const u = await claimedUser("cap-logs");
    const cap = await issue(u, 1);
    const logged: unknown[][] = [];
    for (const method of ["log", "info", "warn", "error", "debug"] as const)
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void logged.push(args));
    try {
      expect(await seedStatuses(cap, u.user)).toEqual([200, 200, 200]);
      const outage = await callWith(
        { BLOBS: failing(env.BLOBS, ["get", "head", "list", "put"]) },
        `/legacy/${cap}/download?username=${u.user}`,
      );
      expect(outage.status).toBe(503);
      await outage.text();
    } finally {
      vi.restoreAllMocks();
    }
    expect(logged.length).toBeGreaterThan(0);
    const text = logged.map((args) =>
      args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : String(a))).join(" "),
    );
    expect(text.filter((line) => line.includes(cap))).toEqual([]);
  });
});

describe("a capability URL of the previous release (the routine token in the path)", () => {
  it("keeps working for an account of the previous release until the owner issues a capability URL", async () => {
    const user = uniqueUser("upgraded");
    const routine = await tokenFor(user);
    await previousReleaseAccount(user, routine);
    expect(await seedStatuses(routine, user)).toEqual([200, 200, 200]);
    // The owner's client adopts an admin token, then issues the account's first capability URL.
    const adminToken = await tokenFor(`${user}:admin`);
    const adopt = await call(`/v1/users/${user}`, {
      headers: bearer(routine, { "X-Admin-Hash": await hashToken(adminToken) }),
    });
    expect(adopt.status).toBe(200);
    const cap = await issue({ user, token: routine, auth: bearer(routine), adminToken, admin: bearer(adminToken) }, 1);
    expect(await seedStatuses(routine, user)).toEqual([401, 401, 401]);
    expect(await seedStatuses(cap, user)).toEqual([200, 200, 200]);
  });

  it("closes for good when revoked, even with no capability URL issued", async () => {
    const u = await claimedUser("routine-url");
    expect(await seedStatuses(u.token, u.user)).toEqual([200, 200, 200]);
    expect((await call(`/v1/users/${u.user}/capability`, { method: "DELETE", headers: u.admin })).status).toBe(204);
    expect(await seedStatuses(u.token, u.user)).toEqual([401, 401, 401]);
    expect((await call(`/v1/users/${u.user}/docs/default`, { headers: u.auth })).status).toBe(200);
  });
});
