/** Puts the server's `Date` on every answer: the client measures its clock skew from it. */
import type { MiddlewareHandler } from "hono";

export const dateHeader: MiddlewareHandler = async (c, next) => {
  await next();
  const now = new Date().toUTCString();
  try {
    c.res.headers.set("Date", now);
  } catch {
    // Some responses have immutable headers: copy once.
    c.res = new Response(c.res.body, c.res);
    c.res.headers.set("Date", now);
  }
};
