/**
 * LiveSubscription's state machine against a scripted WebSocket (a fake that mirrors the WHATWG
 * event order: error then close, close after a refused handshake). The real socket against the
 * Worker in workerd is covered in test/e2e/live.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  LiveSubscription,
  parseAnnouncement,
  type LiveStatus,
  type VersionAnnouncement,
} from "../../../../client/core/wire/live.ts";
import { startLiveAutoSync } from "../../../../client/core/auto/live-wake.ts";

type Handler = (event: { code?: number; reason?: string; data?: unknown }) => void;

class ScriptedSocket {
  static made: ScriptedSocket[] = [];
  readonly handlers = new Map<string, Handler[]>();
  readonly sent: string[] = [];
  closedWith: [number | undefined, string | undefined] | undefined;
  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    ScriptedSocket.made.push(this);
  }
  addEventListener(type: string, handler: Handler): void {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), handler]);
  }
  send(data: string): void {
    this.sent.push(data);
  }
  close(code?: number, reason?: string): void {
    this.closedWith = [code, reason];
  }
  emit(type: string, event: { code?: number; reason?: string; data?: unknown } = {}): void {
    for (const handler of this.handlers.get(type) ?? []) handler(event);
  }
  static last(): ScriptedSocket {
    const socket = ScriptedSocket.made.at(-1);
    if (!socket) throw new Error("no socket made");
    return socket;
  }
}

const announcement: VersionAnnouncement = {
  doc: "default",
  version: 7,
  device_id: "a1b2",
  updated_at: "2026-01-01T00:00:00.000Z",
};

function subscribe(extra: Partial<ConstructorParameters<typeof LiveSubscription>[0]> = {}) {
  const live = new LiveSubscription({
    baseUrl: "https://sync.example.com/",
    username: "alice",
    token: "tok-123",
    WebSocket: ScriptedSocket,
    random: () => 1,
    ...extra,
  });
  const statuses: LiveStatus[] = [];
  const versions: VersionAnnouncement[] = [];
  live.onStatus((s) => statuses.push(s));
  live.onVersion((v) => versions.push(v));
  return { live, statuses, versions };
}

beforeEach(() => {
  ScriptedSocket.made = [];
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("LiveSubscription", () => {
  it("opens a wss socket to the user's live route with the token as a subprotocol", () => {
    const { live } = subscribe({ deviceId: "laptop-1", baseUrl: "https://sync.example.com/base" });
    live.start();
    const socket = ScriptedSocket.last();
    expect(socket.url).toBe("wss://sync.example.com/base/v1/users/alice/live?device_id=laptop-1");
    expect(socket.protocols).toEqual(["cloud-sync.v1", "bearer.tok-123"]);
    live.close();
  });

  it("uses ws for an http base URL", () => {
    const { live } = subscribe({ baseUrl: "http://127.0.0.1:8787" });
    expect(live.url).toBe("ws://127.0.0.1:8787/v1/users/alice/live");
  });

  it("reports connecting then open and delivers each announcement", () => {
    const { live, statuses, versions } = subscribe();
    live.start();
    const socket = ScriptedSocket.last();
    socket.emit("open");
    socket.emit("message", { data: JSON.stringify({ type: "version", ...announcement }) });
    expect(statuses.map((s) => s.state)).toEqual(["connecting", "open"]);
    expect(versions).toEqual([announcement]);
    live.close();
  });

  it("ignores pong, unknown message types and malformed announcements", () => {
    const { live, versions } = subscribe();
    live.start();
    const socket = ScriptedSocket.last();
    socket.emit("open");
    for (const data of [
      "pong",
      "{oops",
      JSON.stringify({ type: "hello" }),
      JSON.stringify({ type: "version", doc: "x", version: 0, device_id: "d", updated_at: "t" }),
    ]) {
      socket.emit("message", { data });
    }
    expect(versions).toEqual([]);
    live.close();
  });

  it("falls back when refused and retries with doubling delays up to the ceiling", () => {
    const { live, statuses } = subscribe({ minDelayMs: 100, maxDelayMs: 350 });
    live.start();
    for (let i = 0; i < 4; i += 1) {
      ScriptedSocket.last().emit("error");
      ScriptedSocket.last().emit("close", { code: 1006 });
      vi.advanceTimersByTime(1000);
    }
    const fallbacks = statuses.filter((s) => s.state === "fallback");
    expect(fallbacks.map((s) => s.retryInMs)).toEqual([100, 200, 350, 350]);
    expect(fallbacks.map((s) => s.failures)).toEqual([1, 2, 3, 4]);
    expect(fallbacks[0]?.reason).toBe("refused (code 1006)");
    expect(ScriptedSocket.made).toHaveLength(5);
    live.close();
  });

  it("spreads retries with jitter between half and all of the ceiling", () => {
    const { live, statuses } = subscribe({ minDelayMs: 1000, random: () => 0 });
    live.start();
    ScriptedSocket.last().emit("close", { code: 1006 });
    expect(statuses.at(-1)).toMatchObject({ state: "fallback", retryInMs: 500 });
    live.close();
  });

  it("reconnects after a dropped socket and resets the failure count once open", () => {
    const { live, statuses, versions } = subscribe({ minDelayMs: 100 });
    live.start();
    ScriptedSocket.last().emit("open");
    ScriptedSocket.last().emit("close", { code: 1001, reason: "going away" });
    expect(statuses.at(-1)).toMatchObject({
      state: "fallback",
      failures: 1,
      reason: "dropped (code 1001: going away)",
    });
    vi.advanceTimersByTime(100);
    const second = ScriptedSocket.last();
    expect(ScriptedSocket.made).toHaveLength(2);
    second.emit("open");
    second.emit("message", { data: JSON.stringify({ type: "version", ...announcement }) });
    expect(statuses.at(-1)).toEqual({ state: "open", failures: 0 });
    expect(versions).toEqual([announcement]);
    live.close();
  });

  it("closes cleanly: code 1000, a final closed status, and no retry afterwards", () => {
    const { live, statuses } = subscribe({ minDelayMs: 100 });
    live.start();
    const socket = ScriptedSocket.last();
    socket.emit("open");
    live.close();
    expect(socket.closedWith).toEqual([1000, "client closing"]);
    socket.emit("close", { code: 1000 });
    vi.advanceTimersByTime(60_000);
    expect(ScriptedSocket.made).toHaveLength(1);
    expect(statuses.map((s) => s.state)).toEqual(["connecting", "open", "closed"]);
    expect(live.status.state).toBe("closed");
  });

  it("cancels a pending retry when closed during fallback", () => {
    const { live } = subscribe({ minDelayMs: 100 });
    live.start();
    ScriptedSocket.last().emit("close", { code: 1006 });
    live.close();
    vi.advanceTimersByTime(10_000);
    expect(ScriptedSocket.made).toHaveLength(1);
  });

  it("reports a permanent fallback when the runtime has no WebSocket", () => {
    const original = globalThis.WebSocket;
    vi.stubGlobal("WebSocket", undefined);
    try {
      const live = new LiveSubscription({ baseUrl: "http://127.0.0.1:1", username: "alice", token: "t" });
      live.start();
      expect(live.status).toEqual({ state: "fallback", failures: 0, reason: "no WebSocket in this runtime" });
    } finally {
      vi.stubGlobal("WebSocket", original);
    }
  });

  it("pings an open socket and treats two silent periods as a drop", () => {
    const { live, statuses } = subscribe({ heartbeatMs: 1000, minDelayMs: 100 });
    live.start();
    const socket = ScriptedSocket.last();
    socket.emit("open");
    vi.advanceTimersByTime(1000);
    expect(socket.sent).toEqual(["ping"]);
    socket.emit("message", { data: "pong" });
    vi.advanceTimersByTime(2000);
    expect(statuses.at(-1)?.state).toBe("open");
    vi.advanceTimersByTime(1000);
    expect(statuses.at(-1)).toMatchObject({ state: "fallback", reason: "dropped (no answer to ping)" });
    expect(socket.closedWith?.[0]).toBe(4000);
    live.close();
  });

  it("asks a token function again before each connection", async () => {
    const tokens = ["first", "second"];
    const { live } = subscribe({ token: () => tokens.shift() ?? "none", minDelayMs: 100 });
    live.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(ScriptedSocket.last().protocols).toEqual(["cloud-sync.v1", "bearer.first"]);
    ScriptedSocket.last().emit("close", { code: 1006 });
    await vi.advanceTimersByTimeAsync(100);
    expect(ScriptedSocket.last().protocols).toEqual(["cloud-sync.v1", "bearer.second"]);
    live.close();
  });

  it("falls back and retries when the token function fails", async () => {
    const { live, statuses } = subscribe({ token: () => Promise.reject(new Error("store locked")) });
    live.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(statuses.at(-1)).toMatchObject({ state: "fallback", failures: 1, reason: "no token: store locked" });
    expect(ScriptedSocket.made).toHaveLength(0);
    live.close();
  });

  it("rejects a relative base URL, an empty token and inverted delays at construction", () => {
    const base = { baseUrl: "https://x.test", username: "alice", token: "t", WebSocket: ScriptedSocket };
    expect(() => new LiveSubscription({ ...base, baseUrl: "/relative" })).toThrow(TypeError);
    expect(() => new LiveSubscription({ ...base, token: "" })).toThrow(TypeError);
    expect(() => new LiveSubscription({ ...base, minDelayMs: 10, maxDelayMs: 5 })).toThrow(RangeError);
  });
});

describe("parseAnnouncement", () => {
  it("keeps only the four announcement fields", () => {
    const parsed = parseAnnouncement(JSON.stringify({ type: "version", ...announcement, extra: "x" }));
    expect(parsed).toEqual(announcement);
  });
});

describe("startLiveAutoSync", () => {
  it("wakes a sync of an announced document written by another device, and of all on each open", async () => {
    const wakes: Array<string | undefined> = [];
    const live = startLiveAutoSync({
      baseUrl: "https://sync.example.com",
      username: "alice",
      deviceId: "me",
      token: () => "t",
      documents: ["default", "notes"],
      wake: (doc) => wakes.push(doc),
      WebSocket: ScriptedSocket,
    });
    await vi.advanceTimersByTimeAsync(0);
    const socket = ScriptedSocket.last();
    socket.emit("open");
    const say = (fields: Partial<VersionAnnouncement>) =>
      socket.emit("message", { data: JSON.stringify({ type: "version", ...announcement, ...fields }) });
    say({ doc: "notes", device_id: "laptop" });
    say({ doc: "notes", device_id: "me" });
    say({ doc: "photos", device_id: "laptop" });
    expect(wakes).toEqual([undefined, "notes"]);
    live.close();
  });
});
