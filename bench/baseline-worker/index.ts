/**
 * Baseline Worker for `npm run bench` (server.* rows): what the runtime does with no product logic.
 *
 * - `GET /const/:bytes` answers that many constant bytes; `PUT /const` reads the body and answers a
 *   constant JSON: the ceiling for any Worker in this workerd.
 * - `GET /r2/:key` streams an R2 object; `PUT /r2/:key` streams the body into R2: the ceiling for a
 *   Worker that stores documents, with no authentication, history or registry on top.
 * - `GET /r2-list/:prefix/:bytes` lists one key under the prefix (no metadata) and answers that many
 *   constant bytes: the least a download of a versioned document can do (learn the current
 *   version, serve its bytes from memory).
 */

// Only the slice of R2 used here, declared locally: bench/ compiles with Node types, not workers-types.
interface R2Slice {
  get(key: string): Promise<{ body: ReadableStream; size: number } | null>;
  list(options: { prefix: string; limit: number }): Promise<{ objects: { key: string }[] }>;
  put(key: string, value: ReadableStream | ArrayBuffer | null): Promise<unknown>;
}

interface Env {
  BLOBS: R2Slice;
}

const constants = new Map<number, Uint8Array<ArrayBuffer>>();
const MAX_CONSTANT_BYTES = 16 * 1024 * 1024;
const STORED = JSON.stringify({ status: "stored" });

function constantBody(bytes: number): Uint8Array<ArrayBuffer> {
  let body = constants.get(bytes);
  if (body === undefined) {
    body = new Uint8Array(bytes).fill(0x61);
    constants.set(bytes, body);
  }
  return body;
}

function constantSize(text: string | undefined): number | null {
  const bytes = Number(text);
  return Number.isInteger(bytes) && bytes >= 0 && bytes <= MAX_CONSTANT_BYTES ? bytes : null;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const [, route, arg, extra] = url.pathname.split("/");
    if (route === "const") {
      if (request.method === "PUT") {
        await request.arrayBuffer();
        return new Response(STORED, { headers: { "content-type": "application/json" } });
      }
      const bytes = constantSize(arg);
      if (bytes === null) return new Response("bad size", { status: 400 });
      return new Response(constantBody(bytes), { headers: { "content-type": "application/octet-stream" } });
    }
    if (route === "r2-list" && arg) {
      const listed = await env.BLOBS.list({ prefix: arg, limit: 1 });
      if (listed.objects.length === 0) return new Response("not found", { status: 404 });
      const bytes = constantSize(extra);
      if (bytes === null) return new Response("bad size", { status: 400 });
      return new Response(constantBody(bytes), { headers: { "content-type": "application/octet-stream" } });
    }
    if (route === "r2" && arg) {
      if (request.method === "PUT") {
        await env.BLOBS.put(arg, request.body);
        return new Response(STORED, { headers: { "content-type": "application/json" } });
      }
      const object = await env.BLOBS.get(arg);
      if (object === null) return new Response("not found", { status: 404 });
      return new Response(object.body, { headers: { "content-type": "application/octet-stream" } });
    }
    return new Response("not found", { status: 404 });
  },
};
