/**
 * Authentication before anything else of the request is read: a route middleware that runs ahead
 * of hono's validators, so an anonymous or wrong credential is answered 401 before a header is
 * parsed or a byte of the body is buffered. A claim it makes is undone if the request then fails.
 */
import type { MiddlewareHandler } from "hono";
import { isUsername } from "../../client/core/protocol/names.ts";
import type { AppEnv } from "../context.ts";
import { unauthorized } from "../errors.ts";
import { type Authorized, authorize, presentedToken, releaseClaim } from "./authorize.ts";
import { isAuthTokenShape } from "./token-hash.ts";
import { peekUsername } from "../http/peek-username.ts";

type AuthorizeOptions = NonNullable<Parameters<typeof authorize>[2]>;

/**
 * Authorizes the path's `username` and sets `c.var.auth`. A path whose username is not a legal
 * name is left to the route's parameter validator (a 400 `invalid_name`, also before the body).
 */
export function authenticateFirst(options: AuthorizeOptions = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const username = c.req.param("username");
    if (username === undefined || !isUsername(username)) return next();
    const authorized = await authorize(c, username, options);
    c.set("auth", authorized);
    await next();
    if (authorized.claimed && (c.error !== undefined || c.res.status >= 400)) await releaseClaim(c, username);
  };
}

/** The authorization `authenticateFirst` made for this request. */
export function authOf(c: { var: { auth?: Authorized } }): Authorized {
  const auth = c.var.auth;
  // A route reached without its middleware is a wiring bug, not a caller's mistake.
  if (auth === undefined) throw new Error("route reached without authenticateFirst");
  return auth;
}

/**
 * For routes whose username is inside the body (the Python-compatible upload): no body is read
 * unless a credential of the right shape is presented, so an anonymous request of any size costs
 * one header check.
 */
export const credentialPresented: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = presentedToken(c);
  if (token === null || !isAuthTokenShape(token)) throw unauthorized();
  await next();
};

/**
 * For the Python-style upload, whose username is inside the body: the account is the one a
 * capability URL's path names, or else the one the body's first bytes name (http/peek-username.ts),
 * and it is authorized before the rest is read. `c.var.auth` is set for the route, which checks the
 * parsed body names the same account.
 */
export const uploadOwnerFirst: MiddlewareHandler<AppEnv> = async (c, next) => {
  const username = c.var.capability?.username ?? (await peekUsername(c));
  c.set("auth", await authorize(c, username, { access: "write" }));
  await next();
};
