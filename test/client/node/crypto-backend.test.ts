/** The node:crypto backend's long-lived CBC contexts give exactly what a fresh OpenSSL context per message gives. */

import { describe, expect, it } from "vitest";
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomBytes } from "node:crypto";
import { AES_CBC_CHUNK, AesCbc } from "../../../client/node/aes-cbc.ts";
import { nodeCryptoBackend } from "../../../client/node/crypto-backend.ts";

const SIZES = [
  0,
  1,
  15,
  16,
  17,
  1024,
  AES_CBC_CHUNK - 17,
  AES_CBC_CHUNK - 16,
  AES_CBC_CHUNK - 1,
  AES_CBC_CHUNK,
  AES_CBC_CHUNK + 1,
  3 * AES_CBC_CHUNK + 5,
];

function oneShot(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv("aes-128-cbc", key, iv);
  return Buffer.concat([cipher.update(plaintext), cipher.final()]);
}

function encrypt(aes: AesCbc, iv: Uint8Array, plaintext: Uint8Array): Buffer {
  const chunks: Uint8Array[] = [];
  aes.encrypt(iv, plaintext, (chunk) => chunks.push(Uint8Array.prototype.slice.call(chunk)));
  return Buffer.concat(chunks);
}

describe("AesCbc", () => {
  it("encrypts message after message exactly as a fresh createCipheriv per message, across slice boundaries", () => {
    const key = randomBytes(16);
    const aes = new AesCbc(createSecretKey(key));
    for (const size of [...SIZES, ...[...SIZES].reverse()]) {
      const iv = randomBytes(16);
      const plaintext = randomBytes(size);
      expect(encrypt(aes, iv, plaintext).equals(oneShot(key, iv, plaintext))).toBe(true);
    }
  });

  it("decrypts message after message exactly as a fresh createDecipheriv per message", () => {
    const key = randomBytes(16);
    const aes = new AesCbc(createSecretKey(key));
    for (const size of SIZES) {
      const iv = randomBytes(16);
      const plaintext = randomBytes(size);
      const ciphertext = oneShot(key, iv, plaintext);
      const decipher = createDecipheriv("aes-128-cbc", key, iv);
      expect(Buffer.concat([decipher.update(ciphertext), decipher.final()]).equals(plaintext)).toBe(true);
      expect(Buffer.from(aes.decrypt(iv, ciphertext)).equals(plaintext)).toBe(true);
    }
  });

  it("keeps decrypting correctly after rejecting bad padding or a partial block", () => {
    const key = randomBytes(16);
    const aes = new AesCbc(createSecretKey(key));
    const iv = randomBytes(16);
    // Plaintext of zeros ends in a pad byte of 0, which PKCS7 never writes.
    const zeros = createCipheriv("aes-128-cbc", key, iv).setAutoPadding(false).update(new Uint8Array(32));
    expect(() => aes.decrypt(iv, zeros)).toThrow("bad PKCS7 padding");
    expect(() => aes.decrypt(iv, randomBytes(31))).toThrow("ciphertext is not whole blocks");
    const plaintext = randomBytes(100);
    expect(Buffer.from(aes.decrypt(iv, oneShot(key, iv, plaintext))).equals(plaintext)).toBe(true);
  });

  it("returns plain Uint8Arrays that own their memory, not Buffers from a shared pool", async () => {
    const keys = nodeCryptoBackend.importKey(randomBytes(16), randomBytes(16));
    const iv = randomBytes(16);
    const plaintext = await nodeCryptoBackend.decrypt(
      keys,
      iv,
      await nodeCryptoBackend.encrypt(keys, iv, randomBytes(40)),
    );
    expect(Buffer.isBuffer(plaintext)).toBe(false);
    expect(plaintext.length).toBe(40);
    expect(plaintext.buffer.byteLength).toBe(48);
  });

  it("seals tokens whose every byte is header, ciphertext or MAC, though their buffers are not zero-filled", async () => {
    const signing = randomBytes(16);
    const encryption = randomBytes(16);
    const keys = nodeCryptoBackend.importKey(signing, encryption);
    for (const size of SIZES) {
      // Freed buffers full of a marker first, so stale memory under a new token is likely not zeros.
      for (let i = 0; i < 4; i++) Buffer.allocUnsafeSlow(size + 64).fill(0xa5);
      const header = Uint8Array.of(0x80, ...randomBytes(24));
      const plaintext = randomBytes(size);
      const token = await nodeCryptoBackend.seal!(keys, header, plaintext);
      const body = Buffer.concat([header, oneShot(encryption, header.subarray(9, 25), plaintext)]);
      const expected = Buffer.concat([body, createHmac("sha256", signing).update(body).digest()]);
      expect(Buffer.from(token).equals(expected)).toBe(true);
      expect(Buffer.isBuffer(token)).toBe(false);
      expect(token.buffer.byteLength).toBe(token.length);
    }
  });
});
