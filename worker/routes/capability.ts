/**
 * The capability URL of an account, `/v1/users/{username}/capability`, with the admin token: read
 * which token number is current, issue the next (the previous stops working), revoke (auth/capability.ts).
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { authorize } from "../auth/authorize.ts";
import { capabilityState, issueCapability, revokeCapability } from "../auth/capability.ts";
import type { AppEnv } from "../context.ts";
import { createRouter } from "../router.ts";
import { userParams } from "../schemas/account.ts";
import { capabilityAnswer, capabilityBody } from "../schemas/capability.ts";
import { bearerSecurity, commonErrors, errorResponse } from "../schemas/common.ts";

const tags = ["account"];
const path = "/v1/users/{username}/capability";

const read = createRoute({
  method: "get",
  path,
  tags,
  security: bearerSecurity,
  summary: "Which capability token is current (admin token)",
  request: { params: userParams },
  responses: {
    200: { description: "the state", content: { "application/json": { schema: capabilityAnswer } } },
    ...commonErrors,
  },
});

const issue = createRoute({
  method: "put",
  path,
  tags,
  security: bearerSecurity,
  summary: "Issue capability token number n, the next one; the previous stops working (admin token)",
  request: {
    params: userParams,
    body: { required: true, content: { "application/json": { schema: capabilityBody } } },
  },
  responses: {
    204: { description: "issued" },
    412: errorResponse("n is not the next number, or the account changed meanwhile (`precondition_failed`)"),
    ...commonErrors,
  },
});

const revoke = createRoute({
  method: "delete",
  path,
  tags,
  security: bearerSecurity,
  summary: "Revoke the capability URL, and the routine token's (admin token)",
  request: { params: userParams },
  responses: { 204: { description: "revoked" }, ...commonErrors },
});

export function capabilityRoutes(): OpenAPIHono<AppEnv> {
  const app = createRouter();

  app.openapi(read, async (c) => {
    const { username } = c.req.valid("param");
    const { account } = await authorize(c, username, { credential: "admin" });
    return c.json(capabilityState(account), 200);
  });

  app.openapi(issue, async (c) => {
    const { username } = c.req.valid("param");
    const { token, generation } = c.req.valid("json");
    const { account } = await authorize(c, username, { credential: "admin", access: "write" });
    await issueCapability(c, account, token, generation);
    return c.body(null, 204);
  });

  app.openapi(revoke, async (c) => {
    const { username } = c.req.valid("param");
    const { account } = await authorize(c, username, { credential: "admin", access: "write" });
    await revokeCapability(c, account);
    return c.body(null, 204);
  });

  return app;
}
