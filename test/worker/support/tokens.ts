/** Test credentials and documents: auth tokens per username and random Fernet-shaped token bytes (the server never decrypts). */
import { base64urlEncode, hexEncode, utf8Encode } from "../../../client/core/protocol/encoding.ts";

let counter = 0;

/** A fresh username per call, so tests never share state. */
export function uniqueUser(label = "user"): string {
  counter += 1;
  return `${label}-${Date.now().toString(36)}-${counter}-${crypto.randomUUID().slice(0, 8)}`;
}

/** A well-formed 43-character token, deterministic per seed. */
export async function tokenFor(seed: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8Encode(`token:${seed}`)));
  return base64urlEncode(digest, false);
}

/** Random bytes shaped like a Fernet token with `blocks` blocks of ciphertext. */
export function fernetBytes(blocks = 2): Uint8Array {
  const raw = new Uint8Array(1 + 8 + 16 + 16 * blocks + 32);
  for (let i = 0; i < raw.length; i += 65536) crypto.getRandomValues(raw.subarray(i, i + 65536));
  raw[0] = 0x80;
  return raw;
}

/** The legacy routes' `encrypted_data` for raw token bytes: hex of the padded base64url text. */
export function encryptedDataOf(raw: Uint8Array): string {
  return hexEncode(utf8Encode(base64urlEncode(raw, true)));
}
