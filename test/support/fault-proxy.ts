/**
 * A fault-injecting HTTP proxy on loopback, between clients and a Worker server: on a configurable
 * share of requests it drops the connection (before or after the upstream answered), delays,
 * truncates the request or the response body, or answers 500/502/503/429 itself. Which request
 * gets which fault comes from a PRNG seeded by the caller, so a sequential client sees the same
 * faults on every run with the same seed. `rewrite` lets a test act as a hostile server instead.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { seededRandom } from "./seeded-random.ts";

// Kept here too for the suites that already take it from the proxy.
export { seededRandom };

export const FAULT_KINDS = [
  "reset-before", // the connection drops before the request reaches the server
  "reset-after", // the server handled it (a write landed), then the connection drops
  "delay", // forwarded after a pause
  "truncate-request", // the server receives part of the body, then the connection drops
  "truncate-response", // the client receives the headers and part of the body, then the connection drops
  "status", // answered 500, 502, 503 or 429 by the proxy; the server never sees it
  "status-after", // the server handled it, the client is told 502 by a gateway page
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

/** What the proxy saw of an upstream answer; `rewrite` may return other bytes to serve instead. */
export interface Exchange {
  method: string;
  path: string;
  status: number;
  headers: Record<string, string>;
}

export interface FaultProxyOptions {
  /** PRNG seed: the same seed gives the same sequence of decisions. */
  seed: number;
  /** Share of requests that get a fault, 0 to 1. */
  share?: number;
  /** Which faults to draw from (default: all). */
  kinds?: readonly FaultKind[];
  /** Longest pause of a `delay` fault, in ms (default 300). */
  maxDelayMs?: number;
}

export interface FaultProxy {
  readonly url: string;
  /** False: every request is forwarded untouched (the proxy "behaves"). */
  enabled: boolean;
  share: number;
  upstream: string;
  /** Replaces the body of upstream answers it returns bytes for (hostile-server tests). */
  rewrite: ((exchange: Exchange, body: Uint8Array) => Uint8Array | undefined) | null;
  /** Faults injected so far, by kind. */
  readonly injected: Record<FaultKind, number>;
  /** Requests seen so far, faulted or not. */
  readonly requests: number;
  stop(): Promise<void>;
}

interface Upstream {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

const HOP_BY_HOP = new Set([
  "host",
  "connection",
  "keep-alive",
  "content-length",
  "transfer-encoding",
  "te",
  "upgrade",
  "proxy-connection",
]);

export async function startFaultProxy(upstream: string, options: FaultProxyOptions): Promise<FaultProxy> {
  const random = seededRandom(options.seed);
  const kinds = options.kinds ?? FAULT_KINDS;
  const maxDelayMs = options.maxDelayMs ?? 300;
  const injected = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const state = {
    enabled: true,
    share: options.share ?? 0.2,
    upstream,
    rewrite: null as FaultProxy["rewrite"],
    requests: 0,
  };

  const server = createServer((req, res) => {
    state.requests += 1;
    // Draw every number up front, so each request consumes the same amount of the sequence.
    const [roll, pick, extra] = [random(), random(), random()];
    const fault = state.enabled && roll < state.share ? kinds[Math.floor(pick * kinds.length)]! : null;
    if (fault !== null) injected[fault] += 1;
    void handle(req, res, fault, extra).catch(() => res.socket?.destroy());
  });

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    fault: FaultKind | null,
    extra: number,
  ): Promise<void> {
    const body = await readBody(req);
    if (fault === "reset-before") return void req.socket.destroy();
    if (fault === "status") return void answerError(res, [500, 502, 503, 429][Math.floor(extra * 4)]!);
    if (fault === "delay") await new Promise((resolve) => setTimeout(resolve, Math.floor(extra * maxDelayMs)));
    if (fault === "truncate-request") {
      await forwardTruncated(state.upstream, req, body, Math.floor(extra * body.length));
      return void req.socket.destroy();
    }
    const answer = await forward(state.upstream, req, body);
    if (fault === "reset-after") return void req.socket.destroy();
    if (fault === "status-after")
      return void res.writeHead(502, { "Content-Type": "text/html" }).end("<html>502 Bad Gateway</html>");
    const exchange: Exchange = {
      method: req.method ?? "GET",
      path: req.url ?? "/",
      status: answer.status,
      headers: answer.headers,
    };
    const out = state.rewrite?.(exchange, answer.body) ?? answer.body;
    res.writeHead(answer.status, { ...answer.headers, "content-length": String(out.byteLength) });
    if (fault === "truncate-response" && out.byteLength > 0) {
      // The declared length stays whole: the client sees a connection closed mid-body.
      res.write(out.subarray(0, Math.floor(extra * out.byteLength)));
      await new Promise((resolve) => setTimeout(resolve, 5));
      return void res.socket?.destroy();
    }
    res.end(out);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The proxy is its state: a test's writes to enabled, share, upstream and rewrite reach the next request.
  return Object.assign(state, {
    url,
    injected,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** An answer in the Worker's error shape, as a gateway or an overloaded server would give it. */
function answerError(res: ServerResponse, status: number): void {
  const code = status === 429 ? "rate_limited" : status === 503 ? "unavailable" : "internal_error";
  const headers: OutgoingHttpHeaders = { "Content-Type": "application/json" };
  if (status === 429 || status === 503) headers["Retry-After"] = "1";
  res.writeHead(status, headers).end(JSON.stringify({ error: { code, message: `injected ${status}` } }));
}

function forwardHeaders(req: IncomingMessage, target: URL, length: number): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers))
    if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
  headers["host"] = target.host;
  if (length > 0 || (req.method !== "GET" && req.method !== "HEAD")) headers["content-length"] = String(length);
  return headers;
}

function forward(upstream: string, req: IncomingMessage, body: Uint8Array): Promise<Upstream> {
  const target = new URL(req.url ?? "/", upstream);
  return new Promise((resolve, reject) => {
    const out = httpRequest(
      target,
      { method: req.method ?? "GET", headers: forwardHeaders(req, target, body.byteLength) },
      (answer) => {
        readBody(answer).then((bytes) => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(answer.headers)) {
            if (!HOP_BY_HOP.has(name) && value !== undefined)
              headers[name] = Array.isArray(value) ? value.join(", ") : value;
          }
          resolve({ status: answer.statusCode ?? 502, headers, body: bytes });
        }, reject);
      },
    );
    out.on("error", reject);
    out.end(body);
  });
}

/** Sends the headers (declaring the whole length) and `keep` bytes of the body, then aborts. */
async function forwardTruncated(upstream: string, req: IncomingMessage, body: Uint8Array, keep: number): Promise<void> {
  const target = new URL(req.url ?? "/", upstream);
  const out = httpRequest(target, {
    method: req.method ?? "GET",
    headers: forwardHeaders(req, target, body.byteLength),
  });
  out.on("error", () => undefined);
  out.on("response", (answer) => answer.resume());
  out.flushHeaders();
  if (keep > 0) out.write(body.subarray(0, keep));
  await new Promise((resolve) => setTimeout(resolve, 20));
  out.destroy();
}

async function readBody(stream: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}
