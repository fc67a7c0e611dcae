/** MAX_BODY_BYTES with hono's bodyLimit: 413 from Content-Length at once, or while a chunked body streams in. */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";

export const limitBody: MiddlewareHandler<AppEnv> = (c, next) => {
  const maxSize = c.var.config.maxBodyBytes;
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError(413, "payload_too_large", `request body exceeds ${maxSize} bytes`);
    },
  })(c, next);
};
