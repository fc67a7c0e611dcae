/**
 * CORS for the versioned API, so web apps on other origins (a Project-AI page using the client
 * library in the browser) can call it. Any origin may: requests authenticate with a bearer token in
 * a header, never a cookie, so a foreign page gains nothing it could not do without a browser.
 * Exposed are the headers the client reads: the version (ETag, X-Sync-*), Date for clock skew,
 * Last-Modified and Retry-After.
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";

const corsHeaders = cors({
  origin: "*",
  allowMethods: ["GET", "PUT", "POST", "DELETE", "OPTIONS"],
  allowHeaders: [
    "Authorization",
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "X-Device-Id",
    "X-Claim-Secret",
    "X-Admin-Hash",
    "X-Sync-Version",
    "X-Sync-Undo",
  ],
  exposeHeaders: [
    "Date",
    "ETag",
    "Last-Modified",
    "Retry-After",
    "X-Sync-Version",
    "X-Sync-Device",
    "X-Sync-Next-Version",
    "X-Sync-Head",
    "X-Sync-More",
    "X-Sync-Reset",
    "X-Sync-Seq",
    "X-Sync-Compact",
  ],
  maxAge: 86400,
});

/**
 * Only a request with an Origin header (every cross-origin request a browser makes, and every
 * preflight) gets CORS headers: devices and CLIs never send one, and skipping the middleware saves
 * their requests its header work. Responses that could be stored carry `Cache-Control: no-cache`
 * (document-response.ts), so a browser revalidates and the answer brings the CORS headers it needs.
 */
export const apiCors: MiddlewareHandler = (c, next) =>
  c.req.header("Origin") === undefined ? next() : corsHeaders(c, next);
