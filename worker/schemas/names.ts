/** Names on the wire (docs/PROTOCOL.md "Names"): usernames, device ids, document names and versions. */
import { z } from "@hono/zod-openapi";
// One source for both sides: the client checks names with the same patterns before it sends them.
import { DEVICE_ID_PATTERN, DOC_NAME_PATTERN, USERNAME_PATTERN } from "../../client/core/protocol/names.ts";

export { DEVICE_ID_PATTERN, DOC_NAME_PATTERN, USERNAME_PATTERN };

export const USERNAME_MESSAGE =
  "username must be 1-64 characters from A-Z a-z 0-9 . _ @ + -, start with a letter or digit, and not contain '..'";
export const DEVICE_ID_MESSAGE =
  "device id must be 1-64 characters from A-Z a-z 0-9 . _ -, start with a letter or digit, and not contain '..'";
export const DOC_NAME_MESSAGE =
  "document name must be 1-64 characters from a-z 0-9 . _ -, start with a letter or digit, and not contain '..'";

export const usernameSchema = z
  .string({ error: USERNAME_MESSAGE })
  .regex(USERNAME_PATTERN, { error: USERNAME_MESSAGE })
  .openapi({ example: "alice" });

export const deviceIdSchema = z
  .string({ error: DEVICE_ID_MESSAGE })
  .regex(DEVICE_ID_PATTERN, { error: DEVICE_ID_MESSAGE })
  .openapi({ example: "3f2a9c0d1b4e5f60" });

export const docNameSchema = z
  .string({ error: DOC_NAME_MESSAGE })
  .regex(DOC_NAME_PATTERN, { error: DOC_NAME_MESSAGE })
  .openapi({ example: "default" });

export const VERSION_MESSAGE = "version must be an integer from 1 to 999999999999";
/** Versions fit in 12 digits: the storage key orders them newest-first by 10^12 - version. */
export const MAX_VERSION = 999_999_999_999;

export const versionParamSchema = z
  .string({ error: VERSION_MESSAGE })
  .regex(/^[1-9]\d{0,11}$/, { error: VERSION_MESSAGE })
  .transform(Number)
  .openapi({ type: "string", example: "3" });

/** The query/path fields whose failures are reported as `invalid_name` rather than `bad_request`. */
export const NAME_FIELDS: ReadonlySet<string> = new Set(["username", "device_id", "doc", "id", "x-device-id"]);
