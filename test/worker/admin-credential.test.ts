/**
 * The admin credential: the routine token (the one every sync sends, and the previous release put
 * in capability URLs) cannot replace credentials, delete the account or remove devices; only the
 * admin token, whose hash the claim stored, can. An account of the previous release takes the
 * first admin hash a routine request offers, once.
 */
import { describe, expect, it } from "vitest";
import { hashToken } from "../../worker/auth/token-hash.ts";
import { bearer, call, errorOf } from "./support/api.ts";
import { claimedUser, putDoc } from "./support/docs.ts";
import { previousReleaseAccount } from "./support/previous-release.ts";
import { storageSnapshot } from "./support/storage-snapshot.ts";
import { tokenFor, uniqueUser } from "./support/tokens.ts";

const unauthorized = { status: 401, code: "unauthorized", message: "missing or invalid credentials" };
const json = { "Content-Type": "application/json" };

describe("a stolen routine token", () => {
  it("cannot set a credential, delete the account or remove a device, and changes nothing", async () => {
    const owner = await claimedUser("admin");
    await putDoc(owner, "notes", undefined, { "X-Device-Id": "laptop" });
    const before = await storageSnapshot([owner.user]);
    const attempts: Array<[string, string, RequestInit]> = [
      [
        "PUT",
        `/v1/users/${owner.user}/credential`,
        { headers: { ...owner.auth, ...json }, body: JSON.stringify({ token: await tokenFor("thief") }) },
      ],
      ["DELETE", `/v1/users/${owner.user}`, { headers: owner.auth }],
      ["DELETE", `/v1/users/${owner.user}/devices/laptop`, { headers: owner.auth }],
    ];
    for (const [method, path, init] of attempts) {
      expect([method, path, await errorOf(await call(path, { method, ...init }))]).toEqual([
        method,
        path,
        unauthorized,
      ]);
    }
    expect(await storageSnapshot([owner.user])).toEqual(before);
    // The owner's routine token still works, and the admin token does what the thief could not.
    expect((await call(`/v1/users/${owner.user}/docs/notes`, { headers: owner.auth })).status).toBe(200);
    const device = await call(`/v1/users/${owner.user}/devices/laptop`, { method: "DELETE", headers: owner.admin });
    expect(device.status).toBe(204);
  });

  it("as the admin token opens no routine route, only the admin ones", async () => {
    const owner = await claimedUser("admin-only");
    expect(await errorOf(await call(`/v1/users/${owner.user}/docs`, { headers: owner.admin }))).toEqual(unauthorized);
    expect((await call(`/v1/users/${owner.user}`, { method: "DELETE", headers: owner.admin })).status).toBe(204);
  });
});

describe("replacing the credentials with the admin token", () => {
  it("moves the routine and the admin token together", async () => {
    const owner = await claimedUser("moved");
    const [routine, admin] = [await tokenFor(`${owner.user}:r2`), await tokenFor(`${owner.user}:a2`)];
    const res = await call(`/v1/users/${owner.user}/credential`, {
      method: "PUT",
      headers: { ...owner.admin, ...json },
      body: JSON.stringify({ token: routine, admin_hash: await hashToken(admin) }),
    });
    expect(res.status).toBe(204);
    expect((await call(`/v1/users/${owner.user}`, { headers: owner.auth })).status).toBe(401);
    expect((await call(`/v1/users/${owner.user}`, { headers: bearer(routine) })).status).toBe(200);
    const oldAdmin = await call(`/v1/users/${owner.user}`, { method: "DELETE", headers: owner.admin });
    expect(await errorOf(oldAdmin)).toEqual(unauthorized);
    expect((await call(`/v1/users/${owner.user}`, { method: "DELETE", headers: bearer(admin) })).status).toBe(204);
  });
});

describe("an account of the previous release", () => {
  it("has no admin until a routine request offers a hash, and then keeps the first one", async () => {
    const user = uniqueUser("upgraded");
    const token = await tokenFor(user);
    await previousReleaseAccount(user, token);
    const [first, second] = [await tokenFor(`${user}:first`), await tokenFor(`${user}:second`)];
    expect(await errorOf(await call(`/v1/users/${user}`, { method: "DELETE", headers: bearer(first) }))).toEqual(
      unauthorized,
    );
    for (const admin of [first, second]) {
      const res = await call(`/v1/users/${user}`, {
        headers: bearer(token, { "X-Admin-Hash": await hashToken(admin) }),
      });
      expect(res.status).toBe(200);
    }
    expect(await errorOf(await call(`/v1/users/${user}`, { method: "DELETE", headers: bearer(second) }))).toEqual(
      unauthorized,
    );
    expect((await call(`/v1/users/${user}`, { method: "DELETE", headers: bearer(first) })).status).toBe(204);
  });
});
