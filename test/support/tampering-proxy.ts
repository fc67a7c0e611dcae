/**
 * A loopback HTTP proxy in front of real Worker servers, for integrity tests: it forwards every
 * request to the current upstream, remembers each document version it has served, and can be told
 * to answer document reads with an old version (a rollback) or with altered bytes (tampering).
 * It drops `If-None-Match` from document reads, so every version passes through it whole.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

interface Recorded {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface TamperingProxy {
  url: string;
  /** Where requests go; switch it to show a client another server's history. */
  upstream: string;
  /** When set, reads of a document's current version are answered with that recorded version. */
  serveVersion: number | null;
  /** When true, document bodies have one byte flipped. */
  flipByte: boolean;
  stop(): Promise<void>;
}

const DOC_READ = /^\/v1\/users\/[^/]+\/docs\/[^/]+$/;

export async function startTamperingProxy(upstream: string): Promise<TamperingProxy> {
  const recorded = new Map<string, Recorded>();
  const state = { upstream, serveVersion: null as number | null, flipByte: false };
  const server: Server = createServer(async (req, res) => {
    const path = req.url ?? "/";
    const isDocRead = req.method === "GET" && DOC_READ.test(path.split("?")[0]!);
    if (isDocRead && state.serveVersion !== null) {
      const old = recorded.get(`${path}#${state.serveVersion}`);
      if (old !== undefined) return void res.writeHead(old.status, old.headers).end(old.body);
    }
    const body = await readBody(req);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(
        ([k]) => k !== "host" && k !== "connection" && k !== "content-length" && !(isDocRead && k === "if-none-match"),
      ),
    ) as Record<string, string>;
    const upstreamRes = await fetch(state.upstream + path, {
      method: req.method ?? "GET",
      headers,
      ...(body.length > 0 ? { body } : {}),
    });
    let out = new Uint8Array(await upstreamRes.arrayBuffer());
    const outHeaders: Record<string, string> = {};
    upstreamRes.headers.forEach((value, name) => {
      if (name !== "content-length" && name !== "content-encoding" && name !== "transfer-encoding")
        outHeaders[name] = value;
    });
    if (isDocRead && upstreamRes.status === 200) {
      const version = Number(upstreamRes.headers.get("ETag")?.replaceAll('"', ""));
      recorded.set(`${path}#${version}`, { status: 200, headers: outHeaders, body: out });
      if (state.flipByte) {
        out = out.slice();
        out[40] = out[40]! ^ 1;
      }
    }
    res.writeHead(upstreamRes.status, outHeaders).end(out);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as TamperingProxy;
}

async function readBody(req: IncomingMessage): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}
