/** Key rotation as Python's `MultiFernet`: encrypt with the first key, decrypt with any, re-encrypt old tokens under the first. */

import { isSyncError } from "../errors.ts";
import type { DecryptOptions, EncryptOptions, Fernet, FernetToken } from "./fernet.ts";

/**
 * @example
 * const mf = new MultiFernet([await Fernet.create(newKey), await Fernet.create(oldKey)]);
 * const fresh = await mf.rotate(oldToken); // now readable with newKey alone
 */
export class MultiFernet {
  readonly #fernets: readonly Fernet[];

  constructor(fernets: Fernet[]) {
    if (!Array.isArray(fernets) || fernets.length === 0) throw new TypeError("MultiFernet needs at least one Fernet");
    this.#fernets = [...fernets];
  }

  encrypt(plaintext: Uint8Array | string, options: EncryptOptions = {}): Promise<Uint8Array> {
    return this.#fernets[0]!.encrypt(plaintext, options);
  }

  encryptToString(plaintext: Uint8Array | string, options: EncryptOptions = {}): Promise<string> {
    return this.#fernets[0]!.encryptToString(plaintext, options);
  }

  /** Tries each key in order. Expiry and clock errors come only from the key that authenticated the token, so they end the search. */
  async decrypt(token: FernetToken, options: DecryptOptions = {}): Promise<Uint8Array> {
    let last: unknown;
    for (const fernet of this.#fernets) {
      try {
        return await fernet.decrypt(token, options);
      } catch (error) {
        if (!isSyncError(error, "invalid_token")) throw error;
        last = error;
      }
    }
    throw last;
  }

  /** Re-encrypts a token under the first key, keeping its timestamp as Python does (its age is not reset). */
  async rotate(token: FernetToken): Promise<Uint8Array> {
    const plaintext = await this.decrypt(token, { maxClockSkew: Infinity });
    return this.#fernets[0]!.encrypt(plaintext, { now: this.#fernets[0]!.extractTimestamp(token) });
  }

  extractTimestamp(token: FernetToken): number {
    return this.#fernets[0]!.extractTimestamp(token);
  }
}
