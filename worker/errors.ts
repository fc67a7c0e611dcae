/** The Worker's one error type and the two handlers that turn anything thrown into `{"error":{"code","message"}}`. */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { DeviceLimitError } from "./storage/devices.ts";
import { STORAGE_RETRY_AFTER_SECONDS, StorageUnavailableError } from "./storage/unavailable.ts";

/** Public error codes (docs/PROTOCOL.md "Errors"). Codes are API: never renamed. */
export type ErrorCode =
  | "bad_request"
  | "invalid_name"
  | "invalid_token"
  | "unauthorized"
  | "claim_secret_required"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "username_taken"
  | "precondition_failed"
  | "precondition_required"
  | "payload_too_large"
  | "length_required"
  | "quota_exceeded"
  | "rate_limited"
  | "unavailable"
  | "upgrade_required"
  | "cursor_ahead"
  | "internal_error";

/** Thrown by handlers and middleware; `onError` writes it as the JSON error body. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: 304 | 400 | 401 | 403 | 404 | 405 | 409 | 411 | 412 | 413 | 415 | 428 | 429 | 500 | 503,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The one 401: the same whether or not the user exists (HOUSE_STYLE §3). */
export function unauthorized(): ApiError {
  return new ApiError(401, "unauthorized", "missing or invalid credentials");
}

/** A storage binding failed: retry later; nothing changed. */
export function storageUnavailable(): ApiError {
  return new ApiError(503, "unavailable", "storage is temporarily unavailable; retry later", {
    "Retry-After": String(STORAGE_RETRY_AFTER_SECONDS),
  });
}

/** Maps hono's own exceptions (bad JSON, wrong content type, body limit) to public codes. */
function fromHttpException(err: HTTPException): ApiError {
  switch (err.status) {
    case 413:
      return new ApiError(413, "payload_too_large", "request body is too large");
    case 415:
      return new ApiError(415, "bad_request", "unsupported content type");
    case 401:
      return unauthorized();
    default:
      return new ApiError(400, "bad_request", err.message || "bad request");
  }
}

export function errorResponse(c: Context, err: ApiError): Response {
  if (err.status === 304) return new Response(null, { status: 304, headers: err.headers });
  return c.json({ error: { code: err.code, message: err.message } }, err.status, err.headers);
}

export function onError(err: Error, c: Context): Response {
  if (err instanceof ApiError) return errorResponse(c, err);
  // A body cut off by the streaming size limit reaches a parser as malformed: say what happened.
  if (err instanceof HTTPException && c.get("bodyOverLimit") === true)
    return errorResponse(c, new ApiError(413, "payload_too_large", "request body is too large"));
  if (err instanceof HTTPException) return errorResponse(c, fromHttpException(err));
  if (err instanceof StorageUnavailableError) return errorResponse(c, storageUnavailable());
  if (err instanceof DeviceLimitError) return errorResponse(c, new ApiError(403, "quota_exceeded", err.message));
  // A bug: log the cause for the operator, tell the caller nothing about it.
  console.error(
    "internal_error",
    c.req.method,
    new URL(c.req.url).pathname.replace(/^\/legacy\/[^/]+/, "/legacy/<token>"),
    err,
  );
  return errorResponse(c, new ApiError(500, "internal_error", "internal error"));
}

export function notFound(c: Context): Response {
  return errorResponse(c, new ApiError(404, "not_found", "no such route"));
}
