/** Fernet keys: 32 bytes written as URL-safe base64 (first half signs, second half encrypts), as Python's `cryptography.fernet`. */

import { base64urlDecode, base64urlEncode } from "../protocol/encoding.ts";
import { SyncError } from "../errors.ts";

export const FERNET_KEY_BYTES = 32;

/**
 * Generates a new random key, written as Python's `Fernet.generate_key()` writes one (44 characters, `=` padded).
 *
 * @example
 * const key = generateKey(); // "m3Vq...Z0=" — keep it secret, it is the user's whole security
 */
export function generateKey(): string {
  return base64urlEncode(crypto.getRandomValues(new Uint8Array(FERNET_KEY_BYTES)));
}

/**
 * The raw 32 bytes of a key given as its URL-safe base64 text (surrounding whitespace ignored, as a
 * `.env` line may carry it) or as the raw bytes themselves. Throws `SyncError("invalid_key")` otherwise.
 */
export function decodeFernetKey(key: string | Uint8Array): Uint8Array {
  if (key instanceof Uint8Array) {
    // A copy, never a view: callers zero what we return, and Node's Buffer#slice would share the caller's memory.
    if (key.length === FERNET_KEY_BYTES) return new Uint8Array(key);
    throw invalidKey();
  }
  if (typeof key !== "string") throw invalidKey();
  const raw = base64urlDecode(key.trim());
  if (raw === null || raw.length !== FERNET_KEY_BYTES) throw invalidKey();
  return raw;
}

function invalidKey(): SyncError {
  // cryptography's wording, so a user who met it on a Python device recognises it; the key itself is never echoed.
  return new SyncError("invalid_key", "Fernet key must be 32 url-safe base64-encoded bytes.");
}
