import { describe, expect, it } from "vitest";
import { base64urlEncode, hexEncode, utf8Encode } from "../../client/core/protocol/encoding.ts";
import { bearer, call, errorOf, postJson } from "./support/api.ts";
import { encryptedDataOf, fernetBytes, tokenFor, uniqueUser } from "./support/tokens.ts";

/** A user whose name is claimed, as `cloud-sync legacy-url` does before a Python device uploads. */
async function newUser() {
  const user = uniqueUser();
  const token = await tokenFor(user);
  expect((await call(`/v1/users/${user}`, { method: "PUT", headers: bearer(token) })).status).toBe(201);
  return { user, token, base: `/legacy/${token}` };
}

function upload(base: string, user: string, deviceId: string, data = encryptedDataOf(fernetBytes())) {
  return postJson(`${base}/upload`, { username: user, device_id: deviceId, encrypted_data: data });
}

describe("legacy upload and download through /legacy/<token>", () => {
  it("stores an upload and answers it byte for byte to a download from another device", async () => {
    const { user, base } = await newUser();
    const data = encryptedDataOf(fernetBytes(5));
    const up = await upload(base, user, "aaaa000011112222", data);
    expect(up.status).toBe(200);
    const upBody = (await up.json()) as { status: string; timestamp: string };
    expect(upBody.status).toBe("success");
    expect(new Date(upBody.timestamp).toISOString()).toBe(upBody.timestamp);
    const down = await call(`${base}/download?username=${user}&device_id=bbbb000011112222`);
    expect(down.status).toBe(200);
    expect(await down.json()).toEqual({
      username: user,
      device_id: "aaaa000011112222",
      encrypted_data: data,
      timestamp: upBody.timestamp,
    });
  });

  it("answers the latest upload whichever device made it", async () => {
    const { user, base } = await newUser();
    await upload(base, user, "device-one");
    const latest = encryptedDataOf(fernetBytes());
    await upload(base, user, "device-two", latest);
    const body = (await (await call(`${base}/download?username=${user}&device_id=device-one`)).json()) as Record<
      string,
      string
    >;
    expect(body["device_id"]).toBe("device-two");
    expect(body["encrypted_data"]).toBe(latest);
  });

  it("answers 404 not_found to a download before any upload", async () => {
    const { user, token, base } = await newUser();
    await call(`/v1/users/${user}`, { method: "PUT", headers: bearer(token) });
    expect(await errorOf(await call(`${base}/download?username=${user}&device_id=d1`))).toEqual({
      status: 404,
      code: "not_found",
      message: "nothing has been uploaded for this user yet",
    });
  });

  it("accepts uppercase hex and answers it in Python's lowercase", async () => {
    const { user, base } = await newUser();
    const data = encryptedDataOf(fernetBytes());
    expect((await upload(base, user, "d1", data.toUpperCase())).status).toBe(200);
    const body = (await (await call(`${base}/download?username=${user}`)).json()) as Record<string, string>;
    expect(body["encrypted_data"]).toBe(data);
  });

  it("lists every device that uploaded with its last sync time", async () => {
    const { user, base } = await newUser();
    for (const id of ["aaaa000000000001", "aaaa000000000002", "aaaa000000000003"])
      expect((await upload(base, user, id)).status).toBe(200);
    const res = await call(`${base}/devices?username=${user}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { devices: { device_id: string; last_sync: string }[] };
    expect(body.devices.map((d) => d.device_id).sort()).toEqual([
      "aaaa000000000001",
      "aaaa000000000002",
      "aaaa000000000003",
    ]);
    for (const d of body.devices) expect(Object.keys(d).sort()).toEqual(["device_id", "last_sync"]);
    for (const d of body.devices) expect(Number.isNaN(Date.parse(d.last_sync))).toBe(false);
  });
});

describe("legacy routes with Authorization: Bearer", () => {
  it("serves upload, download and devices at the root with a Bearer header", async () => {
    const { user, token } = await newUser();
    const data = encryptedDataOf(fernetBytes());
    const up = await postJson("/upload", { username: user, device_id: "d1", encrypted_data: data }, bearer(token));
    expect(up.status).toBe(200);
    const down = await call(`/download?username=${user}&device_id=d1`, { headers: bearer(token) });
    expect(((await down.json()) as Record<string, string>)["encrypted_data"]).toBe(data);
    const devices = await call(`/devices?username=${user}`, { headers: bearer(token) });
    expect(((await devices.json()) as { devices: unknown[] }).devices).toHaveLength(1);
  });

  it("answers 401 at the root without a header", async () => {
    const { user } = await newUser();
    expect((await errorOf(await call(`/download?username=${user}`))).code).toBe("unauthorized");
  });
});

describe("legacy route authentication", () => {
  const unauthorized = { status: 401, code: "unauthorized", message: "missing or invalid credentials" };

  it("answers 401 to a wrong token for an existing user", async () => {
    const { user, base } = await newUser();
    await upload(base, user, "d1");
    expect(await errorOf(await call(`/legacy/${await tokenFor("someone else")}/download?username=${user}`))).toEqual(
      unauthorized,
    );
  });

  it("answers the same 401 for a user that does not exist", async () => {
    const user = uniqueUser();
    const base = `/legacy/${await tokenFor(user)}`;
    expect(await errorOf(await call(`${base}/download?username=${user}`))).toEqual(unauthorized);
    expect(await errorOf(await call(`${base}/devices?username=${user}`))).toEqual(unauthorized);
  });

  it("answers 401 to a malformed token in the URL", async () => {
    const { user, base } = await newUser();
    await upload(base, user, "d1");
    expect(await errorOf(await call(`/legacy/short/download?username=${user}`))).toEqual(unauthorized);
  });

  it("refuses an upload to another user's name with 401 and stores nothing", async () => {
    const owner = await newUser();
    const original = encryptedDataOf(fernetBytes());
    await upload(owner.base, owner.user, "d1", original);
    const intruder = await newUser();
    expect(await errorOf(await upload(intruder.base, owner.user, "d9"))).toEqual(unauthorized);
    const body = (await (await call(`${owner.base}/download?username=${owner.user}`)).json()) as Record<string, string>;
    expect(body["encrypted_data"]).toBe(original);
  });
});

describe("legacy upload validation", () => {
  /** Uploads `body` as a claimed user; a username of CLAIMED stands for that user's name. */
  async function rejected(body: Record<string, unknown>) {
    const { user, base } = await newUser();
    return errorOf(await postJson(`${base}/upload`, body["username"] === CLAIMED ? { ...body, username: user } : body));
  }
  const CLAIMED = "<claimed>";
  const good = () => ({ username: CLAIMED, device_id: "d1", encrypted_data: encryptedDataOf(fernetBytes()) });
  const invalidToken = {
    status: 400,
    code: "invalid_token",
    message: "encrypted_data must be the hex of a Fernet token (padded base64url, version 0x80, whole blocks)",
  };

  it("rejects encrypted_data that is not hex", async () => {
    expect(await rejected({ ...good(), encrypted_data: "zz" })).toEqual(invalidToken);
  });

  it("rejects hex of base64 without its padding", async () => {
    const raw = fernetBytes();
    const unpadded = hexEncode(utf8Encode(base64urlEncode(raw, false)));
    // Only lengths that need padding make the point.
    expect(base64urlEncode(raw, true).endsWith("=")).toBe(true);
    expect(await rejected({ ...good(), encrypted_data: unpadded })).toEqual(invalidToken);
  });

  it("rejects a token with the wrong version byte", async () => {
    const raw = fernetBytes();
    raw[0] = 0x81;
    expect(await rejected({ ...good(), encrypted_data: encryptedDataOf(raw) })).toEqual(invalidToken);
  });

  it("rejects a token whose ciphertext is not whole blocks", async () => {
    const raw = new Uint8Array(fernetBytes().length + 3);
    raw[0] = 0x80;
    expect(await rejected({ ...good(), encrypted_data: encryptedDataOf(raw) })).toEqual(invalidToken);
  });

  // A URL carrying the routine token names its account by the body's username, which must own it.
  it("refuses a username with a slash with 401: no such account owns the URL", async () => {
    expect(await rejected({ ...good(), username: "a/b" })).toMatchObject({ status: 401, code: "unauthorized" });
  });

  it("rejects a device id with '..' as invalid_name", async () => {
    expect(await rejected({ ...good(), device_id: "a..b" })).toMatchObject({
      status: 400,
      code: "invalid_name",
      message: expect.stringContaining("device id must be"),
    });
  });

  it("rejects a missing field as bad_request naming it", async () => {
    const { encrypted_data: _, ...rest } = good();
    expect(await rejected(rest)).toEqual({
      status: 400,
      code: "bad_request",
      message: "encrypted_data is missing or not a string",
    });
  });

  it("refuses malformed JSON with 401 when the URL's account can only be named by the body", async () => {
    const { base } = await newUser();
    const res = await call(`${base}/upload`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{nope",
    });
    expect(await errorOf(res)).toMatchObject({ status: 401, code: "unauthorized" });
  });

  it("rejects a download without a username as bad_request", async () => {
    const { base } = await newUser();
    expect(await errorOf(await call(`${base}/download`))).toEqual({
      status: 400,
      code: "bad_request",
      message: "username is missing or not a string",
    });
  });
});
