/**
 * MAX_BODY_BYTES, enforced without buffering: a declared Content-Length over the limit is 413 at
 * once; a body of undeclared length is passed on through a counting stream that fails past the
 * limit, so whoever reads it (after authentication) reads at most the limit. hono's bodyLimit
 * would buffer a chunked body whole before the route runs, before anyone is authenticated.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";

export const limitBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  const raw = c.req.raw;
  if (raw.body === null) return next();
  const maxSize = c.var.config.maxBodyBytes;
  const tooLarge = () => new ApiError(413, "payload_too_large", `request body exceeds ${maxSize} bytes`);
  const declared = raw.headers.get("Content-Length");
  if (declared !== null && !raw.headers.has("Transfer-Encoding")) {
    if (!/^\d{1,15}$/.test(declared)) throw new ApiError(400, "bad_request", "Content-Length is not a number");
    if (Number(declared) > maxSize) {
      await raw.body.cancel();
      throw tooLarge();
    }
    return next();
  }
  let size = 0;
  const counted = raw.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength;
        if (size > maxSize) {
          c.set("bodyOverLimit", true);
          controller.error(tooLarge());
        } else controller.enqueue(chunk);
      },
    }),
  );
  c.req.raw = new Request(raw, { body: counted, duplex: "half" } as RequestInit);
  return next();
};
