/** The account credential, derived on the device from the Fernet key (docs/PROTOCOL.md, "Credential"): the key never leaves. */

import { base64urlEncode, utf8Encode } from "../protocol/encoding.ts";
import { decodeFernetKey } from "./fernet-key.ts";

const AUTH_SALT = "project-ai-cloud-sync/auth/v1";

/**
 * HKDF-SHA256 of the key's raw 32 bytes, bound to the username, as 43 characters of unpadded base64url.
 * Throws `SyncError("invalid_key")` for a malformed key.
 *
 * @example
 * const token = await deriveAuthToken(process.env.FERNET_KEY, "alice"); // send as "Authorization: Bearer " + token
 */
export async function deriveAuthToken(fernetKey: string | Uint8Array, username: string): Promise<string> {
  const ikm = decodeFernetKey(fernetKey);
  const key = await crypto.subtle.importKey("raw", ikm as Uint8Array<ArrayBuffer>, "HKDF", false, ["deriveBits"]);
  ikm.fill(0);
  const bits = await crypto.subtle.deriveBits(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: utf8Encode(AUTH_SALT) as Uint8Array<ArrayBuffer>,
      info: utf8Encode(`user:${username}`) as Uint8Array<ArrayBuffer>,
    },
    key,
    256,
  );
  return base64urlEncode(new Uint8Array(bits), false);
}
