/**
 * Authentication comes before anything else of a request is read: an anonymous or wrong credential
 * is answered 401 without a byte of the body pulled, whatever its size, and without parsing headers.
 */
import { describe, expect, it } from "vitest";
import { callWith, errorOf } from "./support/api.ts";
import { claimedUser } from "./support/docs.ts";
import { storageSnapshot } from "./support/storage-snapshot.ts";
import { encryptedDataOf, fernetBytes, tokenFor, uniqueUser } from "./support/tokens.ts";

const MiB = 1024 * 1024;
const unauthorized = { status: 401, code: "unauthorized", message: "missing or invalid credentials" };

/** A body of `size` bytes that counts how many of them the Worker pulled. */
function countedBody(size: number, first = 0x80): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  let sent = 0;
  const chunk = new Uint8Array(64 * 1024);
  chunk[0] = first;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= size) return controller.close();
      const part = chunk.subarray(0, Math.min(chunk.byteLength, size - sent));
      sent += part.byteLength;
      controller.enqueue(part.slice());
    },
  });
  return { body, pulled: () => sent };
}

/** A Python-style upload body naming `username` first, then `size` bytes of hex, counting what is pulled. */
function jsonUpload(username: string, size: number): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  const head = new TextEncoder().encode(`{"username":"${username}","device_id":"d1","encrypted_data":"`);
  let sent = 0;
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent === 0) {
        sent += head.byteLength;
        return controller.enqueue(head);
      }
      if (sent >= size) return controller.close();
      sent += chunk.byteLength;
      controller.enqueue(chunk.slice());
    },
  });
  return { body, pulled: () => sent };
}

function send(path: string, init: RequestInit & { body: ReadableStream<Uint8Array> }): Promise<Response> {
  return callWith({}, path, { ...init, duplex: "half" } as RequestInit);
}

describe("an anonymous request with a body", () => {
  it("gets 401 for a 60 MiB document PUT without a byte of its body read", async () => {
    const before = await storageSnapshot();
    const { body, pulled } = countedBody(60 * MiB);
    const res = await send(`/v1/users/${uniqueUser()}/docs/notes`, {
      method: "PUT",
      headers: { "Content-Type": "application/octet-stream", "Content-Length": String(60 * MiB) },
      body,
    });
    expect(await errorOf(res)).toEqual(unauthorized);
    expect(pulled()).toBeLessThanOrEqual(64 * 1024);
    expect(await storageSnapshot()).toEqual(before);
  });

  it("gets 401 for a chunked document PUT with a made-up token for a taken name, nothing buffered", async () => {
    const { body, pulled } = countedBody(60 * MiB);
    const { user } = await claimedUser();
    const res = await send(`/v1/users/${user}/docs/notes`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${await tokenFor("made-up")}`, "Content-Type": "application/octet-stream" },
      body,
    });
    expect(await errorOf(res)).toEqual(unauthorized);
    expect(pulled()).toBeLessThanOrEqual(64 * 1024);
  });

  it("gets 401 for a wrong token's write even with a malformed If-Match, which is never parsed", async () => {
    const u = await claimedUser();
    const res = await callWith({}, `/v1/users/${u.user}/docs/notes`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${await tokenFor("intruder")}`, "If-Match": "not a tag", "X-Device-Id": "?" },
      body: fernetBytes(),
    });
    expect(await errorOf(res)).toEqual(unauthorized);
  });

  it("gets 401, not 400, for a Python-style upload without a credential, its body unread", async () => {
    const { body, pulled } = countedBody(60 * MiB, 0x7b);
    const res = await send("/upload", { method: "POST", headers: { "Content-Type": "application/json" }, body });
    expect(await errorOf(res)).toEqual(unauthorized);
    expect(pulled()).toBeLessThanOrEqual(64 * 1024);
  });

  it("gets 401 for an upload to a malformed capability URL, its body unread", async () => {
    const { body, pulled } = countedBody(60 * MiB, 0x7b);
    const res = await send("/legacy/not-a-token/upload", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
    });
    expect(await errorOf(res)).toEqual(unauthorized);
    expect(pulled()).toBeLessThanOrEqual(64 * 1024);
  });

  it("gets 401 for a device registration by a wrong token, its body unread", async () => {
    const u = await claimedUser();
    const { body, pulled } = countedBody(10 * MiB, 0x7b);
    const res = await send(`/v1/users/${u.user}/devices/dev-1`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${await tokenFor("intruder")}`, "Content-Type": "application/json" },
      body,
    });
    expect(await errorOf(res)).toEqual(unauthorized);
    expect(pulled()).toBeLessThanOrEqual(64 * 1024);
  });

  it("gets 401 for an upload to a made-up capability URL naming a real user, only the first bytes read", async () => {
    const u = await claimedUser();
    const { body, pulled } = jsonUpload(u.user, 60 * MiB);
    const res = await send(`/legacy/${await tokenFor("made-up")}/upload`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
    });
    expect(await errorOf(res)).toEqual(unauthorized);
    expect(pulled()).toBeLessThan(256 * 1024);
  });

  it("gets 401 for a Bearer upload with a made-up token naming a real user, only the first bytes read", async () => {
    const u = await claimedUser();
    const { body, pulled } = jsonUpload(u.user, 60 * MiB);
    const res = await send("/upload", {
      method: "POST",
      headers: { Authorization: `Bearer ${await tokenFor("made-up")}`, "Content-Type": "application/json" },
      body,
    });
    expect(await errorOf(res)).toEqual(unauthorized);
    expect(pulled()).toBeLessThan(256 * 1024);
  });

  it("gets 401 for a Bearer upload whose body names one user first and another last", async () => {
    const owner = await claimedUser();
    const victim = await claimedUser();
    const data = encryptedDataOf(fernetBytes());
    const res = await callWith({}, "/upload", {
      method: "POST",
      headers: { ...owner.auth, "Content-Type": "application/json" },
      body: `{"username":"${owner.user}","device_id":"d1","encrypted_data":"${data}","username":"${victim.user}"}`,
    });
    expect(await errorOf(res)).toEqual(unauthorized);
  });
});

describe("a document body without Content-Length", () => {
  it("is accepted from the owner when it is small", async () => {
    const u = await claimedUser();
    const bytes = fernetBytes(4);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    });
    const res = await send(`/v1/users/${u.user}/docs/notes`, {
      method: "PUT",
      headers: { ...u.auth, "X-Device-Id": "dev-1", "Content-Type": "application/octet-stream" },
      body,
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ version: 1, size: bytes.byteLength });
  });

  it("is refused from the owner with 411 once it passes 1 MiB, and nothing is stored", async () => {
    const u = await claimedUser();
    const before = await storageSnapshot();
    const { body, pulled } = countedBody(20 * MiB);
    const res = await send(`/v1/users/${u.user}/docs/notes`, {
      method: "PUT",
      headers: { ...u.auth, "X-Device-Id": "dev-1", "Content-Type": "application/octet-stream" },
      body,
    });
    expect(await errorOf(res)).toMatchObject({ status: 411, code: "length_required" });
    expect(pulled()).toBeLessThan(2 * MiB);
    expect(await storageSnapshot()).toEqual(before);
  });
});
