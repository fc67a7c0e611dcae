/**
 * Design bench Worker (bench/design.ts): one user's change log kept two ways, so the candidate
 * transports for incremental sync are measured side by side in one workerd.
 *
 * - (a) R2 only: each change is an object `u/<user>/c/<seq>/<doc>` (change-log.ts); "everything after
 *   my cursor" is one list after the cursor's key plus a get of each change; a write is a
 *   create-only put of the next number (the isolate remembers the head it wrote last).
 * - (b) a per-user SQLite Durable Object: each change is a row; "everything after my cursor" is one
 *   indexed query; a write is one insert whose AUTOINCREMENT key is the sequence number, and the
 *   same object would tell the user's sockets (the loop over them is run, for whatever is open).
 *
 * Every answer says which R2 calls it made (`x-r2-calls`) and, for (b), how many SQLite rows it read
 * or wrote, so the bench reports operation counts taken from this code, not assumed.
 *
 * Routes: `POST /seed/:user?n=&docs=&bytes=` fills both; `GET /{a,b}/changes/:user?after=C`;
 * `PUT /{a,b}/change/:user/:doc` with the change's bytes as the body.
 */

import { DurableObject, type DurableObjectStateSlice } from "cloudflare:workers";
import {
  type Change,
  changeKey,
  changePrefix,
  encodeFrames,
  listStartAfter,
  MAX_OPEN_CONNECTIONS,
  mapBounded,
  parseChangeKey,
  type R2Call,
} from "./change-log.ts";

// Only the slice of R2 used here, declared locally: bench/ compiles with Node types, not workers-types.
interface R2Slice {
  get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer> } | null>;
  list(options: { prefix: string; startAfter?: string; limit: number; cursor?: string }): Promise<{
    objects: { key: string }[];
    truncated: boolean;
    cursor?: string;
  }>;
  put(key: string, value: ArrayBuffer | Uint8Array, options?: { onlyIf: Headers }): Promise<unknown | null>;
}

interface HubStub {
  changesAfter(cursor: number): Promise<{ frames: Uint8Array; count: number; rowsRead: number }>;
  append(doc: string, body: ArrayBuffer): Promise<{ seq: number; rowsWritten: number }>;
  seed(changes: { doc: string; body: ArrayBuffer }[]): Promise<number>;
}

interface Env {
  BLOBS: R2Slice;
  DESIGN_HUB: { idFromName(name: string): unknown; get(id: unknown): HubStub };
}

/** One R2 list page: the most changes one answer carries; a device further behind asks again. */
const PAGE = 1000;
const CREATE_ONLY = { "If-None-Match": "*" };
const SEED_BATCH = 50;
const MAX_WRITE_ATTEMPTS = 8;

/** The head each user's log had when this isolate last wrote it (a hint: the create-only put is the check). */
const heads = new Map<string, number>();

/** R2 calls through this wrapper are recorded, so an answer can say what it cost. */
function recording(bucket: R2Slice, calls: R2Call[]): R2Slice {
  return {
    get: (key) => {
      calls.push("get");
      return bucket.get(key);
    },
    list: (options) => {
      calls.push("list");
      return bucket.list(options);
    },
    put: (key, value, options) => {
      calls.push("put");
      return bucket.put(key, value, options);
    },
  };
}

/** (a): the changes after `cursor`, from one list and a get of each. */
async function r2ChangesAfter(bucket: R2Slice, user: string, cursor: number): Promise<Change[]> {
  const listed = await bucket.list({
    prefix: changePrefix(user),
    startAfter: listStartAfter(user, cursor),
    limit: PAGE,
  });
  return mapBounded(listed.objects, MAX_OPEN_CONNECTIONS, async ({ key }) => {
    const parsed = parseChangeKey(user, key);
    const object = await bucket.get(key);
    if (parsed === null || object === null) throw new Error(`change ${key} vanished or is malformed`);
    return { ...parsed, body: new Uint8Array(await object.arrayBuffer()) };
  });
}

/** The newest sequence number stored for `user`, reading every page after `from` (a hint miss only). */
async function r2Head(bucket: R2Slice, user: string, from: number): Promise<number> {
  let head = from;
  let cursor: string | undefined;
  do {
    const page = await bucket.list({
      prefix: changePrefix(user),
      startAfter: listStartAfter(user, from),
      limit: PAGE,
      ...(cursor === undefined ? {} : { cursor }),
    });
    const last = page.objects.at(-1);
    if (last !== undefined) head = parseChangeKey(user, last.key)?.seq ?? head;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor !== undefined);
  return head;
}

/** (a): stores one change as the user's next number, create-only; a lost race re-reads the head. */
async function r2Append(bucket: R2Slice, user: string, doc: string, body: ArrayBuffer): Promise<number> {
  let head = heads.get(user) ?? (await r2Head(bucket, user, 0));
  for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
    const seq = head + 1;
    const stored = await bucket.put(changeKey(user, seq, doc), body, { onlyIf: new Headers(CREATE_ONLY) });
    if (stored !== null) {
      heads.set(user, seq);
      return seq;
    }
    head = await r2Head(bucket, user, seq);
  }
  throw new Error(`change of ${user} lost ${MAX_WRITE_ATTEMPTS} races`);
}

function hub(env: Env, user: string): HubStub {
  return env.DESIGN_HUB.get(env.DESIGN_HUB.idFromName(user));
}

function answer(body: BodyInit | null, headers: Record<string, string>): Response {
  return new Response(body, { headers: { "content-type": "application/octet-stream", ...headers } });
}

function seedChanges(n: number, docs: number, bytes: number): { doc: string; body: ArrayBuffer }[] {
  return Array.from({ length: n }, (_, i) => ({
    doc: `doc-${String(i % docs).padStart(2, "0")}`,
    body: crypto.getRandomValues(new Uint8Array(bytes)).buffer,
  }));
}

/** Fills both stores with the same `n` changes of random bytes (the server never reads them). */
async function seed(env: Env, user: string, params: URLSearchParams): Promise<Response> {
  const n = Number(params.get("n"));
  const docs = Number(params.get("docs"));
  const bytes = Number(params.get("bytes"));
  if (![n, docs, bytes].every((x) => Number.isInteger(x) && x > 0) || n > 10_000 || docs > 100 || bytes > 65_536) {
    return new Response("bad seed parameters", { status: 400 });
  }
  const changes = seedChanges(n, docs, bytes);
  for (let from = 0; from < n; from += SEED_BATCH) {
    await Promise.all(
      changes
        .slice(from, from + SEED_BATCH)
        .map((c, i) =>
          env.BLOBS.put(changeKey(user, from + i + 1, c.doc), c.body, { onlyIf: new Headers(CREATE_ONLY) }),
        ),
    );
  }
  const rows = await hub(env, user).seed(changes);
  heads.set(user, n);
  return Response.json({ r2: n, rows });
}

function cursorOf(params: URLSearchParams): number | null {
  const after = Number(params.get("after") ?? "0");
  return Number.isInteger(after) && after >= 0 ? after : null;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const [, design, route, user, doc] = url.pathname.split("/");
    if (design === "seed" && route !== undefined && request.method === "POST")
      return seed(env, route, url.searchParams);
    if (user === undefined || user === "") return new Response("not found", { status: 404 });
    const calls: R2Call[] = [];
    const bucket = recording(env.BLOBS, calls);
    if (route === "changes" && request.method === "GET") {
      const cursor = cursorOf(url.searchParams);
      if (cursor === null) return new Response("bad cursor", { status: 400 });
      if (design === "a") {
        const changes = await r2ChangesAfter(bucket, user, cursor);
        return answer(encodeFrames(changes), { "x-changes": String(changes.length), "x-r2-calls": calls.join(",") });
      }
      if (design === "b") {
        const { frames, count, rowsRead } = await hub(env, user).changesAfter(cursor);
        return answer(frames as Uint8Array<ArrayBuffer>, {
          "x-changes": String(count),
          "x-r2-calls": "",
          "x-sql-rows-read": String(rowsRead),
        });
      }
    }
    if (route === "change" && request.method === "PUT" && doc !== undefined && doc !== "") {
      const body = await request.arrayBuffer();
      if (design === "a") {
        const seq = await r2Append(bucket, user, doc, body);
        return answer(null, { "x-seq": String(seq), "x-r2-calls": calls.join(",") });
      }
      if (design === "b") {
        const { seq, rowsWritten } = await hub(env, user).append(doc, body);
        return answer(null, { "x-seq": String(seq), "x-r2-calls": "", "x-sql-rows-written": String(rowsWritten) });
      }
    }
    return new Response("not found", { status: 404 });
  },
};

/**
 * (b): the user's sequencer and index. `seq` is AUTOINCREMENT, not a bare rowid, so a number freed
 * by compaction is never handed out again (SQLite reuses the largest rowid after a delete otherwise).
 */
export class DesignHub extends DurableObject<Env> {
  constructor(ctx: DurableObjectStateSlice, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, doc TEXT NOT NULL, body BLOB NOT NULL)",
    );
  }

  changesAfter(cursor: number): { frames: Uint8Array; count: number; rowsRead: number } {
    const result = this.ctx.storage.sql.exec(
      "SELECT seq, doc, body FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
      cursor,
      PAGE,
    );
    const changes = result.toArray().map((r) => ({
      seq: r["seq"] as number,
      doc: r["doc"] as string,
      body: new Uint8Array(r["body"] as ArrayBuffer),
    }));
    return { frames: encodeFrames(changes), count: changes.length, rowsRead: result.rowsRead };
  }

  append(doc: string, body: ArrayBuffer): { seq: number; rowsWritten: number } {
    const result = this.ctx.storage.sql.exec("INSERT INTO changes (doc, body) VALUES (?, ?) RETURNING seq", doc, body);
    const seq = result.one()["seq"] as number;
    const announcement = JSON.stringify({ type: "change", seq, doc });
    for (const socket of this.ctx.getWebSockets()) socket.send(announcement);
    return { seq, rowsWritten: result.rowsWritten };
  }

  seed(changes: { doc: string; body: ArrayBuffer }[]): number {
    this.ctx.storage.transactionSync(() => {
      for (const c of changes)
        this.ctx.storage.sql.exec("INSERT INTO changes (doc, body) VALUES (?, ?)", c.doc, c.body);
    });
    return changes.length;
  }
}
