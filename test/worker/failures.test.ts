import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, callWith, errorOf } from "./support/api.ts";
import { bytesOf, claimedUser, getDoc, putDoc } from "./support/docs.ts";
import { failing } from "./support/failing-bindings.ts";
import { docsPrefixOf } from "./support/space.ts";
import { encryptedDataOf, fernetBytes, tokenFor, uniqueUser } from "./support/tokens.ts";

const unavailable = { status: 503, code: "unavailable", message: "storage is temporarily unavailable; retry later" };

describe("a failing storage binding", () => {
  it("answers 503 unavailable with Retry-After when R2 throws on every call", async () => {
    const u = await claimedUser();
    await putDoc(u, "notes");
    const BLOBS = failing(env.BLOBS, ["get", "head", "put", "list", "delete"]);
    const res = await callWith({ BLOBS }, `/v1/users/${u.user}/docs/notes`, { headers: u.auth });
    expect(res.headers.get("Retry-After")).toBe("5");
    expect(await errorOf(res)).toEqual(unavailable);
  });

  it("answers 503 to a write whose version put fails, and the document is unchanged", async () => {
    const u = await claimedUser();
    const original = fernetBytes();
    await putDoc(u, "notes", original);
    const BLOBS = failing(env.BLOBS, ["put"]);
    const res = await callWith({ BLOBS }, `/v1/users/${u.user}/docs/notes`, {
      method: "PUT",
      headers: { ...u.auth, "X-Device-Id": "d1" },
      body: fernetBytes(),
    });
    expect(await errorOf(res)).toEqual(unavailable);
    const current = await getDoc(u, "notes");
    expect(current.headers.get("ETag")).toBe('"1"');
    expect(await bytesOf(current)).toEqual(original);
  });

  it("undoes a claim when the first write then fails, leaving the name free", async () => {
    const user = uniqueUser();
    const token = await tokenFor(user);
    const BLOBS = failing(env.BLOBS, ["put"], ([key]) => String(key).includes("/docs/"));
    const res = await callWith({ BLOBS }, `/v1/users/${user}/docs/notes`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${token}`, "X-Device-Id": "d1", "Content-Type": "application/octet-stream" },
      body: fernetBytes(),
    });
    expect(await errorOf(res)).toEqual(unavailable);
    expect(await env.BLOBS.head(`users/${user}/account.json`)).toBeNull();
    expect(
      (
        await call(`/v1/users/${user}`, {
          method: "PUT",
          headers: { Authorization: `Bearer ${await tokenFor("other")}` },
        })
      ).status,
    ).toBe(201);
  });

  it("answers 503 when KV fails on the device list", async () => {
    const u = await claimedUser();
    const DEVICES = failing(env.DEVICES, ["list", "get", "put", "delete"]);
    const res = await callWith({ DEVICES }, `/v1/users/${u.user}/devices`, { headers: u.auth });
    expect(res.headers.get("Retry-After")).toBe("5");
    expect(await errorOf(res)).toEqual(unavailable);
  });

  it("still stores an upload when only the device registry fails", async () => {
    const u = await claimedUser();
    const DEVICES = failing(env.DEVICES, ["list", "get", "put", "delete"]);
    const res = await callWith({ DEVICES }, `/v1/users/${u.user}/docs/notes`, {
      method: "PUT",
      headers: { ...u.auth, "X-Device-Id": "d1" },
      body: fernetBytes(),
    });
    expect(res.status).toBe(201);
    expect((await getDoc(u, "notes")).status).toBe(200);
  });
});

describe("endless write contention", () => {
  // A fake in addition to the real bucket: every create-only put of a version loses, as if
  // another device always won the race (R2 answers null when onlyIf fails).
  const alwaysLoses = () =>
    new Proxy(env.BLOBS, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as (...a: unknown[]) => unknown;
        if (prop === "put")
          return (key: string, ...rest: unknown[]) =>
            key.includes("/docs/") ? Promise.resolve(null) : value.apply(target, [key, ...rest]);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });

  it("answers 503 with Retry-After: 1 to an unconditional write that keeps losing", async () => {
    const u = await claimedUser();
    const res = await callWith({ BLOBS: alwaysLoses() }, `/v1/users/${u.user}/docs/notes`, {
      method: "PUT",
      headers: { ...u.auth, "X-Device-Id": "d1" },
      body: fernetBytes(),
    });
    expect(res.headers.get("Retry-After")).toBe("1");
    expect(await errorOf(res)).toEqual({
      status: 503,
      code: "unavailable",
      message: "the document is being written by many devices at once; retry",
    });
  });

  it("answers 412 at once to a conditional write that loses", async () => {
    const u = await claimedUser();
    const res = await callWith({ BLOBS: alwaysLoses() }, `/v1/users/${u.user}/docs/notes`, {
      method: "PUT",
      headers: { ...u.auth, "X-Device-Id": "d1", "If-None-Match": "*" },
      body: fernetBytes(),
    });
    expect(await errorOf(res)).toEqual({
      status: 412,
      code: "precondition_failed",
      message: "the document does not exist",
    });
  });
});

describe("rate limits", () => {
  const limitedJson = { status: 429, code: "rate_limited", message: "too many requests; retry later" };

  it("answers 429 rate_limited with Retry-After once a user passes its write limit", async () => {
    const u = await claimedUser();
    const limited = { USER_LIMITER: env.STRICT_LIMITER };
    const write = () =>
      callWith(limited, `/v1/users/${u.user}/docs/notes`, {
        method: "PUT",
        headers: { ...u.auth, "X-Device-Id": "d1" },
        body: fernetBytes(),
      });
    for (let i = 0; i < 3; i++) expect((await write()).status).toBeLessThan(300);
    const res = await write();
    expect(res.headers.get("Retry-After")).toBe("60");
    expect(await errorOf(res)).toEqual(limitedJson);
    expect((await getDoc(u, "notes")).headers.get("ETag")).toBe('"3"');
    // Reads are not counted by default, and another user is counted separately.
    expect((await callWith(limited, `/v1/users/${u.user}/docs/notes`, { headers: u.auth })).status).toBe(200);
    const other = await claimedUser();
    expect(
      (
        await callWith(limited, `/v1/users/${other.user}/docs/notes`, {
          method: "PUT",
          headers: { ...other.auth, "X-Device-Id": "d1" },
          body: fernetBytes(),
        })
      ).status,
    ).toBe(201);
  });

  it("counts reads too when RATE_LIMITS is all", async () => {
    const u = await claimedUser();
    const all = { USER_LIMITER: env.STRICT_LIMITER, RATE_LIMITS: "all" };
    for (let i = 0; i < 3; i++)
      expect((await callWith(all, `/v1/users/${u.user}`, { headers: u.auth })).status).toBe(200);
    expect(await errorOf(await callWith(all, `/v1/users/${u.user}`, { headers: u.auth }))).toEqual(limitedJson);
  });

  it("limits failed authentications per address, then refuses that address even with a right token", async () => {
    const u = await claimedUser();
    const limited = { ADDRESS_LIMITER: env.STRICT_LIMITER };
    const address = `198.51.100.7-${uniqueUser()}`;
    const guess = { "CF-Connecting-IP": address, Authorization: `Bearer ${await tokenFor("guess")}` };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await callWith(limited, `/v1/users/${u.user}/docs`, { headers: guess })).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const right = await callWith(limited, `/v1/users/${u.user}/docs`, {
      headers: { ...u.auth, "CF-Connecting-IP": address },
    });
    expect(await errorOf(right)).toEqual(limitedJson);
    const elsewhere = await callWith(limited, `/v1/users/${u.user}/docs`, {
      headers: { ...u.auth, "CF-Connecting-IP": `${address}-b` },
    });
    expect(elsewhere.status).toBe(200);
  });

  it("does not count anything when RATE_LIMITS is off", async () => {
    const u = await claimedUser();
    const off = { USER_LIMITER: env.STRICT_LIMITER, RATE_LIMITS: "off" };
    for (let i = 0; i < 5; i++) {
      const res = await callWith(off, `/v1/users/${u.user}/docs/notes`, {
        method: "PUT",
        headers: { ...u.auth, "X-Device-Id": "d1" },
        body: fernetBytes(),
      });
      expect(res.status).toBeLessThan(300);
    }
  });

  it("refuses a limited legacy upload without storing it", async () => {
    const user = uniqueUser();
    const token = await tokenFor(user);
    expect(
      (await call(`/v1/users/${user}`, { method: "PUT", headers: { Authorization: `Bearer ${token}` } })).status,
    ).toBe(201);
    const limited = { USER_LIMITER: env.STRICT_LIMITER };
    const upload = () =>
      callWith(limited, `/legacy/${token}/upload`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: user, device_id: "d1", encrypted_data: encryptedDataOf(fernetBytes()) }),
      });
    for (let i = 0; i < 3; i++) expect((await upload()).status).toBe(200);
    expect((await upload()).status).toBe(429);
    const versions = await env.BLOBS.list({ prefix: `${await docsPrefixOf(user)}default/v/` });
    expect(versions.objects).toHaveLength(3);
  });

  it("leaves no account behind when a claim is refused by the limiter", async () => {
    const user = uniqueUser();
    for (let i = 0; i < 3; i++) await env.STRICT_LIMITER.limit({ key: `user:${user}` });
    const res = await callWith({ USER_LIMITER: env.STRICT_LIMITER }, `/v1/users/${user}`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${await tokenFor(user)}` },
    });
    expect(await errorOf(res)).toEqual(limitedJson);
    expect(await env.BLOBS.head(`users/${user}/account.json`)).toBeNull();
  });
});
