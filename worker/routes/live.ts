/** `GET /v1/users/{username}/live`: the WebSocket upgrade to the user's hub (docs/PROTOCOL.md, `GET /v1/users/:u/live`). */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { authorize } from "../auth/authorize.ts";
import type { AppContext, AppEnv } from "../context.ts";
import { ApiError, unauthorized } from "../errors.ts";
import {
  HUB_CREDENTIAL_HEADER,
  HUB_DEVICE_HEADER,
  HUB_PROTOCOL_HEADER,
  HUB_USER_HEADER,
} from "../realtime/user-hub.ts";
import { createRouter } from "../router.ts";
import { bearerSecurity, commonErrors } from "../schemas/common.ts";
import { deviceIdSchema, usernameSchema } from "../schemas/names.ts";

export const LIVE_SUBPROTOCOL = "cloud-sync.v1";
const BEARER_PREFIX = "bearer.";

const live = createRoute({
  method: "get",
  path: "/v1/users/{username}/live",
  tags: ["live"],
  security: bearerSecurity,
  summary: "WebSocket of version announcements for this user's devices",
  description:
    "Upgrade with `Upgrade: websocket`. Browsers, which cannot set headers on a WebSocket, may offer the token as the " +
    "subprotocol `bearer.<token>` beside `cloud-sync.v1` (which the server then selects). The server sends " +
    '`{"type":"version","doc","version","device_id","updated_at"}` for each new document version, never data; ' +
    'a client may send "ping" and hears "pong".',
  request: {
    params: z.object({ username: usernameSchema.openapi({ param: { name: "username", in: "path" } }) }),
    query: z.object({
      device_id: deviceIdSchema.optional().openapi({
        param: { name: "device_id", in: "query" },
        description: "this device, listed by the hub as connected",
      }),
    }),
  },
  responses: { 101: { description: "switching to the WebSocket protocol" }, ...commonErrors },
});

interface OfferedProtocols {
  /** The token from a `bearer.<token>` entry, for browsers that cannot set Authorization. */
  token: string | undefined;
  /** What to echo: a browser that offered subprotocols fails the handshake without one. */
  accept: string | null;
}

function offeredProtocols(c: AppContext): OfferedProtocols {
  const entries = (c.req.header("Sec-WebSocket-Protocol") ?? "").split(",").map((p) => p.trim());
  const bearer = entries.find((p) => p.startsWith(BEARER_PREFIX));
  return {
    token: bearer === undefined ? undefined : bearer.slice(BEARER_PREFIX.length),
    accept: entries.includes(LIVE_SUBPROTOCOL) ? LIVE_SUBPROTOCOL : null,
  };
}

function unavailable(): ApiError {
  return new ApiError(503, "unavailable", "live updates are unavailable; poll instead", { "Retry-After": "30" });
}

export function liveRoutes(): OpenAPIHono<AppEnv> {
  const app = createRouter();
  app.openapi(live, async (c) => {
    const { username } = c.req.valid("param");
    const { device_id: deviceId } = c.req.valid("query");
    const offered = offeredProtocols(c);
    // The header wins when both are present, as on every other route.
    const token = c.req.header("Authorization") === undefined ? offered.token : undefined;
    const { account } = await authorize(c, username, token === undefined ? {} : { token });
    const { space } = account;
    if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
      throw new ApiError(400, "bad_request", "this route is a WebSocket: send Upgrade: websocket");
    }

    // The hub is the account incarnation's (storage/accounts.ts): a name claimed again gets another.
    const headers = new Headers({
      Upgrade: "websocket",
      [HUB_USER_HEADER]: space,
      [HUB_CREDENTIAL_HEADER]: account.tokenHash,
    });
    if (deviceId !== undefined) headers.set(HUB_DEVICE_HEADER, deviceId);
    if (offered.accept !== null) headers.set(HUB_PROTOCOL_HEADER, offered.accept);
    let res: Response;
    try {
      const hub = c.env.USER_HUB.get(c.env.USER_HUB.idFromName(space));
      res = await hub.fetch("https://hub.internal/connect", { headers });
    } catch {
      throw unavailable();
    }
    // The credential was replaced, or the account deleted, after this request was authenticated.
    if (res.status === 410) throw unauthorized();
    if (res.status === 429)
      throw new ApiError(429, "rate_limited", "too many live connections for this user", { "Retry-After": "30" });
    if (res.status !== 101) throw unavailable();
    return res;
  });
  return app;
}
