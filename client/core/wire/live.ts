/**
 * A live subscription to a user's version announcements (`GET /v1/users/:u/live`, PROTOCOL.md):
 * one WebSocket, reconnected with exponential back-off and jitter, reporting when callers must
 * fall back to polling and when they may stop.
 */

/** A new version of a document exists on the server; it carries no data (the device pulls it). */
export interface VersionAnnouncement {
  doc: string;
  version: number;
  device_id: string;
  updated_at: string;
}

/**
 * - `idle`: not started yet.
 * - `connecting`: a socket is being opened (first time, or a retry).
 * - `open`: announcements flow; callers should pull once now to catch anything missed before.
 * - `fallback`: no socket (refused, dropped, or no WebSocket in this runtime): poll until `open`.
 * - `closed`: `close()` was called; nothing more is emitted.
 */
export type LiveState = "idle" | "connecting" | "open" | "fallback" | "closed";

export interface LiveStatus {
  state: LiveState;
  /** Consecutive failed attempts since the last open socket. */
  failures: number;
  /** In `fallback`: when the next attempt starts, or undefined when none will. */
  retryInMs?: number;
  /** In `fallback`: why, in words (close code and reason, or a missing WebSocket). */
  reason?: string;
}

/** The part of the WHATWG WebSocket used here, which browsers, Workers, Node 22 and undici share. */
export interface WebSocketLike {
  addEventListener(type: "open" | "close" | "error" | "message", listener: (event: LiveSocketEvent) => void): void;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** The fields read from events: `code`/`reason` on close, `data` on message. */
export interface LiveSocketEvent {
  code?: number;
  reason?: string;
  data?: unknown;
}

export type WebSocketConstructorLike = new (url: string, protocols?: string | string[]) => WebSocketLike;

export interface LiveOptions {
  /** Server origin, with or without a path prefix, e.g. `https://sync.example.com`. */
  baseUrl: string;
  username: string;
  /**
   * The credential token (PROTOCOL.md "Credential"), sent as the `bearer.<token>` subprotocol; a
   * function is asked again before every connection, so a rotated key takes effect on reconnect.
   */
  token: string | (() => string | Promise<string>);
  /** This device, so the server can close its socket when the device is removed. */
  deviceId?: string;
  /** The WebSocket constructor; defaults to the global one (browsers, Workers, Node >= 22). */
  WebSocket?: WebSocketConstructorLike;
  /** First retry delay before jitter (default 500 ms); it doubles per failure up to `maxDelayMs`. */
  minDelayMs?: number;
  /** Longest retry delay (default 30 s). */
  maxDelayMs?: number;
  /** How often to ping an open socket (default 25 s); silence for two periods counts as a drop. */
  heartbeatMs?: number;
  /** Source of jitter in [0, 1); tests pin it. */
  random?: () => number;
}

export const LIVE_SUBPROTOCOL = "cloud-sync.v1";

type Listener<T> = (value: T) => void;

/**
 * Subscribes to announcements; `start()` opens the socket, `close()` ends it for good.
 *
 * @example
 * const live = new LiveSubscription({ baseUrl, username: "alice", token });
 * live.onVersion((a) => manager.requestSync(a.doc));
 * live.onStatus((s) => (s.state === "fallback" ? startPolling() : stopPolling()));
 * live.start();
 */
export class LiveSubscription {
  readonly #options: Required<Omit<LiveOptions, "deviceId" | "WebSocket">> & { deviceId: string | undefined };
  readonly #WebSocket: WebSocketConstructorLike | undefined;
  readonly #versionListeners = new Set<Listener<VersionAnnouncement>>();
  readonly #statusListeners = new Set<Listener<LiveStatus>>();
  #status: LiveStatus = { state: "idle", failures: 0 };
  #socket: WebSocketLike | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  #lastHeard = 0;
  #started = false;
  #closed = false;

  constructor(options: LiveOptions) {
    if (typeof options.baseUrl !== "string" || !URL.canParse(options.baseUrl)) {
      throw new TypeError("LiveSubscription: baseUrl must be an absolute URL");
    }
    if (typeof options.username !== "string" || options.username === "") {
      throw new TypeError("LiveSubscription: username is required");
    }
    if (typeof options.token === "string" ? options.token === "" : typeof options.token !== "function") {
      throw new TypeError("LiveSubscription: token must be a non-empty string or a function returning one");
    }
    const minDelayMs = options.minDelayMs ?? 500;
    const maxDelayMs = options.maxDelayMs ?? 30_000;
    const heartbeatMs = options.heartbeatMs ?? 25_000;
    if (!(minDelayMs > 0) || !(maxDelayMs >= minDelayMs) || !(heartbeatMs > 0)) {
      throw new RangeError("LiveSubscription: need 0 < minDelayMs <= maxDelayMs and heartbeatMs > 0");
    }
    this.#options = {
      baseUrl: options.baseUrl,
      username: options.username,
      token: options.token,
      deviceId: options.deviceId,
      minDelayMs,
      maxDelayMs,
      heartbeatMs,
      random: options.random ?? Math.random,
    };
    this.#WebSocket = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructorLike }).WebSocket;
  }

  /** The current state; also delivered to `onStatus` listeners on every change. */
  get status(): LiveStatus {
    return { ...this.#status };
  }

  /** Calls `listener` for each announcement; returns a function that stops it. */
  onVersion(listener: Listener<VersionAnnouncement>): () => void {
    this.#versionListeners.add(listener);
    return () => this.#versionListeners.delete(listener);
  }

  /** Calls `listener` on each state change; returns a function that stops it. */
  onStatus(listener: Listener<LiveStatus>): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  /** Opens the socket. Calling it again, or after `close()`, does nothing. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#connect();
  }

  /** Closes the socket and cancels retries; no event follows the final `closed` status. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#started = true;
    this.#clearTimers();
    const socket = this.#socket;
    this.#socket = undefined;
    this.#setStatus({ state: "closed", failures: this.#status.failures });
    if (socket) {
      try {
        socket.close(1000, "client closing");
      } catch {
        // Closing a socket that never opened may throw in some runtimes; it is gone either way.
      }
    }
  }

  /** The `ws:`/`wss:` URL of the live route for this user. */
  get url(): string {
    const base = this.#options.baseUrl.endsWith("/") ? this.#options.baseUrl : `${this.#options.baseUrl}/`;
    const url = new URL(`v1/users/${encodeURIComponent(this.#options.username)}/live`, base);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    if (this.#options.deviceId !== undefined) url.searchParams.set("device_id", this.#options.deviceId);
    return url.toString();
  }

  #connect(): void {
    if (this.#closed) return;
    const WebSocketImpl = this.#WebSocket;
    if (WebSocketImpl === undefined) {
      this.#setStatus({ state: "fallback", failures: this.#status.failures, reason: "no WebSocket in this runtime" });
      return;
    }
    this.#setStatus({ state: "connecting", failures: this.#status.failures });
    const { token } = this.#options;
    if (typeof token === "string") {
      this.#open(WebSocketImpl, token);
      return;
    }
    Promise.resolve()
      .then(token)
      .then(
        (value) => {
          if (!this.#closed) this.#open(WebSocketImpl, value);
        },
        (cause: unknown) => {
          if (!this.#closed) this.#scheduleRetry(`no token: ${cause instanceof Error ? cause.message : String(cause)}`);
        },
      );
  }

  #open(WebSocketImpl: WebSocketConstructorLike, token: string): void {
    let socket: WebSocketLike;
    try {
      // Browsers cannot set headers on a WebSocket, so the token rides as a subprotocol (PROTOCOL.md).
      socket = new WebSocketImpl(this.url, [LIVE_SUBPROTOCOL, `bearer.${token}`]);
    } catch (cause) {
      this.#scheduleRetry(`cannot open: ${cause instanceof Error ? cause.message : String(cause)}`);
      return;
    }
    this.#socket = socket;
    let opened = false;
    socket.addEventListener("open", () => {
      if (this.#socket !== socket) return;
      opened = true;
      this.#lastHeard = Date.now();
      this.#startHeartbeat(socket);
      this.#setStatus({ state: "open", failures: 0 });
    });
    socket.addEventListener("message", (event) => {
      if (this.#socket !== socket) return;
      this.#lastHeard = Date.now();
      const announcement = parseAnnouncement(event.data);
      if (announcement) for (const listener of this.#versionListeners) listener(announcement);
    });
    // "error" is always followed by "close"; only close decides what happens next.
    socket.addEventListener("close", (event) => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#stopHeartbeat();
      const why = `${opened ? "dropped" : "refused"} (code ${event.code ?? "?"}${event.reason ? `: ${event.reason}` : ""})`;
      this.#scheduleRetry(why);
    });
  }

  #scheduleRetry(reason: string): void {
    const failures = this.#status.failures + 1;
    const ceiling = Math.min(this.#options.maxDelayMs, this.#options.minDelayMs * 2 ** (failures - 1));
    // "Equal jitter": at least half the ceiling, so a crowd of devices spreads out but none hammers.
    const retryInMs = Math.round(ceiling / 2 + (ceiling / 2) * this.#options.random());
    this.#setStatus({ state: "fallback", failures, retryInMs, reason });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#connect();
    }, retryInMs);
  }

  #startHeartbeat(socket: WebSocketLike): void {
    this.#stopHeartbeat();
    const period = this.#options.heartbeatMs;
    this.#heartbeatTimer = setInterval(() => {
      if (Date.now() - this.#lastHeard > 2 * period) {
        // A half-open TCP connection never delivers "close"; silence is the only sign.
        this.#socket = undefined;
        this.#stopHeartbeat();
        try {
          socket.close(4000, "heartbeat timeout");
        } catch {
          // already gone
        }
        this.#scheduleRetry("dropped (no answer to ping)");
        return;
      }
      try {
        socket.send("ping");
      } catch {
        // The close event follows and schedules the retry.
      }
    }, period);
  }

  #stopHeartbeat(): void {
    if (this.#heartbeatTimer !== undefined) clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
  }

  #clearTimers(): void {
    this.#stopHeartbeat();
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #setStatus(status: LiveStatus): void {
    this.#status = status;
    for (const listener of this.#statusListeners) listener({ ...status });
  }
}

/** Reads one server message; anything else (the "pong" heartbeat, future types) is ignored. */
export function parseAnnouncement(data: unknown): VersionAnnouncement | undefined {
  if (typeof data !== "string" || !data.startsWith("{")) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { type, doc, version, device_id, updated_at } = value as Record<string, unknown>;
  if (
    type !== "version" ||
    typeof doc !== "string" ||
    typeof device_id !== "string" ||
    typeof updated_at !== "string"
  ) {
    return undefined;
  }
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 1) return undefined;
  return { doc, version, device_id, updated_at };
}
