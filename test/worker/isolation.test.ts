import { describe, expect, it } from "vitest";
import { call, errorOf, postJson } from "./support/api.ts";
import { bytesOf, claimedUser, getDoc, putDoc } from "./support/docs.ts";
import { encryptedDataOf, fernetBytes } from "./support/tokens.ts";

const unauthorized = { status: 401, code: "unauthorized", message: "missing or invalid credentials" };

describe("user A's token against user B's data", () => {
  it("cannot read, list, write or delete anything of B through the v1 routes", async () => {
    const a = await claimedUser("a");
    const b = await claimedUser("b");
    const original = fernetBytes();
    await putDoc(b, "notes", original);
    await putDoc(b, "notes");
    await call(`/v1/users/${b.user}/devices/phone`, {
      method: "PUT",
      headers: { ...b.auth, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "B's phone", platform: "ios" }),
    });
    const json = { ...a.auth, "Content-Type": "application/json" };
    const attempts: [string, string, RequestInit?][] = [
      ["GET", `/v1/users/${b.user}`],
      ["PUT", `/v1/users/${b.user}`],
      ["DELETE", `/v1/users/${b.user}`],
      ["PUT", `/v1/users/${b.user}/credential`, { headers: json, body: JSON.stringify({ token: a.token }) }],
      ["GET", `/v1/users/${b.user}/docs`],
      ["GET", `/v1/users/${b.user}/docs/notes`],
      ["PUT", `/v1/users/${b.user}/docs/notes`, { headers: { ...a.auth, "X-Device-Id": "x" }, body: fernetBytes() }],
      ["DELETE", `/v1/users/${b.user}/docs/notes`],
      ["GET", `/v1/users/${b.user}/docs/notes/versions`],
      ["GET", `/v1/users/${b.user}/docs/notes/versions/1`],
      ["GET", `/v1/users/${b.user}/devices`],
      [
        "PUT",
        `/v1/users/${b.user}/devices/phone`,
        { headers: json, body: JSON.stringify({ name: "mine", platform: "x" }) },
      ],
      ["DELETE", `/v1/users/${b.user}/devices/phone`],
    ];
    for (const [method, path, init] of attempts) {
      const res = await call(path, { method, headers: a.auth, ...init });
      const expected = method === "PUT" && path === `/v1/users/${b.user}` ? 409 : 401;
      expect([path, method, res.status]).toEqual([path, method, expected]);
      if (expected === 401) expect(await errorOf(res)).toEqual(unauthorized);
    }
    const stored = await getDoc(b, "notes");
    expect(stored.headers.get("ETag")).toBe('"2"');
    expect(await bytesOf(await call(`/v1/users/${b.user}/docs/notes/versions/1`, { headers: b.auth }))).toEqual(
      original,
    );
    const devices = (await (await call(`/v1/users/${b.user}/devices`, { headers: b.auth })).json()) as {
      devices: { name: string | null }[];
    };
    expect(devices.devices.map((d) => d.name)).toContain("B's phone");
  });

  it("cannot read, list or overwrite B through the legacy routes", async () => {
    const a = await claimedUser("a");
    const b = await claimedUser("b");
    const data = encryptedDataOf(fernetBytes());
    await postJson(`/legacy/${b.token}/upload`, { username: b.user, device_id: "d1", encrypted_data: data });
    const base = `/legacy/${a.token}`;
    expect(await errorOf(await call(`${base}/download?username=${b.user}`))).toEqual(unauthorized);
    expect(await errorOf(await call(`${base}/devices?username=${b.user}`))).toEqual(unauthorized);
    expect(
      await errorOf(
        await postJson(`${base}/upload`, {
          username: b.user,
          device_id: "d9",
          encrypted_data: encryptedDataOf(fernetBytes()),
        }),
      ),
    ).toEqual(unauthorized);
    const down = (await (await call(`/legacy/${b.token}/download?username=${b.user}`)).json()) as Record<
      string,
      string
    >;
    expect(down["encrypted_data"]).toBe(data);
  });
});

describe("crafted names", () => {
  it("rejects encoded slashes and dots in names instead of reaching another user's keys", async () => {
    const a = await claimedUser("a");
    const b = await claimedUser("b");
    await putDoc(b, "notes");
    const crafted = [
      `/v1/users/${a.user}%2f..%2f${b.user}/docs/notes`,
      `/v1/users/${a.user}/docs/..%2f..%2f${b.user}%2fdocs%2fnotes`,
      `/v1/users/${a.user}/docs/%2e%2e`,
      `/v1/users/${a.user}/docs/notes%2fv`,
      `/v1/users/..%2f${b.user}/docs/notes`,
      `/v1/users/${b.user}%00/docs/notes`,
    ];
    for (const path of crafted) {
      const res = await call(path, { headers: a.auth });
      expect([path, res.status < 500, res.status === 200]).toEqual([path, true, false]);
    }
    const badName = await errorOf(await call(`/v1/users/${a.user}/docs/a%2fb`, { headers: a.auth }));
    expect(badName).toMatchObject({
      status: 400,
      code: "invalid_name",
      message: expect.stringContaining("document name must be"),
    });
  });

  it("resolves dot segments before routing, so '..' cannot climb into another user", async () => {
    const a = await claimedUser("a");
    const b = await claimedUser("b");
    await putDoc(b, "notes");
    // /v1/users/A/../B/docs/notes is normalised by the URL parser to /v1/users/B/docs/notes: A's token is then wrong for B.
    const res = await call(`/v1/users/${a.user}/../${b.user}/docs/notes`, { headers: a.auth });
    expect(await errorOf(res)).toEqual(unauthorized);
  });

  it("refuses a legacy upload whose username tries to climb out of its prefix", async () => {
    const a = await claimedUser("a");
    const res = await postJson(`/legacy/${a.token}/upload`, {
      username: `${a.user}/../x`,
      device_id: "d1",
      encrypted_data: encryptedDataOf(fernetBytes()),
    });
    // Such a URL names its account only by the body's username, so a name no account has is refused
    // as a wrong credential, before the name is even validated.
    expect(await errorOf(res)).toMatchObject({ status: 401, code: "unauthorized" });
  });
});
