// worker/realtime/: live updates: the per-user Durable Object and how a stored version is announced to it.
/**
 * One Durable Object per user (named by username) holding that user's live WebSockets through the
 * Hibernation API, so idle devices cost nothing, and fanning each new document version out to them.
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

/** More sockets than any one person's devices; past it a new socket is refused (429). */
export const MAX_SOCKETS_PER_USER = 64;

interface SocketAttachment {
  device_id: string | null;
  connected_at: number;
  username: string;
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

  /** Accepts a WebSocket upgrade the live route has already authenticated. */
  override fetch(request: Request): Response {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return new Response("expected a WebSocket upgrade", { status: 426 });
    }
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
