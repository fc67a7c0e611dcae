// worker/realtime/: live updates: the per-user Durable Object and how a stored version is announced to it.
/**
 * One Durable Object per account incarnation (named by the account's space, storage/accounts.ts)
 * holding its live WebSockets through the Hibernation API, so idle devices cost nothing, and
 * fanning each new document version out to them. A socket lives only as long as the credential it
 * was opened with: a credential change, the account's deletion or its device's removal closes it.
 */
import { DurableObject } from "cloudflare:workers";
import { parseConfig, type Env } from "../config.ts";
import { summarizeDocuments } from "../storage/documents.ts";
import { announcementOf, encodeAnnouncement, type VersionAnnouncement } from "./announcement.ts";
import { QUIET_MS, SWEEP_CLOCK_SLACK_MS, SWEEP_DELAY_MS, type AnnounceAnswer } from "./quiet-window.ts";

/** Sent by the live route to the hub; only the Worker can reach a DO, so these are trusted. */
export const HUB_USER_HEADER = "X-Hub-User";
export const HUB_DEVICE_HEADER = "X-Hub-Device";
export const HUB_PROTOCOL_HEADER = "X-Hub-Protocol";
/** The SHA-256 of the routine token the socket was authenticated with (never the token). */
export const HUB_CREDENTIAL_HEADER = "X-Hub-Credential";

/** Close codes (RFC 6455 §7.4.2 leaves 4000-4999 to applications); the live route answers 401 after them. */
export const CLOSE_CREDENTIAL_REPLACED = 4001;
export const CLOSE_ACCOUNT_DELETED = 4002;
export const CLOSE_DEVICE_REMOVED = 4003;

/** What the hub refuses to open a socket for: a replaced credential, or every one once the account is gone. */
const ENDED_KEY = "ended";
const revokedKey = (credential: string): string => `revoked:${credential}`;

/** More sockets than any one person's devices; past it a new socket is refused (429). */
export const MAX_SOCKETS_PER_USER = 64;

interface SocketAttachment {
  device_id: string | null;
  connected_at: number;
  username: string;
  /** The credential (token hash) it was opened with: replacing it closes the socket. */
  credential: string | null;
  /** Set while the socket connected inside a quiet window and the hub has not yet swept R2 for it. */
  catch_up?: true;
}

export class UserHub extends DurableObject<Env> {
  /**
   * Until when writers may be skipping this hub (quiet-window.ts). A new instance cannot know
   * what an earlier one granted, so it assumes a grant just began.
   */
  #quietUntil = Date.now() + QUIET_MS;
  #sweep: { at: number; timer: ReturnType<typeof setTimeout> } | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Heartbeats are answered by the runtime without waking a hibernated hub.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  /**
   * Accepts a WebSocket upgrade the live route has already authenticated, unless its credential was
   * replaced or the account deleted since (410): a request authenticated just before the change
   * must not open a socket just after it.
   */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return new Response("expected a WebSocket upgrade", { status: 426 });
    }
    const credential = request.headers.get(HUB_CREDENTIAL_HEADER);
    const refused = await this.ctx.storage.get<boolean>(
      credential === null ? [ENDED_KEY] : [ENDED_KEY, revokedKey(credential)],
    );
    if (refused.size > 0) return new Response("the credential no longer opens this account", { status: 410 });
    if (this.ctx.getWebSockets().length >= MAX_SOCKETS_PER_USER) {
      return new Response("too many live connections", { status: 429 });
    }
    const username = request.headers.get(HUB_USER_HEADER);
    if (username === null) return new Response("missing the hub's user", { status: 400 });
    const deviceId = request.headers.get(HUB_DEVICE_HEADER);
    const protocol = request.headers.get(HUB_PROTOCOL_HEADER);
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, deviceId === null ? [] : [deviceId]);
    const now = Date.now();
    const catchUp = now < this.#quietUntil;
    const attachment: SocketAttachment = {
      device_id: deviceId,
      connected_at: now,
      username,
      credential,
      ...(catchUp ? { catch_up: true as const } : {}),
    };
    server.serializeAttachment(attachment);
    if (catchUp) this.#scheduleSweep(this.#quietUntil + SWEEP_DELAY_MS);
    const headers = new Headers();
    // A browser that offered subprotocols fails the handshake unless one is echoed.
    if (protocol !== null) headers.set("Sec-WebSocket-Protocol", protocol);
    return new Response(null, { status: 101, webSocket: client, headers });
  }

  /**
   * RPC: tells every connected socket of this user about a new version. With no socket, grants
   * the writer a quiet window instead (quiet-window.ts).
   */
  announce(announcement: VersionAnnouncement): AnnounceAnswer {
    const sockets = this.ctx.getWebSockets();
    if (sockets.length === 0) {
      this.#quietUntil = Math.max(this.#quietUntil, Date.now() + QUIET_MS);
      return { delivered: 0, quietForMs: QUIET_MS };
    }
    const message = encodeAnnouncement(announcement);
    let delivered = 0;
    for (const socket of sockets) {
      try {
        socket.send(message);
        delivered += 1;
      } catch {
        // A socket closing concurrently: its device catches up by pulling when it reconnects.
      }
    }
    return { delivered, quietForMs: 0 };
  }

  /**
   * RPC: closes every socket opened with `credential` and refuses it from now on (a credential
   * change, to `next`, which opens sockets again even if an earlier change had revoked it: a key
   * rotated back); with null, every socket, and every later one (the account was deleted).
   * Returns how many sockets it closed.
   */
  async revoke(credential: string | null, next?: string): Promise<number> {
    await this.ctx.storage.put(credential === null ? ENDED_KEY : revokedKey(credential), true);
    if (next !== undefined && next !== credential) await this.ctx.storage.delete(revokedKey(next));
    let closed = 0;
    for (const socket of this.ctx.getWebSockets()) {
      const attachment = socket.deserializeAttachment() as SocketAttachment | null;
      // A socket of the previous release has no credential recorded: it goes with any change.
      const opened = attachment?.credential ?? null;
      if (credential !== null && opened !== null && opened !== credential) continue;
      closeQuietly(
        socket,
        credential === null ? CLOSE_ACCOUNT_DELETED : CLOSE_CREDENTIAL_REPLACED,
        credential === null ? "account deleted" : "credential replaced",
      );
      closed += 1;
    }
    return closed;
  }

  /** RPC: closes the sockets of a device removed from the registry; returns how many. */
  closeDevice(deviceId: string): number {
    const sockets = this.ctx.getWebSockets(deviceId);
    for (const socket of sockets) closeQuietly(socket, CLOSE_DEVICE_REMOVED, "device removed");
    return sockets.length;
  }

  /** RPC: the device ids with an open socket now (operators' diagnostics, and a round-trip barrier in tests). */
  connectedDevices(): string[] {
    const ids = new Set<string>();
    for (const socket of this.ctx.getWebSockets()) {
      const attachment = socket.deserializeAttachment() as SocketAttachment | null;
      if (attachment?.device_id) ids.add(attachment.device_id);
    }
    return [...ids].sort();
  }

  #scheduleSweep(at: number): void {
    if (this.#sweep !== undefined && this.#sweep.at >= at) return;
    if (this.#sweep !== undefined) clearTimeout(this.#sweep.timer);
    // A pending timer also keeps the hub from hibernating before the sweep has run.
    const timer = setTimeout(
      () => {
        this.#sweep = undefined;
        this.#runSweep().catch((err: unknown) =>
          console.error("live sweep failed", err instanceof Error ? err.message : String(err)),
        );
      },
      Math.max(0, at - Date.now()),
    );
    this.#sweep = { at, timer };
  }

  /** Sends each socket that connected inside a quiet window the versions stored since it connected. */
  async #runSweep(): Promise<void> {
    if (Date.now() < this.#quietUntil + SWEEP_DELAY_MS) {
      this.#scheduleSweep(this.#quietUntil + SWEEP_DELAY_MS);
      return;
    }
    const waiting = this.ctx.getWebSockets().flatMap((socket) => {
      const attachment = socket.deserializeAttachment() as SocketAttachment | null;
      return attachment?.catch_up === true ? [{ socket, attachment }] : [];
    });
    const first = waiting[0];
    if (first === undefined) return;
    const since = Math.min(...waiting.map((w) => w.attachment.connected_at)) - SWEEP_CLOCK_SLACK_MS;
    let recent: Array<{ storedAt: number; message: string }>;
    try {
      const { current } = await summarizeDocuments(
        this.env.BLOBS,
        first.attachment.username,
        parseConfig(this.env).historyRetention,
      );
      recent = current
        .filter((v) => v.storedAt >= since)
        .map((v) => ({ storedAt: v.storedAt, message: encodeAnnouncement(announcementOf(v)) }));
    } catch {
      // Without the sweep these sockets may have missed a write: a reconnect makes their devices pull.
      for (const { socket } of waiting) closeQuietly(socket, 1013, "try again: reconnect and pull");
      return;
    }
    for (const { socket, attachment } of waiting) {
      for (const { storedAt, message } of recent) {
        if (storedAt < attachment.connected_at - SWEEP_CLOCK_SLACK_MS) continue;
        try {
          socket.send(message);
        } catch {
          // closing concurrently: its device pulls when it reconnects
        }
      }
      const { catch_up: _, ...swept } = attachment;
      socket.serializeAttachment(swept);
    }
  }

  // Clients send only "ping", which the auto-response answers; anything else is ignored.
  override webSocketMessage(): void {}

  override webSocketClose(socket: WebSocket, code: number, reason: string): void {
    // 1005/1006 describe a close without a frame and may not be sent back (RFC 6455 §7.4.1).
    closeQuietly(socket, code === 1005 || code === 1006 ? 1000 : code, reason);
  }

  override webSocketError(socket: WebSocket): void {
    closeQuietly(socket, 1011, "socket error");
  }
}

// With web_socket_auto_reply_to_close the runtime may already have answered the close frame.
function closeQuietly(socket: WebSocket, code: number, reason: string): void {
  try {
    socket.close(code, reason);
  } catch {
    // already closed
  }
}
