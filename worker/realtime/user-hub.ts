/**
 * One Durable Object per user (named by username) holding that user's live WebSockets through the
 * Hibernation API, so idle devices cost nothing, and fanning each new document version out to them.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../config.ts";
import { encodeAnnouncement, type VersionAnnouncement } from "./announcement.ts";

/** Sent by the live route to the hub; only the Worker can reach a DO, so these are trusted. */
export const HUB_DEVICE_HEADER = "X-Hub-Device";
export const HUB_PROTOCOL_HEADER = "X-Hub-Protocol";

/** More sockets than any one person's devices; past it a new socket is refused (429). */
export const MAX_SOCKETS_PER_USER = 64;

interface SocketAttachment {
  device_id: string | null;
  connected_at: number;
}

export class UserHub extends DurableObject<Env> {
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
    const deviceId = request.headers.get(HUB_DEVICE_HEADER);
    const protocol = request.headers.get(HUB_PROTOCOL_HEADER);
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, deviceId === null ? [] : [deviceId]);
    const attachment: SocketAttachment = { device_id: deviceId, connected_at: Date.now() };
    server.serializeAttachment(attachment);
    const headers = new Headers();
    // A browser that offered subprotocols fails the handshake unless one is echoed.
    if (protocol !== null) headers.set("Sec-WebSocket-Protocol", protocol);
    return new Response(null, { status: 101, webSocket: client, headers });
  }

  /** RPC: tells every connected socket of this user about a new version; returns how many heard. */
  announce(announcement: VersionAnnouncement): number {
    const message = encodeAnnouncement(announcement);
    let delivered = 0;
    for (const socket of this.ctx.getWebSockets()) {
      try {
        socket.send(message);
        delivered += 1;
      } catch {
        // A socket closing concurrently: its device catches up by pulling when it reconnects.
      }
    }
    return delivered;
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
