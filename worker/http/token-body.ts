/**
 * Reads a request body that must be one raw Fernet token. Small bodies are buffered; large ones
 * with a Content-Length are checked from their length and first byte, then streamed to R2 so a
 * 50 MB document fits in a Worker's 128 MB.
 */
import {
  FERNET_MIN_BYTES,
  FERNET_OVERHEAD,
  FERNET_VERSION,
  isFernetTokenShape,
} from "../../client/core/protocol/token-shape.ts";
import { readCapped, replayStream } from "../../client/core/protocol/byte-stream.ts";
import { ApiError } from "../errors.ts";
import type { TokenBody } from "../storage/documents.ts";

/** Bodies below this size are buffered (cheaper, and a lost race can be retried with the same bytes). */
export const STREAM_FROM_BYTES = 1024 * 1024;

export function invalidToken(): ApiError {
  return new ApiError(
    400,
    "invalid_token",
    `body is not a Fernet token: it must start with byte 0x80, be at least ${FERNET_MIN_BYTES} bytes, and hold whole 16-byte blocks`,
  );
}

function shapeOfLengthOk(size: number): boolean {
  return size >= FERNET_MIN_BYTES && (size - FERNET_OVERHEAD) % 16 === 0;
}

/**
 * Reads a token body. A declared length is checked against the limit and the quota before a byte
 * is read; a body without one is read only up to STREAM_FROM_BYTES, so a body that never ends cannot
 * hold an isolate's memory: past that it must declare its length (411).
 */
export async function readTokenBody(request: Request): Promise<TokenBody> {
  const declared = request.headers.get("Content-Length");
  const size = declared !== null && /^\d{1,15}$/.test(declared) ? Number(declared) : null;
  if (size === null) {
    const bytes = await readBodyCapped(request.body, STREAM_FROM_BYTES);
    if (!isFernetTokenShape(bytes)) throw invalidToken();
    return { size: bytes.byteLength, bytes };
  }
  if (size < STREAM_FROM_BYTES || request.body === null) {
    const bytes = new Uint8Array(await request.arrayBuffer().catch(bodyCutShort));
    if (!isFernetTokenShape(bytes)) throw invalidToken();
    return { size: bytes.byteLength, bytes };
  }
  if (!shapeOfLengthOk(size)) throw invalidToken();
  return { size, stream: await checkFirstByte(request.body) };
}

/** Buffers a body of undeclared length, refusing it (411) as soon as it passes `cap` bytes. */
async function readBodyCapped(body: ReadableStream<Uint8Array> | null, cap: number): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  const tooLong = () =>
    new ApiError(411, "length_required", `a body of more than ${cap} bytes must declare its Content-Length`);
  return readCapped(body.getReader(), cap, tooLong).catch(bodyCutShort);
}

/** The client went away mid-upload: its request, not the server, failed (nothing is stored). */
function bodyCutShort(cause?: unknown): never {
  // The size limit's counting stream fails with its own 413 (http/body-limit.ts).
  if (cause instanceof ApiError) throw cause;
  throw new ApiError(400, "bad_request", "the request body ended before it was complete");
}

/** Reads until the first byte is seen, checks it, and returns a stream that replays everything. */
async function checkFirstByte(body: ReadableStream<Uint8Array>): Promise<ReadableStream<Uint8Array>> {
  const reader = body.getReader();
  let first: Uint8Array | undefined;
  while (first === undefined || first.byteLength === 0) {
    const chunk = await reader.read();
    if (chunk.done) break;
    first = chunk.value;
  }
  if (first === undefined || first[0] !== FERNET_VERSION) {
    await reader.cancel();
    throw invalidToken();
  }
  return replayStream([first], reader);
}
