/**
 * `GET /v1/users/:u/live` through the whole Worker in workerd: authentication like every route,
 * announcements after writes, isolation between users, recovery after a dropped socket.
 */
import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { bearer, call, callWith, errorOf } from "./support/api.ts";
import { decodeFrames } from "../../client/core/protocol/change-frames.ts";
import { closed, inboxOf, type Inbox } from "./support/live-socket.ts";
import { spaceOf } from "./support/space.ts";
import { encryptedDataOf, fernetBytes, tokenFor, uniqueUser } from "./support/tokens.ts";

interface Live {
  socket: WebSocket;
  inbox: Inbox;
  res: Response;
}

/** Claims `user` for its token (idempotent) so the live route can authenticate it. */
async function claim(user: string): Promise<string> {
  const token = await tokenFor(user);
  const res = await call(`/v1/users/${user}`, { method: "PUT", headers: bearer(token) });
  expect([200, 201]).toContain(res.status);
  return token;
}

async function connect(
  user: string,
  token: string,
  options: { device?: string; via?: "header" | "subprotocol" } = {},
): Promise<Live> {
  const headers: Record<string, string> =
    options.via === "subprotocol"
      ? { Upgrade: "websocket", "Sec-WebSocket-Protocol": `cloud-sync.v1, bearer.${token}` }
      : { Upgrade: "websocket", ...bearer(token) };
  const query = options.device === undefined ? "" : `?device_id=${options.device}`;
  const res = await call(`/v1/users/${user}/live${query}`, { headers });
  expect(res.status).toBe(101);
  const socket = res.webSocket;
  if (socket === null) throw new Error("101 without a socket");
  socket.accept();
  return { socket, inbox: inboxOf(socket), res };
}

/** A write through the legacy upload route, which takes the same one write path as every other. */
async function upload(user: string, token: string, device: string, options: { settle?: boolean } = {}): Promise<void> {
  const init = {
    method: "POST",
    headers: bearer(token, { "Content-Type": "application/json" }),
    body: JSON.stringify({ username: user, device_id: device, encrypted_data: encryptedDataOf(fernetBytes()) }),
  };
  // settle: answered only once the write's background work (the hub's answer) is done.
  const res = options.settle === true ? await callWith({}, "/upload", init) : await call("/upload", init);
  expect(res.status).toBe(200);
}

/** A namespace whose every use throws, as when Durable Objects are down. */
const unreachableHub = {
  idFromName: () => {
    throw new Error("durable objects down");
  },
} as unknown as typeof env.USER_HUB;

/** The hub of the user's account incarnation, as the live route names it. */
async function hubOf(user: string) {
  return env.USER_HUB.get(env.USER_HUB.idFromName(await spaceOf(user)));
}

describe("GET /v1/users/:u/live", () => {
  it("tells a connected device about another device's write, without any data", async () => {
    const user = uniqueUser("live");
    const token = await claim(user);
    const phone = await connect(user, token, { device: "phone0001" });
    const laptop = await connect(user, token, { device: "laptop001" });
    await upload(user, token, "laptop001");
    const heard = (await phone.inbox.next()) as Record<string, unknown>;
    expect(Object.keys(heard).sort()).toEqual(["device_id", "doc", "kind", "seq", "type", "updated_at", "version"]);
    expect(heard).toMatchObject({ type: "version", doc: "default", version: 1, device_id: "laptop001", kind: "whole" });
    expect(Number.isFinite(Date.parse(String(heard["updated_at"])))).toBe(true);
    // The writer hears its own write too and can ignore it by device_id.
    expect(await laptop.inbox.next()).toEqual(heard);
  });

  it("announces each version in order", async () => {
    const user = uniqueUser("live-order");
    const token = await claim(user);
    const phone = await connect(user, token);
    await upload(user, token, "laptop001");
    await upload(user, token, "laptop001");
    expect(await phone.inbox.next()).toMatchObject({ version: 1 });
    expect(await phone.inbox.next()).toMatchObject({ version: 2 });
  });

  it("announces versioned writes with the writer's device", async () => {
    const user = uniqueUser("live-v1");
    const token = await claim(user);
    const phone = await connect(user, token, { device: "phone0001" });
    const put = await call(`/v1/users/${user}/docs/notes`, {
      method: "PUT",
      headers: bearer(token, { "X-Device-Id": "laptop001", "Content-Type": "application/octet-stream" }),
      body: fernetBytes(),
    });
    expect(put.status).toBe(201);
    expect(await phone.inbox.next()).toMatchObject({
      type: "version",
      doc: "notes",
      version: 1,
      device_id: "laptop001",
    });
    const next = await call(`/v1/users/${user}/docs/notes`, {
      method: "PUT",
      headers: bearer(token, { "X-Device-Id": "tablet001", "If-Match": '"1"', "X-Sync-Version": "2" }),
      body: fernetBytes(),
    });
    expect(next.status).toBe(200);
    expect(await phone.inbox.next()).toMatchObject({
      type: "version",
      doc: "notes",
      version: 2,
      device_id: "tablet001",
    });
  });

  it("tells a device that connects between two writes about the second at once", async () => {
    const user = uniqueUser("live-between");
    const token = await claim(user);
    await upload(user, token, "laptop001", { settle: true });
    const phone = await connect(user, token, { device: "phone0001" });
    // Every write is recorded by the hub before it is answered, so it reaches every socket open by then.
    await upload(user, token, "laptop001");
    expect(await phone.inbox.next()).toMatchObject({ type: "version", doc: "default", version: 2, kind: "whole" });
    await upload(user, token, "laptop001");
    expect(await phone.inbox.next()).toMatchObject({ version: 3 });
    expect(await (await hubOf(user)).connectedDevices()).toEqual(["phone0001"]);
    expect(phone.inbox.pending()).toBe(0);
  });

  it("accepts the token as a bearer subprotocol and selects cloud-sync.v1", async () => {
    const user = uniqueUser("live-browser");
    const token = await claim(user);
    const browser = await connect(user, token, { via: "subprotocol" });
    expect(browser.res.headers.get("Sec-WebSocket-Protocol")).toBe("cloud-sync.v1");
    await upload(user, token, "laptop001");
    expect(await browser.inbox.next()).toMatchObject({ type: "version", version: 1 });
  });

  it("recovers after the server drops the socket: reconnect, then receive", async () => {
    const user = uniqueUser("live-drop");
    const token = await claim(user);
    const first = await connect(user, token, { device: "phone0001" });
    const code = closed(first.socket);
    await evictDurableObject(await hubOf(user), { webSockets: "close" });
    expect(await code).toBeGreaterThanOrEqual(1000);
    const again = await connect(user, token, { device: "phone0001" });
    await upload(user, token, "laptop001");
    expect(await again.inbox.next()).toMatchObject({ type: "version", version: 1, device_id: "laptop001" });
    expect(first.inbox.pending()).toBe(0);
  });

  it("keeps another user's device out: it hears nothing of the write", async () => {
    const alice = uniqueUser("live-alice");
    const bob = uniqueUser("live-bob");
    const aliceToken = await claim(alice);
    const bobToken = await claim(bob);
    const alicePhone = await connect(alice, aliceToken, { device: "phone0001" });
    const bobPhone = await connect(bob, bobToken, { device: "phone0001" });
    await upload(alice, aliceToken, "laptop001");
    expect(await alicePhone.inbox.next()).toMatchObject({ version: 1 });
    // A round trip to bob's hub orders after anything it could have sent him.
    expect(await (await hubOf(bob)).connectedDevices()).toEqual(["phone0001"]);
    expect(bobPhone.inbox.pending()).toBe(0);
  });

  it("refuses another user's valid token for this name with 401", async () => {
    const alice = uniqueUser("live-owner");
    await claim(alice);
    const bobToken = await claim(uniqueUser("live-intruder"));
    for (const headers of [
      { Upgrade: "websocket", ...bearer(bobToken) },
      { Upgrade: "websocket", "Sec-WebSocket-Protocol": `cloud-sync.v1, bearer.${bobToken}` },
    ]) {
      const res = await call(`/v1/users/${alice}/live`, { headers });
      expect(await errorOf(res)).toEqual({
        status: 401,
        code: "unauthorized",
        message: "missing or invalid credentials",
      });
    }
  });

  it("answers an unauthenticated upgrade with 401 and the JSON error shape", async () => {
    const user = uniqueUser("live-anon");
    await claim(user);
    const res = await call(`/v1/users/${user}/live`, {
      headers: { Upgrade: "websocket", "Sec-WebSocket-Protocol": "cloud-sync.v1" },
    });
    expect(res.webSocket).toBeNull();
    expect(res.headers.get("Content-Type")).toContain("application/json");
    expect(await errorOf(res)).toEqual({
      status: 401,
      code: "unauthorized",
      message: "missing or invalid credentials",
    });
  });

  it("answers the same 401 for a username that has no account", async () => {
    const res = await call(`/v1/users/${uniqueUser("live-nobody")}/live`, {
      headers: { Upgrade: "websocket", ...bearer(await tokenFor("x")) },
    });
    expect(await errorOf(res)).toMatchObject({ status: 401, code: "unauthorized" });
  });

  it("rejects a malformed username or device id with 400 invalid_name", async () => {
    const user = uniqueUser("live-names");
    const token = await claim(user);
    const badUser = await call("/v1/users/-bad/live", { headers: { Upgrade: "websocket", ...bearer(token) } });
    expect(await errorOf(badUser)).toMatchObject({ status: 400, code: "invalid_name" });
    const badDevice = await call(`/v1/users/${user}/live?device_id=a..b`, {
      headers: { Upgrade: "websocket", ...bearer(token) },
    });
    expect(await errorOf(badDevice)).toMatchObject({ status: 400, code: "invalid_name" });
  });

  it("answers an authenticated request without Upgrade with 400 bad_request", async () => {
    const user = uniqueUser("live-plain");
    const token = await claim(user);
    const res = await call(`/v1/users/${user}/live`, { headers: bearer(token) });
    expect(await errorOf(res)).toEqual({
      status: 400,
      code: "bad_request",
      message: "this route is a WebSocket: send Upgrade: websocket",
    });
  });

  it("answers another method with 405", async () => {
    const res = await call(`/v1/users/${uniqueUser()}/live`, { method: "POST" });
    expect(await errorOf(res)).toMatchObject({ status: 405, code: "method_not_allowed" });
    expect(res.headers.get("Allow")).toContain("GET");
  });

  it("answers 503 when the hub cannot be reached, storing nothing, and the retry lands", async () => {
    const user = uniqueUser("live-nohub");
    const token = await claim(user);
    const body = (device: string) =>
      JSON.stringify({ username: user, device_id: device, encrypted_data: encryptedDataOf(fernetBytes()) });
    const res = await callWith({ USER_HUB: unreachableHub }, "/upload", {
      method: "POST",
      headers: { "Content-Type": "application/json", ...bearer(token) },
      body: body("laptop001"),
    });
    expect(await errorOf(res)).toMatchObject({ status: 503, code: "unavailable" });
    // The quota is the hub's to answer, before anything is stored.
    expect((await call(`/download?username=${user}&device_id=phone0001`, { headers: bearer(token) })).status).toBe(404);
    const retry = await call("/upload", {
      method: "POST",
      headers: { "Content-Type": "application/json", ...bearer(token) },
      body: body("laptop001"),
    });
    expect(retry.status).toBe(200);
    const changes = await call(`/v1/users/${user}/changes?after=0`, { headers: bearer(token) });
    const frames = decodeFrames(new Uint8Array(await changes.arrayBuffer()));
    expect(frames.map((f) => [f.header.doc, f.header.version])).toEqual([["default", 1]]);
  });

  it("refuses a live socket with 503 unavailable when the hub cannot be reached", async () => {
    const user = uniqueUser("live-nohub2");
    const token = await claim(user);
    const res = await callWith({ USER_HUB: unreachableHub }, `/v1/users/${user}/live`, {
      headers: { Upgrade: "websocket", ...bearer(token) },
    });
    expect(await errorOf(res)).toMatchObject({ status: 503, code: "unavailable" });
    expect(res.headers.get("Retry-After")).toBe("30");
  });

  it("is described in /openapi.json", async () => {
    const doc = (await (await call("/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain("/v1/users/{username}/live");
  });
});
