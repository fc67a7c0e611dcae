/** The per-user hub Durable Object on its own, in workerd: sockets, announcements, hibernation. */
import { env } from "cloudflare:workers";
import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { inboxOf } from "./support/live-socket.ts";
import { HUB_DEVICE_HEADER, HUB_USER_HEADER, MAX_SOCKETS_PER_USER } from "../../worker/realtime/user-hub.ts";

const hubs = env.USER_HUB;

/** Opens a socket to the hub of `user` as `device`, returning it with a queue of its messages. */
async function connect(user: string, device?: string) {
  const stub = hubs.get(hubs.idFromName(user));
  const headers: Record<string, string> = { Upgrade: "websocket", [HUB_USER_HEADER]: user };
  if (device !== undefined) headers[HUB_DEVICE_HEADER] = device;
  const res = await stub.fetch("http://hub/", { headers });
  expect(res.status).toBe(101);
  const socket = res.webSocket;
  if (socket === null) throw new Error("no socket");
  socket.accept();
  const inbox = inboxOf(socket);
  return { stub, socket, inbox };
}

const announcement = { doc: "notes", version: 3, device_id: "laptop", updated_at: "2026-01-02T03:04:05.000Z" };

describe("UserHub", () => {
  it("sends each connected socket the version announcement and nothing more", async () => {
    const a = await connect("hub-alice", "phone");
    const b = await connect("hub-alice", "tablet");
    const heard = await a.stub.announce({ ...announcement, size: 99, bytes: "secret" } as typeof announcement);
    expect(heard).toEqual({ delivered: 2 });
    for (const peer of [a, b]) {
      expect(await peer.inbox.next()).toEqual({ type: "version", ...announcement });
    }
  });

  it("keeps another user's sockets out of the announcement", async () => {
    const alice = await connect("hub-iso-alice", "phone");
    const bob = await connect("hub-iso-bob", "phone");
    expect(await alice.stub.announce(announcement)).toEqual({ delivered: 1 });
    expect(await alice.inbox.next()).toMatchObject({ type: "version" });
    // The round trip of an RPC to bob's hub orders after anything it could have sent bob.
    expect(await bob.stub.connectedDevices()).toEqual(["phone"]);
    expect(bob.inbox.pending()).toBe(0);
  });

  it("still reaches sockets after the hub hibernates and wakes", async () => {
    const a = await connect("hub-sleeper", "phone");
    await evictDurableObject(a.stub);
    expect(await a.stub.announce(announcement)).toEqual({ delivered: 1 });
    expect(await a.inbox.next()).toEqual({ type: "version", ...announcement });
    expect(await a.stub.connectedDevices()).toEqual(["phone"]);
  });

  it("with no socket, delivers nothing", async () => {
    const stub = hubs.get(hubs.idFromName("hub-nobody"));
    expect(await stub.announce(announcement)).toEqual({ delivered: 0 });
  });

  it("refuses an upgrade that does not name the hub's user with 400", async () => {
    const stub = hubs.get(hubs.idFromName("hub-anonymous"));
    const res = await stub.fetch("http://hub/", { headers: { Upgrade: "websocket" } });
    expect(res.status).toBe(400);
    expect(await stub.connectedDevices()).toEqual([]);
  });

  it("answers ping with pong without any application code", async () => {
    const a = await connect("hub-pinger");
    a.socket.send("ping");
    expect(await a.inbox.nextRaw()).toBe("pong");
  });

  it("refuses an upgrade past the per-user socket limit with 429", async () => {
    const stub = hubs.get(hubs.idFromName("hub-crowded"));
    const headers = { Upgrade: "websocket", [HUB_USER_HEADER]: "hub-crowded" };
    const open: WebSocket[] = [];
    for (let i = 0; i < MAX_SOCKETS_PER_USER; i += 1) {
      const res = await stub.fetch("http://hub/", { headers });
      expect(res.status).toBe(101);
      res.webSocket?.accept();
      if (res.webSocket) open.push(res.webSocket);
    }
    const res = await stub.fetch("http://hub/", { headers });
    expect(res.status).toBe(429);
    for (const socket of open) socket.close(1000, "done");
  });

  it("answers a request that is not an upgrade with 426", async () => {
    const stub = hubs.get(hubs.idFromName("hub-plain"));
    const res = await stub.fetch("http://hub/");
    expect(res.status).toBe(426);
  });
});
