/** Fernet keys from a passphrase, for users who would rather remember than store a key (docs/PROTOCOL.md, "Credential"). */

import { base64urlEncode, utf8Encode } from "../protocol/encoding.ts";

/** OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256. */
export const PASSPHRASE_ITERATIONS = 600_000;
const PASSPHRASE_SALT_PREFIX = "project-ai-cloud-sync/passphrase/v1:";

export interface PassphraseOptions {
  /** Defaults to 600000; lower only for tests, since every halving halves an attacker's cost. */
  iterations?: number;
}

/**
 * PBKDF2-HMAC-SHA256 of the passphrase, salted with the username, written as a normal Fernet key.
 * The same passphrase and username give the same key on every device.
 *
 * @example
 * const key = await keyFromPassphrase("correct horse battery staple", "alice");
 * const fernet = await Fernet.create(key);
 */
export async function keyFromPassphrase(
  passphrase: string,
  username: string,
  options: PassphraseOptions = {},
): Promise<string> {
  const iterations = options.iterations ?? PASSPHRASE_ITERATIONS;
  if (!Number.isSafeInteger(iterations) || iterations < 1)
    throw new RangeError("iterations must be a positive integer");
  if (typeof passphrase !== "string" || passphrase.length === 0)
    throw new TypeError("passphrase must be a non-empty string");
  const material = await crypto.subtle.importKey(
    "raw",
    utf8Encode(passphrase) as Uint8Array<ArrayBuffer>,
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    {
      name: "PBKDF2",
      hash: "SHA-256",
      salt: utf8Encode(PASSPHRASE_SALT_PREFIX + username) as Uint8Array<ArrayBuffer>,
      iterations,
    },
    material,
    256,
  );
  return base64urlEncode(new Uint8Array(bits));
}
