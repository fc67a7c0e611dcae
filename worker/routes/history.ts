/**
 * History routes under `/v1/users/{username}/docs/{doc}/versions`: list retained versions, read one.
 * There is no server-side restore: a copied old token would sit under a number it does not name
 * (docs/PROTOCOL.md, "Inside the token"); clients restore by writing old content as a new version.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { authorize } from "../auth/authorize.ts";
import type { AppContext, AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { tokenBytesResponse, versionJson } from "../http/document-response.ts";
import { createRouter } from "../router.ts";
import { bearerSecurity, commonErrors, errorResponse } from "../schemas/common.ts";
import { docParams, tokenBytesContent, versionParams, versionsAnswer } from "../schemas/documents.ts";
import { isRetained, listHistory, readVersion, type VersionBody } from "../storage/documents.ts";
import { listSnapshots } from "../storage/snapshots.ts";

const tags = ["history"];
const path = "/v1/users/{username}/docs/{doc}/versions";

const list = createRoute({
  method: "get",
  path,
  tags,
  security: bearerSecurity,
  summary: "Retained versions, newest first, the current one included (at most HISTORY_RETENTION)",
  request: { params: docParams },
  responses: {
    200: { description: "the versions", content: { "application/json": { schema: versionsAnswer } } },
    404: errorResponse("no such document (`not_found`)"),
    ...commonErrors,
  },
});

const read = createRoute({
  method: "get",
  path: `${path}/{n}`,
  tags,
  security: bearerSecurity,
  summary: "The raw token bytes of version n",
  request: { params: versionParams },
  responses: {
    200: { description: "the token bytes", content: tokenBytesContent },
    404: errorResponse("no such version, or pruned (`not_found`)"),
    ...commonErrors,
  },
});

/**
 * Version n if the history lists it: within retention and not from before a delete (older ones
 * answer 404 even before they are deleted).
 */
async function retainedVersion(c: AppContext, username: string, doc: string, n: number): Promise<VersionBody> {
  const retention = c.var.config.historyRetention;
  const [retained, found] = await Promise.all([
    isRetained(c.env.BLOBS, username, doc, n, retention),
    readVersion(c.env.BLOBS, username, doc, n),
  ]);
  if (found === null || !retained) {
    if (found?.body instanceof ReadableStream) await found.body.cancel();
    throw new ApiError(404, "not_found", `version ${n} does not exist or is no longer retained`);
  }
  return found;
}

export function historyRoutes(): OpenAPIHono<AppEnv> {
  const app = createRouter();

  app.openapi(list, async (c) => {
    const { username, doc } = c.req.valid("param");
    const { space } = (await authorize(c, username)).account;
    const versions = await listHistory(c.env.BLOBS, space, doc, c.var.config.historyRetention);
    if (versions.length === 0) throw new ApiError(404, "not_found", "no such document");
    const snapshots = versions.some((v) => v.kind === "change")
      ? new Set(await listSnapshots(c.env.BLOBS, space, doc))
      : new Set<number>();
    return c.json(
      {
        versions: versions.map((v) => ({
          ...versionJson(v),
          kind: v.kind ?? ("whole" as const),
          ...(snapshots.has(v.version) ? { snapshot: true as const } : {}),
        })),
      },
      200,
    );
  });

  app.openapi(read, async (c) => {
    const { username, doc, n } = c.req.valid("param");
    const { space } = (await authorize(c, username)).account;
    const found = await retainedVersion(c, space, doc, n);
    return tokenBytesResponse(found.info, found.body);
  });

  return app;
}
