/**
 * The legacy routes (`/upload`, `/download`, `/devices`), byte-compatible with the Python
 * CloudSyncManager (docs/PYTHON-DEVICES.md), served under the capability base URL `/legacy/<token>`
 * (no header needed) and at the root with `Authorization: Bearer`. They read and write the document `default`.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { authOf, credentialPresented, uploadOwnerFirst } from "../auth/authenticate-first.ts";
import { authorize } from "../auth/authorize.ts";
import type { AppContext, AppEnv } from "../context.ts";
import { ApiError, unauthorized } from "../errors.ts";
import { ownerWrite } from "../write/owner-write.ts";
import { decodeEncryptedData, encryptedDataLength, encryptedDataStream } from "../http/legacy-token.ts";
import { utf8Encode } from "../../client/core/protocol/encoding.ts";
import { createRouter } from "../router.ts";
import { bearerSecurity, commonErrors, errorResponse } from "../schemas/common.ts";
import {
  legacyDevicesAnswer,
  legacyDevicesQuery,
  legacyDownloadAnswer,
  legacyDownloadQuery,
  legacyTokenParams,
  legacyUploadAnswer,
  legacyUploadBody,
} from "../schemas/legacy.ts";
import { listDevices, noteActivity } from "../storage/devices.ts";
import { readCurrent } from "../storage/documents.ts";

/** The document the legacy routes read and write. */
export const LEGACY_DOC = "default";

function routes(prefix: "/legacy/{token}" | "") {
  const capability = prefix !== "";
  const auth = capability ? { request: { params: legacyTokenParams } } : { security: bearerSecurity };
  const tags = [capability ? "Python-compatible (capability URL)" : "Python-compatible (Bearer)"];
  return {
    upload: createRoute({
      method: "post",
      path: `${prefix}/upload`,
      tags,
      summary: "Store a new version of the default document (Python-compatible)",
      ...auth,
      middleware: [credentialPresented, uploadOwnerFirst] as const,
      request: {
        ...(capability ? { params: legacyTokenParams } : {}),
        body: { required: true, content: { "application/json": { schema: legacyUploadBody } } },
      },
      responses: {
        200: { description: "stored", content: { "application/json": { schema: legacyUploadAnswer } } },
        403: errorResponse("claiming needs X-Claim-Secret (`claim_secret_required`)"),
        413: errorResponse("body or quota too large"),
        ...commonErrors,
      },
    }),
    download: createRoute({
      method: "get",
      path: `${prefix}/download`,
      tags,
      summary: "The latest version of the default document, whichever device wrote it (Python-compatible)",
      ...auth,
      request: { ...(capability ? { params: legacyTokenParams } : {}), query: legacyDownloadQuery },
      responses: {
        200: { description: "the latest upload", content: { "application/json": { schema: legacyDownloadAnswer } } },
        404: errorResponse("nothing uploaded yet (`not_found`)"),
        ...commonErrors,
      },
    }),
    devices: createRoute({
      method: "get",
      path: `${prefix}/devices`,
      tags,
      summary: "Devices that have synced (Python-compatible)",
      ...auth,
      request: { ...(capability ? { params: legacyTokenParams } : {}), query: legacyDevicesQuery },
      responses: {
        200: { description: "the devices", content: { "application/json": { schema: legacyDevicesAnswer } } },
        ...commonErrors,
      },
    }),
  };
}

async function upload(c: AppContext, body: { username: string; device_id: string; encrypted_data: string }) {
  // Authenticated before the hex is decoded; these routes never claim a username (legacy-url does).
  // uploadOwnerFirst authorized the account before the body was read: the parsed body must name that
  // same account (JSON lets a key repeat, and the last one counts).
  const authorized = authOf(c);
  if (authorized.account.username !== body.username) throw unauthorized();
  const raw = decodeEncryptedData(body.encrypted_data);
  const result = await ownerWrite(c, authorized, {
    username: body.username,
    doc: LEGACY_DOC,
    deviceId: body.device_id,
    body: { size: raw.byteLength, bytes: raw },
    condition: { ifMatch: null, createOnly: false },
  });
  return c.json({ status: "success" as const, timestamp: result.updatedAt }, 200);
}

async function download(c: AppContext, query: { username: string; device_id?: string | undefined }) {
  const { space } = (await authorize(c, query.username)).account;
  const found = await readCurrent(c.env.BLOBS, space, LEGACY_DOC);
  if (found === null) throw new ApiError(404, "not_found", "nothing has been uploaded for this user yet");
  // Only once the answer is in hand: a download that failed is no activity to record.
  if (query.device_id !== undefined)
    await noteActivity(c.env.DEVICES, space, query.device_id, "download", c.var.config.maxDevices);
  // The Python module's JSON, streamed: the hex of a large token is never held whole in memory.
  const head = utf8Encode(
    `{"username":${JSON.stringify(query.username)},"device_id":${JSON.stringify(found.info.deviceId)},"encrypted_data":"`,
  );
  const tail = utf8Encode(`","timestamp":${JSON.stringify(found.info.updatedAt)}}`);
  const raw = found.body instanceof Uint8Array ? new Response(found.body).body! : found.body;
  // Pulled by the response as it is sent: head, the streamed hex, tail; nothing runs ahead of the reader.
  const encoded = encryptedDataStream(raw).getReader();
  let started = false;
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        return controller.enqueue(head);
      }
      const chunk = await encoded.read();
      if (!chunk.done) return controller.enqueue(chunk.value);
      controller.enqueue(tail);
      controller.close();
    },
    cancel(reason) {
      return encoded.cancel(reason);
    },
  });
  const length = head.byteLength + encryptedDataLength(found.info.size) + tail.byteLength;
  return new Response(readable, {
    status: 200,
    headers: { "Content-Type": "application/json", "Content-Length": String(length) },
  });
}

async function devices(c: AppContext, query: { username: string }) {
  const { space } = (await authorize(c, query.username)).account;
  const list = await listDevices(c.env.DEVICES, space);
  return c.json({ devices: list.map((d) => ({ device_id: d.device_id, last_sync: d.last_sync })) }, 200);
}

export function legacyRoutes(): OpenAPIHono<AppEnv> {
  const app = createRouter();
  for (const prefix of ["/legacy/{token}", ""] as const) {
    const r = routes(prefix);
    app.openapi(r.upload, (c) => upload(c, c.req.valid("json")));
    // A streamed JSON answer (see download) is a plain Response, which hono's typed c.json cannot
    // express; the route's schema still describes its shape.
    app.openapi(r.download, (c) => download(c, c.req.valid("query")) as never);
    app.openapi(r.devices, (c) => devices(c, c.req.valid("query")));
  }
  return app;
}
