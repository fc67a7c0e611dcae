/** Hashing and comparing auth tokens: the server keeps only SHA-256(token) and compares hashes in constant time. */
import { hexEncode, utf8Encode } from "../../client/core/protocol/encoding.ts";

/** base64url of 32 bytes without padding (docs/PROTOCOL.md "Credential"). */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function isAuthTokenShape(token: string): boolean {
  return TOKEN_SHAPE.test(token);
}

export async function hashToken(token: string): Promise<string> {
  return hexEncode(await sha256(token));
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", utf8Encode(text)));
}

/** Constant-time equality of two secrets of any length: their SHA-256 digests are compared, so not even the length shows. */
export async function secretsEqual(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([sha256(a), sha256(b)]);
  return crypto.subtle.timingSafeEqual(x, y);
}

/** Constant-time equality of two strings of equal length (hex hashes, secrets); unequal lengths are simply unequal. */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = utf8Encode(a);
  const y = utf8Encode(b);
  if (x.byteLength !== y.byteLength) return false;
  return crypto.subtle.timingSafeEqual(x, y);
}
