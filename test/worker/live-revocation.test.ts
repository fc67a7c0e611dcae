/**
 * Live sockets do not outlive what opened them: a credential change, the account's deletion or a
 * device's removal closes the affected sockets at once, a socket authenticated just before the
 * change cannot open just after it, and a name claimed again gets a hub of its own, so an old
 * socket never hears the next owner's documents.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hashToken } from "../../worker/auth/token-hash.ts";
import {
  CLOSE_ACCOUNT_DELETED,
  CLOSE_CREDENTIAL_REPLACED,
  CLOSE_DEVICE_REMOVED,
  HUB_CREDENTIAL_HEADER,
  HUB_USER_HEADER,
} from "../../worker/realtime/user-hub.ts";
import { bearer, call, errorOf } from "./support/api.ts";
import { claimedUser, putDoc, type TestUser } from "./support/docs.ts";
import { closed, inboxOf, type Inbox } from "./support/live-socket.ts";
import { spaceOf } from "./support/space.ts";
import { tokenFor } from "./support/tokens.ts";

async function connect(u: { user: string; auth: Record<string, string> }, device: string) {
  const res = await call(`/v1/users/${u.user}/live?device_id=${device}`, {
    headers: { Upgrade: "websocket", ...u.auth },
  });
  expect(res.status).toBe(101);
  const socket = res.webSocket!;
  socket.accept();
  return { socket, inbox: inboxOf(socket), closing: closed(socket) };
}

/** The close code, or "still open" when none came within a second. */
function closeCode(closing: Promise<number>): Promise<number | "still open"> {
  return Promise.race([closing, new Promise<"still open">((r) => setTimeout(() => r("still open"), 1000))]);
}

/** Nothing arrived: a round trip to the hub orders after anything it could have sent. */
async function heardNothing(user: string, inbox: Inbox): Promise<void> {
  await env.USER_HUB.get(env.USER_HUB.idFromName(await spaceOf(user))).connectedDevices();
  expect(inbox.pending()).toBe(0);
}

const json = { "Content-Type": "application/json" };

describe("a live socket", () => {
  it("is closed at once when the credential is replaced, and its old token cannot open another", async () => {
    const u = await claimedUser("live-cred");
    const phone = await connect(u, "phone0001");
    const next = await tokenFor(`${u.user}:next`);
    const moved = await call(`/v1/users/${u.user}/credential`, {
      method: "PUT",
      headers: { ...u.admin, ...json },
      body: JSON.stringify({ token: next }),
    });
    expect(moved.status).toBe(204);
    expect(await closeCode(phone.closing)).toBe(CLOSE_CREDENTIAL_REPLACED);
    expect(await putDoc({ user: u.user, auth: bearer(next) }, "notes")).toMatchObject({ status: 201 });
    expect(phone.inbox.pending()).toBe(0);
    const again = await call(`/v1/users/${u.user}/live`, { headers: { Upgrade: "websocket", ...u.auth } });
    expect((await errorOf(again)).status).toBe(401);
    // The new credential opens a socket as before.
    const fresh = await connect({ user: u.user, auth: bearer(next) }, "phone0001");
    expect(await closeCode(fresh.closing)).toBe("still open");
  });

  it("of a deleted account is closed, and never hears the documents of the name's next owner", async () => {
    const u = await claimedUser("live-gone");
    const phone = await connect(u, "phone0001");
    expect((await call(`/v1/users/${u.user}`, { method: "DELETE", headers: u.admin })).status).toBe(204);
    expect(await closeCode(phone.closing)).toBe(CLOSE_ACCOUNT_DELETED);
    const stranger: Pick<TestUser, "user" | "auth"> = { user: u.user, auth: bearer(await tokenFor("stranger")) };
    expect((await call(`/v1/users/${u.user}`, { method: "PUT", headers: stranger.auth })).status).toBe(201);
    const theirs = await connect(stranger, "laptop001");
    expect((await putDoc(stranger, "secret-plans")).status).toBe(201);
    expect(await theirs.inbox.next()).toMatchObject({ doc: "secret-plans", version: 1 });
    expect(phone.inbox.pending()).toBe(0);
  });

  it("of a removed device is closed, and the other devices' stay open", async () => {
    const u = await claimedUser("live-device");
    await putDoc(u, "notes", undefined, { "X-Device-Id": "phone0001" });
    const phone = await connect(u, "phone0001");
    const laptop = await connect(u, "laptop001");
    const removed = await call(`/v1/users/${u.user}/devices/phone0001`, { method: "DELETE", headers: u.admin });
    expect(removed.status).toBe(204);
    expect(await closeCode(phone.closing)).toBe(CLOSE_DEVICE_REMOVED);
    expect((await putDoc(u, "notes")).status).toBe(200);
    expect(await laptop.inbox.next()).toMatchObject({ doc: "notes", version: 2 });
    await heardNothing(u.user, phone.inbox);
  });
});

describe("the hub", () => {
  it("refuses a socket whose credential was replaced after the live route authenticated it", async () => {
    const u = await claimedUser("live-race");
    const space = await spaceOf(u.user);
    const hub = env.USER_HUB.get(env.USER_HUB.idFromName(space));
    const credential = await hashToken(u.token);
    await hub.revoke(credential);
    const late = await hub.fetch("http://hub/", {
      headers: { Upgrade: "websocket", [HUB_USER_HEADER]: space, [HUB_CREDENTIAL_HEADER]: credential },
    });
    expect(late.status).toBe(410);
    const other = await hub.fetch("http://hub/", {
      headers: { Upgrade: "websocket", [HUB_USER_HEADER]: space, [HUB_CREDENTIAL_HEADER]: "another" },
    });
    expect(other.status).toBe(101);
    other.webSocket?.accept();
    other.webSocket?.close(1000, "done");
  });

  it("opens sockets again for a credential that comes back (a key rotated back to an earlier one)", async () => {
    const u = await claimedUser("live-back");
    const away = await tokenFor(`${u.user}:away`);
    for (const [auth, token] of [
      [u.admin, away],
      [u.admin, u.token],
    ] as const) {
      const moved = await call(`/v1/users/${u.user}/credential`, {
        method: "PUT",
        headers: { ...auth, ...json },
        body: JSON.stringify({ token }),
      });
      expect(moved.status).toBe(204);
    }
    const back = await connect(u, "phone0001");
    expect(await closeCode(back.closing)).toBe("still open");
  });
});
