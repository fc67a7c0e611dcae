/** `GET /v1/users/:username/live`: the WebSocket upgrade to the user's hub (issue 6, PROTOCOL.md). */
import { Hono } from "hono";
import { authorize } from "../auth/authorize.ts";
import type { AppContext, AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { HUB_DEVICE_HEADER, HUB_PROTOCOL_HEADER } from "../realtime/user-hub.ts";
import { DEVICE_ID_MESSAGE, DEVICE_ID_PATTERN, USERNAME_MESSAGE, USERNAME_PATTERN } from "../schemas/names.ts";

export const LIVE_SUBPROTOCOL = "cloud-sync.v1";
const BEARER_PREFIX = "bearer.";

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

export const liveRoutes = new Hono<AppEnv>();

liveRoutes.get("/v1/users/:username/live", async (c) => {
  const username = c.req.param("username");
  if (!USERNAME_PATTERN.test(username)) throw new ApiError(400, "invalid_name", USERNAME_MESSAGE);
  const offered = offeredProtocols(c);
  // The header wins when both are present, as on every other route.
  const token = c.req.header("Authorization") === undefined ? offered.token : undefined;
  await authorize(c, username, token === undefined ? {} : { token });

  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
    throw new ApiError(400, "bad_request", "this route is a WebSocket: send Upgrade: websocket");
  }
  const deviceId = c.req.query("device_id");
  if (deviceId !== undefined && !DEVICE_ID_PATTERN.test(deviceId)) throw new ApiError(400, "invalid_name", DEVICE_ID_MESSAGE);

  const headers = new Headers({ Upgrade: "websocket" });
  if (deviceId !== undefined) headers.set(HUB_DEVICE_HEADER, deviceId);
  if (offered.accept !== null) headers.set(HUB_PROTOCOL_HEADER, offered.accept);
  let res: Response;
  try {
    const hub = c.env.USER_HUB.get(c.env.USER_HUB.idFromName(username));
    res = await hub.fetch("https://hub.internal/connect", { headers });
  } catch {
    throw new ApiError(503, "unavailable", "live updates are unavailable; poll instead", { "Retry-After": "30" });
  }
  if (res.status === 429) throw new ApiError(429, "rate_limited", "too many live connections for this user", { "Retry-After": "30" });
  if (res.status !== 101) throw new ApiError(503, "unavailable", "live updates are unavailable; poll instead", { "Retry-After": "30" });
  return res;
});
