/**
 * The structure of a Fernet token (spec: github.com/fernet/spec, Spec.md), checked without a key.
 * Shared by the Worker, which must refuse anything that is not a token, and the client.
 *
 * Layout: version 0x80 | timestamp (8) | IV (16) | AES-128-CBC ciphertext (n*16, n >= 1) | HMAC-SHA256 (32).
 */

export const FERNET_VERSION = 0x80;
export const FERNET_OVERHEAD = 1 + 8 + 16 + 32;
/** The smallest token: one block of ciphertext (an empty plaintext pads to 16 bytes). */
export const FERNET_MIN_BYTES = FERNET_OVERHEAD + 16;

/** True when `raw` has a Fernet token's shape: right version byte, and a whole number of blocks. */
export function isFernetTokenShape(raw: Uint8Array): boolean {
  return raw.length >= FERNET_MIN_BYTES && raw[0] === FERNET_VERSION && (raw.length - FERNET_OVERHEAD) % 16 === 0;
}
