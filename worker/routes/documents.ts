// worker/routes/: one file per resource: OpenAPI route groups that authenticate, validate and call write/ or storage/.
/** Document routes under `/v1/users/{username}/docs`: list, read (conditional), write (compare-and-swap), delete. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { authenticateFirst, authOf } from "../auth/authenticate-first.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { parseVersionTag, writeCondition } from "../http/conditions.ts";
import { documentJson, tokenBytesResponse, versionHeaders } from "../http/document-response.ts";
import { ownerWrite } from "../write/owner-write.ts";
import { readTokenBody } from "../http/token-body.ts";
import { createRouter } from "../router.ts";
import { userParams } from "../schemas/account.ts";
import { bearerSecurity, commonErrors, errorResponse } from "../schemas/common.ts";
import {
  deleteHeaders,
  docParams,
  documentAnswer,
  documentsAnswer,
  readHeaders,
  tokenBytesContent,
  writeHeaders,
} from "../schemas/documents.ts";
import { noteActivity } from "../storage/devices.ts";
import { deleteLeftovers, describeVersion, liveHead, openVersion, summarizeDocuments } from "../storage/documents.ts";
import { deleteDocument } from "../write/write-document.ts";

const tags = ["documents"];
const path = "/v1/users/{username}/docs/{doc}";

const list = createRoute({
  method: "get",
  path: "/v1/users/{username}/docs",
  tags,
  security: bearerSecurity,
  middleware: [authenticateFirst()] as const,
  summary: "Every document with its current version",
  request: { params: userParams },
  responses: {
    200: { description: "the documents", content: { "application/json": { schema: documentsAnswer } } },
    ...commonErrors,
  },
});

const read = createRoute({
  method: "get",
  path,
  tags,
  security: bearerSecurity,
  middleware: [authenticateFirst()] as const,
  summary: "The current version's raw token bytes",
  request: { params: docParams, headers: readHeaders },
  responses: {
    200: {
      description: "the token bytes; ETag, X-Sync-Version, X-Sync-Device, Last-Modified",
      content: tokenBytesContent,
    },
    304: { description: "If-None-Match names the current version" },
    404: errorResponse("no such document (`not_found`)"),
    409: errorResponse("the newest entry is a change, which only `GET .../changes` serves (`upgrade_required`)"),
    ...commonErrors,
  },
});

const write = createRoute({
  method: "put",
  path,
  tags,
  security: bearerSecurity,
  middleware: [authenticateFirst({ mayClaim: true })] as const,
  summary: "Write a new version (If-Match: compare-and-swap; If-None-Match: * create only)",
  request: { params: docParams, headers: writeHeaders, body: { required: true, content: tokenBytesContent } },
  responses: {
    200: { description: "a new version", content: { "application/json": { schema: documentAnswer } } },
    201: { description: "the document's first version", content: { "application/json": { schema: documentAnswer } } },
    403: errorResponse("claiming needs X-Claim-Secret (`claim_secret_required`)"),
    412: errorResponse(
      "stale If-Match, existing document, or another number than X-Sync-Version (`precondition_failed`): ETag is the current version, X-Sync-Next-Version the number this write would get",
    ),
    413: errorResponse("body too large (`payload_too_large`) or over quota (`quota_exceeded`)"),
    ...commonErrors,
  },
});

const remove = createRoute({
  method: "delete",
  path,
  tags,
  security: bearerSecurity,
  middleware: [authenticateFirst({ access: "write" })] as const,
  summary: "Delete the document and its history",
  request: { params: docParams, headers: deleteHeaders },
  responses: {
    204: { description: "deleted" },
    404: errorResponse("no such document (`not_found`)"),
    412: errorResponse("stale If-Match (`precondition_failed`)"),
    ...commonErrors,
  },
});

/** A client that reads whole versions only cannot read a document whose newest entry is a change. */
function upgradeRequired(doc: string): ApiError {
  return new ApiError(
    409,
    "upgrade_required",
    `document ${doc} is synced as changes: read it with GET /v1/users/{username}/changes (a client of this release)`,
  );
}

function noDocument(): ApiError {
  return new ApiError(404, "not_found", "no such document");
}

export function documentRoutes(): OpenAPIHono<AppEnv> {
  const app = createRouter();

  app.openapi(list, async (c) => {
    const { space } = authOf(c).account;
    const { current, leftovers } = await summarizeDocuments(c.env.BLOBS, space);
    // History a delete could not remove when it happened (storage failed during its cleanup) goes now.
    if (leftovers.length > 0)
      c.executionCtx.waitUntil(
        deleteLeftovers(c.env.BLOBS, leftovers).catch((err: unknown) => console.error("delete cleanup", err)),
      );
    return c.json({ documents: current.map(documentJson) }, 200);
  });

  app.openapi(read, async (c) => {
    const { doc } = c.req.valid("param");
    const { space } = authOf(c).account;
    const headers = c.req.valid("header");
    const held = parseVersionTag(headers["if-none-match"], "If-None-Match");
    const device = headers["x-device-id"];
    const head = await liveHead(c.env.BLOBS, space, doc);
    if (head === null) throw noDocument();
    const unchanged = held === "*" || held === head.version;
    const found = unchanged
      ? await describeVersion(c.env.BLOBS, space, head)
      : await openVersion(c.env.BLOBS, space, head);
    if (found === null) throw noDocument();
    if (("info" in found ? found.info : found).kind === "change") throw upgradeRequired(doc);
    // Only once the answer is in hand: a download that failed is no activity to record.
    if (device !== undefined) await noteActivity(c.env.DEVICES, space, device, "download", c.var.config.maxDevices);
    if ("body" in found) return tokenBytesResponse(found.info, found.body);
    return c.body(null, 304, versionHeaders(found));
  });

  app.openapi(write, async (c) => {
    const { username, doc } = c.req.valid("param");
    const headers = c.req.valid("header");
    const condition = writeCondition(headers["if-match"], headers["if-none-match"], headers["x-sync-version"]);
    const body = await readTokenBody(c.req.raw);
    const result = await ownerWrite(c, authOf(c), {
      username,
      doc,
      deviceId: headers["x-device-id"],
      body,
      condition,
    });
    return c.json(documentJson(result), result.created ? 201 : 200, versionHeaders(result));
  });

  app.openapi(remove, async (c) => {
    const { doc } = c.req.valid("param");
    const headers = c.req.valid("header");
    const condition = writeCondition(headers["if-match"], undefined);
    const { account } = authOf(c);
    await deleteDocument(c.env, c.var.config, {
      account: account.etag,
      username: account.space,
      doc,
      deviceId: headers["x-device-id"] ?? "",
      condition,
    });
    return c.body(null, 204);
  });

  return app;
}
