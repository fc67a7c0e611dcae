// worker/schemas/: zod schemas per resource: they validate requests, type the handlers and generate /openapi.json.
/** Schemas shared by every route: the error body, the auth header, and the hook that turns validation failures into 400s. */
import { z, type Hook } from "@hono/zod-openapi";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { NAME_FIELDS } from "./names.ts";

export const errorSchema = z
  .object({ error: z.object({ code: z.string().openapi({ example: "unauthorized" }), message: z.string() }) })
  .openapi("Error");

/** An error answer, as OpenAPI `responses` entries. */
export function errorResponse(description: string) {
  return { description, content: { "application/json": { schema: errorSchema } } };
}

/** The answers any authenticated route may give besides its own. */
export const commonErrors = {
  400: errorResponse("malformed request (`bad_request`, `invalid_name`)"),
  401: errorResponse("missing or wrong token (`unauthorized`)"),
  429: errorResponse("too many requests (`rate_limited`), see Retry-After"),
  503: errorResponse("a storage binding failed (`unavailable`), see Retry-After"),
} as const;

export const bearerSecurity = [{ bearer: [] }];

/**
 * Reports the first validation issue: a malformed name as `invalid_name` with its rule, a missing
 * or mistyped field and anything else as `bad_request`.
 */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (result.success) return;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join(".") ?? "";
  const label = result.target === "header" ? `header ${field}` : field === "" ? "body" : field;
  if (issue?.code === "invalid_type") {
    throw new ApiError(400, "bad_request", `${label} is missing or not a ${String(issue.expected)}`);
  }
  const message = issue?.message ?? "invalid request";
  if (NAME_FIELDS.has(field)) throw new ApiError(400, "invalid_name", message);
  throw new ApiError(400, "bad_request", field === "" ? message : `${label}: ${message}`);
};
