/**
 * The `username` of a Python-style upload, read from the first bytes of its JSON body only, so the
 * caller can be authenticated before the rest (megabytes of hex) is read. The Python module sends
 * `username` first; a body that does not name its user within PEEK_BYTES is refused (401). The body
 * is put back whole on the request for the route's own parser.
 */
import { concatBytes, replayStream } from "../../client/core/protocol/byte-stream.ts";
import type { AppContext } from "../context.ts";
import { unauthorized } from "../errors.ts";

const PEEK_BYTES = 4096;
const decoder = new TextDecoder();

export async function peekUsername(c: AppContext): Promise<string> {
  const body = c.req.raw.body;
  if (body === null) throw unauthorized();
  const reader = body.getReader();
  const seen: Uint8Array[] = [];
  let size = 0;
  let username: string | null = null;
  while (username === null && size < PEEK_BYTES) {
    const chunk = await reader.read();
    if (chunk.done) break;
    seen.push(chunk.value);
    size += chunk.value.byteLength;
    username = nameIn(seen);
  }
  if (username === null) {
    await reader.cancel();
    throw unauthorized();
  }
  const replay = replayStream(seen, reader);
  c.req.raw = new Request(c.req.raw, { body: replay, duplex: "half" } as RequestInit);
  return username;
}

/** The `username` string among the leading fields of a JSON object's first bytes, if they hold it whole. */
function nameIn(chunks: Uint8Array[]): string | null {
  const joined = concatBytes(chunks).subarray(0, PEEK_BYTES);
  // Usernames are plain ASCII without quotes or backslashes (USERNAME_PATTERN): no JSON escapes.
  // Only short string fields may come before it, so the hex of the token is never scanned.
  const match =
    /^\s*\{(?:\s*"(?:device_id|timestamp)"\s*:\s*"[^"\\]{0,256}"\s*,)*\s*"username"\s*:\s*"([^"\\]{1,64})"/.exec(
      decoder.decode(joined),
    );
  return match?.[1] ?? null;
}
