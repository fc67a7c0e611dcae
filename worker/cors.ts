/**
 * CORS for the versioned API, so web apps on other origins (a Project-AI page using the client
 * library in the browser) can call it. Any origin may: requests authenticate with a bearer token in
 * a header, never a cookie, so a foreign page gains nothing it could not do without a browser.
 * Exposed are the headers the client reads: the version (ETag, X-Sync-*), Date for clock skew,
 * Last-Modified and Retry-After.
 */
import { cors } from "hono/cors";

export const apiCors = cors({
  origin: "*",
  allowMethods: ["GET", "PUT", "POST", "DELETE", "OPTIONS"],
  allowHeaders: ["Authorization", "Content-Type", "If-Match", "If-None-Match", "X-Device-Id", "X-Claim-Secret"],
  exposeHeaders: ["Date", "ETag", "Last-Modified", "Retry-After", "X-Sync-Version", "X-Sync-Device"],
  maxAge: 86400,
});
