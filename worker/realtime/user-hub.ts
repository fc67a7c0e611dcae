// worker/realtime/: live updates: the per-user Durable Object and how a stored version is announced to it.
/**
 * One Durable Object per account incarnation (named by the account's space, storage/accounts.ts)
 * holding its live WebSockets through the Hibernation API, so idle devices cost nothing, and
 * fanning each new document version out to them. A socket lives only as long as the credential it
 * was opened with: a credential change, the account's deletion or its device's removal closes it.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../config.ts";
import { encodeAnnouncement, type VersionAnnouncement } from "./announcement.ts";
import { encodeFrames, type Frame } from "../../client/core/protocol/change-frames.ts";
import {
  EntryIndex,
  type AccountUsage,
  type EntryInput,
  type IndexedEntry,
  type ResetBase,
  type SnapshotTrim,
} from "../changes/entry-index.ts";
import { fillGap, importAccount } from "../changes/entry-import.ts";

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
}

export class UserHub extends DurableObject<Env> {
  #entries: EntryIndex | undefined;

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
    const attachment: SocketAttachment = { device_id: deviceId, connected_at: Date.now(), username, credential };
    server.serializeAttachment(attachment);
    const headers = new Headers();
    // A browser that offered subprotocols fails the handshake unless one is echoed.
    if (protocol !== null) headers.set("Sec-WebSocket-Protocol", protocol);
    return new Response(null, { status: 101, webSocket: client, headers });
  }

  /**
   * RPC: tells every connected socket of this user about a new entry; answers how many it reached.
   * Every write is recorded here first (`record`), so no socket can miss one.
   */
  announce(announcement: VersionAnnouncement): { delivered: number } {
    const sockets = this.ctx.getWebSockets();
    if (sockets.length === 0) return { delivered: 0 };
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
    return { delivered };
  }

  /**
   * RPC: closes every socket opened with `credential` and refuses it from now on (a credential
   * change, to `next`, which opens sockets again even if an earlier change had revoked it: a key
   * rotated back); with null, every socket, and every later one (the account was deleted).
   * Returns how many sockets it closed.
   */
  async revoke(credential: string | null, next?: string): Promise<number> {
    await this.ctx.storage.put(credential === null ? ENDED_KEY : revokedKey(credential), true);
    // A deleted account's index goes with it: the name claimed again is another space, another hub.
    if (credential === null) this.#index.clear();
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

  /** The account's index of entries (worker/changes/), created on first use. */
  get #index(): EntryIndex {
    this.#entries ??= new EntryIndex(this.ctx.storage.sql);
    return this.#entries;
  }

  /** Imports the account as R2 holds it when the index has never seen it (an account of the previous release). */
  async #ready(space: string): Promise<EntryIndex> {
    const index = this.#index;
    if (!index.imported) {
      await this.ctx.blockConcurrencyWhile(async () => {
        if (!index.imported) await importAccount(this.env.BLOBS, space, index);
      });
    }
    return index;
  }

  /**
   * RPC: records an entry R2 has stored (before its write is acknowledged) and announces it to the
   * live sockets. Answers its sequence number and, when the document is due for compaction, the
   * version to snapshot.
   */
  async record(space: string, entry: EntryInput, keep: number): Promise<RecordAnswer> {
    const index = await this.#ready(space);
    let outcome = index.record(entry, keep);
    if (!outcome.recorded) {
      const head = outcome.head;
      await this.ctx.blockConcurrencyWhile(() => fillGap(this.env.BLOBS, space, index, entry.doc, head, entry.version));
      outcome = index.record(entry, keep);
    }
    if (!outcome.recorded) throw new Error(`the index could not record ${entry.doc} v${entry.version}`);
    if (outcome.seq > 0) {
      this.announce({
        doc: entry.doc,
        version: entry.version,
        device_id: entry.device_id,
        updated_at: entry.updated_at,
        seq: outcome.seq,
        kind: entry.kind,
      });
    }
    return { seq: outcome.seq, compact: outcome.compact };
  }

  /** RPC: makes the index hold `doc`'s versions up to `version` (R2 showed it to a writer that lost a race). */
  async catchUp(space: string, doc: string, version: number): Promise<void> {
    const index = await this.#ready(space);
    const head = index.doc(doc)?.head ?? 0;
    if (head >= version) return;
    await this.ctx.blockConcurrencyWhile(() => fillGap(this.env.BLOBS, space, index, doc, head, version + 1));
  }

  /** RPC: the entries after cursor `after`, as a changes body (docs/PROTOCOL.md "Sequence and cursor"). */
  async changesSince(space: string, after: number): Promise<ChangesAnswer> {
    const index = await this.#ready(space);
    const head = index.head;
    if (after > head) return { ahead: true, head, reset: false, more: false, body: new Uint8Array(0) };
    const frames: Frame[] = [];
    let more = false;
    const reset = after === 0 || after < index.floor;
    if (reset) {
      let budget = MAX_RESET_INLINE;
      const inline = (token: Uint8Array | null): Uint8Array | null => {
        if (token === null || token.length > budget) return null;
        budget -= token.length;
        return token;
      };
      for (const { base, after: rest } of index.reset(after)) {
        if (base !== null) frames.push(frameOf(base, inline(base.token)));
        for (const entry of rest) frames.push(frameOf(entry, inline(entry.token)));
      }
    } else {
      const page = index.since(after);
      more = page.more;
      for (const entry of page.entries) frames.push(frameOf(entry, entry.token));
    }
    return { ahead: false, head, reset, more, body: encodeFrames(frames) };
  }

  /** RPC: whether snapshot `version` of `doc` may be stored now. */
  async snapshotAllowed(
    space: string,
    doc: string,
    version: number,
  ): Promise<ReturnType<EntryIndex["snapshotAllowed"]>> {
    return (await this.#ready(space)).snapshotAllowed(doc, version);
  }

  /**
   * RPC: records a snapshot R2 has stored as its document's base and applies the history window
   * (`windowMs` long, ending now on this hub's clock); answers what R2 may now delete.
   */
  async recordSnapshot(
    space: string,
    snapshot: { doc: string; version: number; size: number; token: Uint8Array | null },
    windowMs: number,
  ): Promise<SnapshotTrim | null> {
    const index = await this.#ready(space);
    if (index.snapshotAllowed(snapshot.doc, snapshot.version) !== "ok") return null;
    const now = Date.now();
    return index.recordSnapshot({ ...snapshot, stored_at: now }, now - windowMs);
  }

  /** RPC: the bytes the index holds for the account (usage, and the storage bench). */
  async usage(space: string, keep?: number): Promise<AccountUsage> {
    return (await this.#ready(space)).usage(keep);
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

/** Inline tokens in a reset answer stop at this many bytes; the rest come by reference. */
const MAX_RESET_INLINE = 4 * 1024 * 1024;

export interface RecordAnswer {
  seq: number;
  /** The version to snapshot now, when the document's changes have grown past the compaction threshold. */
  compact: number | null;
}

export interface ChangesAnswer {
  /** The cursor was past the head: nothing else is set. */
  ahead: boolean;
  head: number;
  reset: boolean;
  more: boolean;
  body: Uint8Array;
}

/** An entry's frame, or a snapshot's (its writer is in its token; its time is when it was stored). */
function frameOf(entry: IndexedEntry | ResetBase, token: Uint8Array | null): Frame {
  const blob = entry.kind !== "tombstone" && token === null;
  const snapshot = entry.kind === "snapshot";
  return {
    header: {
      seq: entry.seq,
      doc: entry.doc,
      version: entry.version,
      kind: entry.kind,
      device_id: snapshot ? "" : entry.device_id,
      updated_at: snapshot ? new Date(entry.stored_at).toISOString() : entry.updated_at,
      size: entry.size,
      ...(blob ? { blob: true as const } : {}),
    },
    token: entry.kind === "tombstone" ? null : token,
  };
}

// With web_socket_auto_reply_to_close the runtime may already have answered the close frame.
function closeQuietly(socket: WebSocket, code: number, reason: string): void {
  try {
    socket.close(code, reason);
  } catch {
    // already closed
  }
}
