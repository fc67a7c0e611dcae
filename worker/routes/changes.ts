/**
 * Incremental routes (docs/PROTOCOL.md "Incremental sync"): `GET /v1/users/{username}/changes`
 * answers every entry after a cursor in one request; `POST .../docs/{doc}/changes` stores a change
 * by compare-and-swap; `PUT|GET .../docs/{doc}/snapshots/{n}` store and read compactions.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { CHANGES_MEDIA_TYPE, MAX_CHANGE_BYTES } from "../../client/core/protocol/change-frames.ts";
import { authenticateFirst, authOf } from "../auth/authenticate-first.ts";
import { hubOf, inlineToken } from "../changes/hub-index.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { readTokenBody } from "../http/token-body.ts";
import { createRouter } from "../router.ts";
import { userParams } from "../schemas/account.ts";
import { changeAnswer, changeHeaders, changesContent, cursorQuery, snapshotParams } from "../schemas/changes.ts";
import { bearerSecurity, commonErrors, errorResponse } from "../schemas/common.ts";
import { docParams, tokenBytesContent } from "../schemas/documents.ts";
import { deleteBelow, foldVersion } from "../storage/documents.ts";
import { createSnapshot, deleteSnapshots, readSnapshot } from "../storage/snapshots.ts";
import { guard } from "../storage/unavailable.ts";
import { ownerWrite } from "../write/owner-write.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

const tags = ["changes"];

const since = createRoute({
  method: "get",
  path: "/v1/users/{username}/changes",
  tags,
  security: bearerSecurity,
  middleware: [authenticateFirst()] as const,
  summary: "Every entry after a cursor, for all documents, in one answer",
  request: { params: userParams, query: cursorQuery },
  responses: {
    200: {
      description: "frames; X-Sync-Head (newest sequence number), X-Sync-More (another page), X-Sync-Reset",
      content: changesContent,
    },
    409: errorResponse("the cursor is past the account's head (`cursor_ahead`)"),
    ...commonErrors,
  },
});

const append = createRoute({
  method: "post",
  path: "/v1/users/{username}/docs/{doc}/changes",
  tags,
  security: bearerSecurity,
  middleware: [authenticateFirst({ access: "write" })] as const,
  summary: "Store a change as the document's next version",
  request: { params: docParams, headers: changeHeaders, body: { required: true, content: tokenBytesContent } },
  responses: {
    201: {
      description: "stored; X-Sync-Compact names the version to snapshot when due",
      content: { "application/json": { schema: changeAnswer } },
    },
    412: errorResponse("the document is not at X-Sync-Version - 1 (`precondition_failed`)"),
    413: errorResponse("a change over 64 KiB (`payload_too_large`), or over quota (`quota_exceeded`)"),
    ...commonErrors,
  },
});

const putSnapshot = createRoute({
  method: "put",
  path: "/v1/users/{username}/docs/{doc}/snapshots/{n}",
  tags,
  security: bearerSecurity,
  middleware: [authenticateFirst({ access: "write" })] as const,
  summary: "Store a snapshot: the whole document after entry n",
  request: { params: snapshotParams, body: { required: true, content: tokenBytesContent } },
  responses: {
    201: { description: "stored" },
    409: errorResponse("entry n is a deletion (`precondition_failed`)"),
    412: errorResponse("the snapshot exists, entry n is not stored, or a newer base exists (`precondition_failed`)"),
    ...commonErrors,
  },
});

const getSnapshot = createRoute({
  method: "get",
  path: "/v1/users/{username}/docs/{doc}/snapshots/{n}",
  tags,
  security: bearerSecurity,
  middleware: [authenticateFirst()] as const,
  summary: "A snapshot's raw token bytes",
  request: { params: snapshotParams },
  responses: {
    200: { description: "the token bytes", content: tokenBytesContent },
    404: errorResponse("no such snapshot (`not_found`)"),
    ...commonErrors,
  },
});

export function changeRoutes(): OpenAPIHono<AppEnv> {
  const app = createRouter();

  app.openapi(since, async (c) => {
    const { after } = c.req.valid("query");
    const { space } = authOf(c).account;
    const answer = await guard("index.changes", () => hubOf(c.env, space).changesSince(space, after));
    if (answer.ahead) {
      throw new ApiError(
        409,
        "cursor_ahead",
        `the cursor ${after} is past this account's newest entry ${answer.head}: the device's state belongs to another account of this name, or the server lost data`,
        { "X-Sync-Head": String(answer.head) },
      );
    }
    const headers: Record<string, string> = {
      "Content-Type": CHANGES_MEDIA_TYPE,
      "Cache-Control": "no-store",
      "X-Sync-Head": String(answer.head),
    };
    if (answer.more) headers["X-Sync-More"] = "1";
    if (answer.reset) headers["X-Sync-Reset"] = "1";
    return new Response(answer.body, { status: 200, headers }) as never;
  });

  app.openapi(append, async (c) => {
    const { username, doc } = c.req.valid("param");
    const headers = c.req.valid("header");
    const version = headers["x-sync-version"];
    const body = await readTokenBody(c.req.raw);
    if (body.size > MAX_CHANGE_BYTES) {
      throw new ApiError(
        413,
        "payload_too_large",
        `a change is at most ${MAX_CHANGE_BYTES} bytes; write the document whole`,
      );
    }
    // A change follows an entry: it never creates a document (a first version, or one after a delete, is whole).
    const result = await ownerWrite(c, authOf(c), {
      username,
      doc,
      deviceId: headers["x-device-id"],
      body,
      condition: { ifMatch: version - 1, createOnly: false, version },
      change: true,
      undo: headers["x-sync-undo"] === "1",
    });
    // A change waits for its record (write-document.ts), so its sequence number is known.
    const seq = result.seq ?? 0;
    const answerHeaders: Record<string, string> = { "X-Sync-Seq": String(seq) };
    if (result.compact !== null) answerHeaders["X-Sync-Compact"] = String(result.compact);
    return c.json({ name: doc, version: result.version, seq, size: result.size }, 201, answerHeaders);
  });

  app.openapi(putSnapshot, async (c) => {
    const { doc, n } = c.req.valid("param");
    const { space } = authOf(c).account;
    const hub = hubOf(c.env, space);
    const allowed = await guard("index.snapshot", () => hub.snapshotAllowed(space, doc, n));
    if (allowed === "tombstone") throw new ApiError(409, "precondition_failed", `entry ${n} of ${doc} is a deletion`);
    if (allowed !== "ok") throw snapshotRefused(doc, n, allowed);
    const body = await readTokenBody(c.req.raw);
    if (!(await createSnapshot(c.env.BLOBS, space, doc, n, body))) throw snapshotRefused(doc, n, "exists");
    const trimmed = await guard("index.snapshot", () =>
      hub.recordSnapshot(
        space,
        { doc, version: n, size: body.size, token: inlineToken(body) },
        c.var.config.historyDays * DAY_MS,
      ),
    );
    if (trimmed === null) {
      // A newer base arrived while this one was stored: it is no one's base, so it goes.
      c.executionCtx.waitUntil(deleteSnapshots(c.env.BLOBS, space, doc, [n]).catch(() => undefined));
      throw snapshotRefused(doc, n, "stale");
    }
    // What the history window no longer needs; a failure leaves objects the index no longer names
    // (and a whole version unfolded: larger, still right).
    const { folded } = trimmed;
    c.executionCtx.waitUntil(
      Promise.all([
        deleteBelow(c.env.BLOBS, space, doc, trimmed.entriesBelow),
        deleteSnapshots(c.env.BLOBS, space, doc, trimmed.snapshots),
        folded === null
          ? undefined
          : foldVersion(c.env.BLOBS, space, doc, folded.version, {
              deviceId: folded.device_id,
              updatedAt: folded.updated_at,
            }),
      ]).catch((err: unknown) => console.error("history trim", doc, err)),
    );
    return c.body(null, 201);
  });

  app.openapi(getSnapshot, async (c) => {
    const { doc, n } = c.req.valid("param");
    const { space } = authOf(c).account;
    const found = await readSnapshot(c.env.BLOBS, space, doc, n);
    if (found === null) throw new ApiError(404, "not_found", "no such snapshot");
    return new Response(found.body, {
      status: 200,
      headers: {
        "Content-Type": "application/octet-stream",
        "Content-Length": String(found.size),
        "Cache-Control": "no-cache",
      },
    }) as never;
  });

  return app;
}

function snapshotRefused(doc: string, n: number, why: string): ApiError {
  const reason =
    why === "exists"
      ? "it is already stored"
      : why === "no_entry"
        ? `entry ${n} is not stored`
        : "the document has a newer base already";
  return new ApiError(412, "precondition_failed", `snapshot ${n} of ${doc} was not stored: ${reason}`);
}
