/**
 * The account's credentials, derived on the device from the Fernet key (docs/PROTOCOL.md,
 * "Credentials"): the key never leaves. Each has its own HKDF salt, so knowing one token tells
 * nothing of another:
 * - the routine token opens the `/v1` routes every sync uses;
 * - the admin token alone replaces credentials, deletes the account, removes devices and manages
 *   the capability URL; it never travels on routine requests;
 * - the capability token is the one in the Python module's URL (`/legacy/<token>`), numbered so a
 *   leaked URL can be replaced by the next one; it opens the legacy routes only.
 */

import { base64urlEncode, hexEncode, utf8Encode } from "../protocol/encoding.ts";
import { decodeFernetKey } from "./fernet-key.ts";

const AUTH_SALT = "project-ai-cloud-sync/auth/v1";
const ADMIN_SALT = "project-ai-cloud-sync/admin/v1";
const CAPABILITY_SALT = "project-ai-cloud-sync/capability/v1";

async function hkdfToken(fernetKey: string | Uint8Array, salt: string, info: string): Promise<string> {
  const ikm = decodeFernetKey(fernetKey);
  const key = await crypto.subtle.importKey("raw", ikm as Uint8Array<ArrayBuffer>, "HKDF", false, ["deriveBits"]);
  ikm.fill(0);
  const bits = await crypto.subtle.deriveBits(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: utf8Encode(salt) as Uint8Array<ArrayBuffer>,
      info: utf8Encode(info) as Uint8Array<ArrayBuffer>,
    },
    key,
    256,
  );
  return base64urlEncode(new Uint8Array(bits), false);
}

/**
 * The routine token: HKDF-SHA256 of the key's raw 32 bytes, bound to the username, as 43
 * characters of unpadded base64url. Throws `SyncError("invalid_key")` for a malformed key.
 *
 * @example
 * const token = await deriveAuthToken(process.env.FERNET_KEY, "alice"); // send as "Authorization: Bearer " + token
 */
export function deriveAuthToken(fernetKey: string | Uint8Array, username: string): Promise<string> {
  return hkdfToken(fernetKey, AUTH_SALT, `user:${username}`);
}

/**
 * The admin token: as the routine token with its own salt. Sent only to the admin routes; a claim
 * carries its hash (`adminTokenHash`).
 *
 * @example
 * const admin = await deriveAdminToken(process.env.FERNET_KEY, "alice");
 */
export function deriveAdminToken(fernetKey: string | Uint8Array, username: string): Promise<string> {
  return hkdfToken(fernetKey, ADMIN_SALT, `user:${username}`);
}

/**
 * The capability URL's token number `generation` (1, 2, …): its own salt, and the number in the
 * info (usernames never contain ":"), so each rotation gives an unrelated token.
 *
 * @example
 * const url = `${origin}/legacy/${await deriveCapabilityToken(key, "alice", 1)}`;
 */
export function deriveCapabilityToken(
  fernetKey: string | Uint8Array,
  username: string,
  generation: number,
): Promise<string> {
  if (!Number.isSafeInteger(generation) || generation < 1) throw new RangeError("generation must be an integer >= 1");
  return hkdfToken(fernetKey, CAPABILITY_SALT, `user:${username}:${generation}`);
}

/** Lowercase hex SHA-256 of a token's UTF-8, as the server stores it (what `X-Admin-Hash` carries). */
export async function tokenHash(token: string): Promise<string> {
  return hexEncode(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8Encode(token) as Uint8Array<ArrayBuffer>)));
}
