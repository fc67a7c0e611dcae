import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { bearer, call, callWith, errorOf } from "./support/api.ts";
import { claimedUser, putDoc } from "./support/docs.ts";
import { encryptedDataOf, fernetBytes, tokenFor, uniqueUser } from "./support/tokens.ts";

const unauthorized = { status: 401, code: "unauthorized", message: "missing or invalid credentials" };

describe("claiming a username", () => {
  it("creates the account with 201 and answers 200 to its owner again", async () => {
    const user = uniqueUser();
    const token = await tokenFor(user);
    const first = await call(`/v1/users/${user}`, { method: "PUT", headers: bearer(token) });
    expect(first.status).toBe(201);
    const created = (await first.json()) as { username: string; created_at: string };
    expect(created.username).toBe(user);
    const again = await call(`/v1/users/${user}`, { method: "PUT", headers: bearer(token) });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(created);
  });

  it("answers 409 username_taken to another token", async () => {
    const { user } = await claimedUser();
    const res = await call(`/v1/users/${user}`, { method: "PUT", headers: bearer(await tokenFor("intruder")) });
    expect(await errorOf(res)).toEqual({
      status: 409,
      code: "username_taken",
      message: "this username belongs to another key",
    });
  });

  it("lets exactly one of two concurrent claims of one name win", async () => {
    const user = uniqueUser();
    const [a, b] = await Promise.all([
      call(`/v1/users/${user}`, { method: "PUT", headers: bearer(await tokenFor("a")) }),
      call(`/v1/users/${user}`, { method: "PUT", headers: bearer(await tokenFor("b")) }),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    const winner = a.status === 201 ? "a" : "b";
    const loser = winner === "a" ? "b" : "a";
    expect((await call(`/v1/users/${user}`, { headers: bearer(await tokenFor(winner)) })).status).toBe(200);
    expect(await errorOf(await call(`/v1/users/${user}`, { headers: bearer(await tokenFor(loser)) }))).toEqual(
      unauthorized,
    );
  });

  it("lets exactly one of two concurrent first uploads claim the name", async () => {
    const user = uniqueUser();
    const write = async (seed: string) =>
      call(`/v1/users/${user}/docs/notes`, {
        method: "PUT",
        headers: { ...bearer(await tokenFor(seed)), "X-Device-Id": seed },
        body: fernetBytes(),
      });
    const results = await Promise.all([write("a"), write("b")]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 401]);
  });

  it("answers 401 without a token and stores no account", async () => {
    const user = uniqueUser();
    expect(await errorOf(await call(`/v1/users/${user}`, { method: "PUT" }))).toEqual(unauthorized);
    expect(
      await errorOf(await call(`/v1/users/${user}`, { method: "PUT", headers: { Authorization: "Basic abc" } })),
    ).toEqual(unauthorized);
    expect((await call(`/v1/users/${user}`, { method: "PUT", headers: bearer(await tokenFor(user)) })).status).toBe(
      201,
    );
  });

  it("needs X-Claim-Secret when CLAIM_SECRET is set, and only for new names", async () => {
    const vars = { CLAIM_SECRET: "s3cret" };
    const user = uniqueUser();
    const auth = bearer(await tokenFor(user));
    expect(await errorOf(await callWith(vars, `/v1/users/${user}`, { method: "PUT", headers: auth }))).toEqual({
      status: 403,
      code: "claim_secret_required",
      message: "claiming a new username needs the deployment's X-Claim-Secret",
    });
    const wrong = await callWith(vars, `/v1/users/${user}`, {
      method: "PUT",
      headers: { ...auth, "X-Claim-Secret": "nope" },
    });
    expect(wrong.status).toBe(403);
    expect(
      (await callWith(vars, `/v1/users/${user}`, { method: "PUT", headers: { ...auth, "X-Claim-Secret": "s3cret" } }))
        .status,
    ).toBe(201);
    expect((await callWith(vars, `/v1/users/${user}`, { method: "PUT", headers: auth })).status).toBe(200);
  });
});

describe("legacy uploads when CLAIM_SECRET is set", () => {
  it("never claim a new name (401), and work once the name was claimed with the secret", async () => {
    const vars = { CLAIM_SECRET: "s3cret" };
    const user = uniqueUser();
    const token = await tokenFor(user);
    const upload = () =>
      callWith(vars, `/legacy/${token}/upload`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: user, device_id: "d1", encrypted_data: encryptedDataOf(fernetBytes()) }),
      });
    expect(await errorOf(await upload())).toMatchObject({ status: 401, code: "unauthorized" });
    expect(await env.BLOBS.head(`users/${user}/account.json`)).toBeNull();
    const claim = await callWith(vars, `/v1/users/${user}`, {
      method: "PUT",
      headers: { ...bearer(token), "X-Claim-Secret": "s3cret" },
    });
    expect(claim.status).toBe(201);
    expect((await upload()).status).toBe(200);
  });
});

describe("reading the account", () => {
  it("reports usage, quota and document count", async () => {
    const u = await claimedUser();
    await putDoc(u, "a", fernetBytes(1));
    await putDoc(u, "b", fernetBytes(3));
    const res = await call(`/v1/users/${u.user}`, { headers: u.auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      username: u.user,
      usage_bytes: 73 + 105,
      quota_bytes: 1073741824,
      documents: 2,
    });
  });

  it("answers 401 to a wrong token and to an unknown user alike", async () => {
    const u = await claimedUser();
    expect(await errorOf(await call(`/v1/users/${u.user}`, { headers: bearer(await tokenFor("x")) }))).toEqual(
      unauthorized,
    );
    expect(await errorOf(await call(`/v1/users/${uniqueUser()}`, { headers: u.auth }))).toEqual(unauthorized);
  });
});

describe("replacing the credential", () => {
  it("accepts the new token and refuses the old one at once", async () => {
    const u = await claimedUser();
    const next = await tokenFor(`${u.user}:next`);
    const res = await call(`/v1/users/${u.user}/credential`, {
      method: "PUT",
      headers: { ...u.admin, "Content-Type": "application/json" },
      body: JSON.stringify({ token: next }),
    });
    expect(res.status).toBe(204);
    expect(await errorOf(await call(`/v1/users/${u.user}`, { headers: u.auth }))).toEqual(unauthorized);
    expect((await call(`/v1/users/${u.user}`, { headers: bearer(next) })).status).toBe(200);
  });

  it("rejects a malformed new token with 400 and keeps the old one", async () => {
    const u = await claimedUser();
    const res = await call(`/v1/users/${u.user}/credential`, {
      method: "PUT",
      headers: { ...u.admin, "Content-Type": "application/json" },
      body: JSON.stringify({ token: "short" }),
    });
    expect(await errorOf(res)).toEqual({
      status: 400,
      code: "bad_request",
      message: "token: token must be 43 base64url characters (docs/PROTOCOL.md, Credential)",
    });
    expect((await call(`/v1/users/${u.user}`, { headers: u.auth })).status).toBe(200);
  });

  it("answers 401 when the current token is wrong", async () => {
    const u = await claimedUser();
    const res = await call(`/v1/users/${u.user}/credential`, {
      method: "PUT",
      headers: { ...bearer(await tokenFor("x")), "Content-Type": "application/json" },
      body: JSON.stringify({ token: await tokenFor("y") }),
    });
    expect(await errorOf(res)).toEqual(unauthorized);
  });
});

describe("deleting the account", () => {
  it("removes every document, version and device, and frees the name", async () => {
    const u = await claimedUser();
    await putDoc(u, "a");
    await putDoc(u, "a");
    await putDoc(u, "b", fernetBytes(), { "X-Device-Id": "dev-2" });
    expect((await call(`/v1/users/${u.user}`, { method: "DELETE", headers: u.admin })).status).toBe(204);
    expect(await errorOf(await call(`/v1/users/${u.user}/docs`, { headers: u.auth }))).toEqual(unauthorized);
    const { env } = await import("cloudflare:workers");
    expect((await env.BLOBS.list({ prefix: `users/${u.user}/` })).objects).toEqual([]);
    expect((await env.DEVICES.list({ prefix: `${u.user}/` })).keys).toEqual([]);
    const other = bearer(await tokenFor("new owner"));
    expect((await call(`/v1/users/${u.user}`, { method: "PUT", headers: other })).status).toBe(201);
    expect(await (await call(`/v1/users/${u.user}/docs`, { headers: other })).json()).toEqual({ documents: [] });
  });

  it("answers 401 to a wrong token and deletes nothing", async () => {
    const u = await claimedUser();
    await putDoc(u, "a");
    expect(
      await errorOf(await call(`/v1/users/${u.user}`, { method: "DELETE", headers: bearer(await tokenFor("x")) })),
    ).toEqual(unauthorized);
    expect((await call(`/v1/users/${u.user}/docs/a`, { headers: u.auth })).status).toBe(200);
  });
});
