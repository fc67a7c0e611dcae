/**
 * AES-128-CBC with PKCS7 on one long-lived OpenSSL context per key and direction. CBC's whole state
 * between blocks is the previous ciphertext block, so a message under a new IV continues the same
 * stream once its first block is re-based with a 16-byte XOR; a fresh `createCipheriv` per token would
 * cost a context and a key schedule, a third of the time for a 1 KiB token.
 */

import { type Cipher, createCipheriv, createDecipheriv, type Decipher, type KeyObject } from "node:crypto";

const BLOCK = 16;
/** Plaintext is fed in slices of this size, so what the caller does with each output stays in cache. */
export const AES_CBC_CHUNK = 64 * 1024;

export class AesCbc {
  readonly #key: KeyObject;
  #cipher!: Cipher;
  #decipher!: Decipher;
  /** The last ciphertext block each context has seen: the chaining value the next block will use. */
  readonly #encryptChain = new Uint8Array(BLOCK);
  readonly #decryptChain = new Uint8Array(BLOCK);
  /** The first and last slices are copied here to re-base and to pad them; the middle is fed as is. */
  readonly #scratch = new Uint8Array(AES_CBC_CHUNK + BLOCK);

  constructor(key: KeyObject) {
    this.#key = key;
    this.#reset();
  }

  /** Encrypts with PKCS7 padding, handing the ciphertext to `sink` in order, slice by slice. */
  encrypt(iv: Uint8Array, plaintext: Uint8Array, sink: (ciphertext: Uint8Array) => void): void {
    const paddedLength = plaintext.length - (plaintext.length % BLOCK) + BLOCK;
    try {
      for (let start = 0; start < paddedLength; start += AES_CBC_CHUNK) {
        const end = Math.min(start + AES_CBC_CHUNK, paddedLength);
        const first = start === 0;
        const last = end === paddedLength;
        let input: Uint8Array;
        if (first || last) {
          input = this.#scratch.subarray(0, end - start);
          const available = Math.min(end, plaintext.length) - start;
          input.set(plaintext.subarray(start, start + available));
          if (last) input.fill(paddedLength - plaintext.length, available);
          // C1 = E(P1 ^ IV): the context will XOR in its chain, so cancel that and put the IV in.
          if (first) for (let i = 0; i < BLOCK; i++) input[i]! ^= iv[i]! ^ this.#encryptChain[i]!;
        } else {
          input = plaintext.subarray(start, end);
        }
        const output = this.#cipher.update(input);
        this.#encryptChain.set(output.subarray(output.length - BLOCK));
        sink(output);
      }
    } catch (error) {
      this.#reset();
      throw error;
    }
  }

  /** Decrypts and strips PKCS7 padding; throws if the padding is wrong (only after a MAC check, so no oracle). */
  decrypt(iv: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (ciphertext.length === 0 || ciphertext.length % BLOCK !== 0) throw new Error("ciphertext is not whole blocks");
    let output: Uint8Array;
    try {
      output = this.#decipher.update(ciphertext);
    } catch (error) {
      this.#reset();
      throw error;
    }
    // P1 = D(C1) ^ IV, but the context XORed its chain instead: swap one for the other.
    for (let i = 0; i < BLOCK; i++) output[i]! ^= this.#decryptChain[i]! ^ iv[i]!;
    this.#decryptChain.set(ciphertext.subarray(ciphertext.length - BLOCK));

    const pad = output[output.length - 1]!;
    let bad = pad === 0 || pad > BLOCK ? 1 : 0;
    for (let i = 1; i <= BLOCK; i++) if (i <= pad) bad |= output[output.length - i]! ^ pad;
    if (bad !== 0) throw new Error("bad PKCS7 padding");
    // A plain Uint8Array, not a Buffer. update() gives its output its own ArrayBuffer; were it ever a
    // slice of a shared pool, copy rather than hand the pool out.
    if (output.byteOffset !== 0 || output.buffer.byteLength !== output.length)
      return Uint8Array.prototype.slice.call(output, 0, output.length - pad);
    return new Uint8Array(output.buffer, 0, output.length - pad);
  }

  #reset(): void {
    const zero = new Uint8Array(BLOCK);
    this.#cipher = createCipheriv("aes-128-cbc", this.#key, zero).setAutoPadding(false);
    this.#decipher = createDecipheriv("aes-128-cbc", this.#key, zero).setAutoPadding(false);
    this.#encryptChain.fill(0);
    this.#decryptChain.fill(0);
  }
}
