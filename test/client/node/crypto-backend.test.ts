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
      // A large token owns its memory; a small one is a view of a slab of tokens (below).
      if (token.length > 4096) expect(token.buffer.byteLength).toBe(token.length);
    }
  });

  it("carves small tokens from a shared slab without overlap: sealing one never changes another", async () => {
    const keys = nodeCryptoBackend.importKey(randomBytes(16), randomBytes(16));
    const sealed: Array<{ token: Uint8Array; copy: Buffer }> = [];
    for (let i = 0; i < 200; i++) {
      const token = await nodeCryptoBackend.seal!(keys, Uint8Array.of(0x80, ...randomBytes(24)), randomBytes(i * 7));
      sealed.push({ token, copy: Buffer.from(token) });
    }
    expect(sealed.every(({ token, copy }) => copy.equals(token))).toBe(true);
    // They share slabs (the point), each at an offset of its own.
    const shared = sealed.filter(({ token }) => token.buffer === sealed[1]!.token.buffer);
    expect(shared.length).toBeGreaterThan(1);
    const offsets = shared.map(({ token }) => token.byteOffset);
    expect(new Set(offsets).size).toBe(offsets.length);
  });
});
