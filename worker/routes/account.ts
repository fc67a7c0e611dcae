/** Account routes under `/v1/users/{username}`: claim the name, read usage, delete everything, replace the credential. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { deleteAccount, replaceCredentials } from "../auth/account-changes.ts";
import { authenticateFirst, authOf } from "../auth/authenticate-first.ts";
import { authorize } from "../auth/authorize.ts";
import { hashToken } from "../auth/token-hash.ts";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { hubOf } from "../changes/hub-index.ts";
import { createRouter } from "../router.ts";
import { guard } from "../storage/unavailable.ts";
import { accountAnswer, claimAnswer, claimSecretHeaders, credentialBody, userParams } from "../schemas/account.ts";
import { bearerSecurity, commonErrors, errorResponse } from "../schemas/common.ts";

const tags = ["account"];
const path = "/v1/users/{username}";

const claim = createRoute({
  method: "put",
  path,
  tags,
  security: bearerSecurity,
  summary: "Claim a username for this token (idempotent for its owner)",
  request: { params: userParams, headers: claimSecretHeaders },
  responses: {
    200: { description: "already yours", content: { "application/json": { schema: claimAnswer } } },
    201: { description: "claimed", content: { "application/json": { schema: claimAnswer } } },
    403: errorResponse("CLAIM_SECRET is set and X-Claim-Secret is missing or wrong (`claim_secret_required`)"),
    409: errorResponse("the name belongs to another token (`username_taken`)"),
    ...commonErrors,
  },
});

const read = createRoute({
  method: "get",
  path,
  tags,
  security: bearerSecurity,
  summary: "The account: creation time, storage used and allowed, document count",
  request: { params: userParams },
  responses: {
    200: { description: "the account", content: { "application/json": { schema: accountAnswer } } },
    ...commonErrors,
  },
});

const remove = createRoute({
  method: "delete",
  path,
  tags,
  security: bearerSecurity,
  summary: "Delete the account with every document, version and device (admin token)",
  description: "Authenticated by the admin token (`Authorization: Bearer <admin token>`), never the routine one.",
  request: { params: userParams },
  responses: { 204: { description: "deleted" }, ...commonErrors },
});

const credential = createRoute({
  method: "put",
  path: `${path}/credential`,
  tags,
  security: bearerSecurity,
  middleware: [authenticateFirst({ access: "write", credential: "admin" })] as const,
  summary: "Replace the tokens (key rotation), authenticated by the admin token",
  request: {
    params: userParams,
    body: { required: true, content: { "application/json": { schema: credentialBody } } },
  },
  responses: {
    204: { description: "replaced" },
    412: errorResponse("the credential changed meanwhile (`precondition_failed`)"),
    ...commonErrors,
  },
});

export function accountRoutes(): OpenAPIHono<AppEnv> {
  const app = createRouter();

  app.openapi(claim, async (c) => {
    const { username } = c.req.valid("param");
    const { account, claimed } = await authorize(c, username, {
      mayClaim: true,
      onMismatch: () => new ApiError(409, "username_taken", "this username belongs to another key"),
    });
    return c.json({ username, created_at: account.createdAt }, claimed ? 201 : 200);
  });

  app.openapi(read, async (c) => {
    const { username } = c.req.valid("param");
    const { account } = await authorize(c, username);
    const config = c.var.config;
    const usage = await guard("index.usage", () =>
      hubOf(c.env, account.space).usage(account.space, config.historyRetention),
    );
    return c.json(
      {
        username,
        created_at: account.createdAt,
        usage_bytes: usage.entries + usage.snapshots,
        stored_bytes: usage.entries + usage.snapshots + usage.inline,
        quota_bytes: config.userQuotaBytes,
        documents: usage.documents.length,
      },
      200,
    );
  });

  app.openapi(remove, async (c) => {
    const { username } = c.req.valid("param");
    const { account } = await authorize(c, username, { access: "write", credential: "admin" });
    await deleteAccount(c, account);
    return c.body(null, 204);
  });

  app.openapi(credential, async (c) => {
    const { token, admin_hash: adminHash } = c.req.valid("json");
    await replaceCredentials(c, authOf(c).account, { tokenHash: await hashToken(token), adminHash: adminHash ?? null });
    return c.body(null, 204);
  });

  return app;
}
