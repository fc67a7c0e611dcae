/** Fernet's primitives on node:crypto: the same AES-128-CBC and HMAC-SHA256 as WebCrypto, without its per-call promise and copy overhead. */

import { createCipheriv, createDecipheriv, createHmac, createSecretKey, type KeyObject, randomFillSync, timingSafeEqual } from "node:crypto";
import type { FernetCryptoBackend } from "../core/fernet-backend.ts";

interface NodeKeys {
  readonly hmac: KeyObject;
  readonly aes: KeyObject;
}

const BLOCK = 16;
const MAC_BYTES = 32;
// Big plaintexts are encrypted a slice at a time, each slice MACed and copied into the token while it is
// still in cache: one pass over memory instead of three, and no plaintext-sized temporary buffer.
const SEAL_CHUNK = 64 * 1024;
// IVs come from a pooled buffer: one randomFillSync per 256 tokens instead of one per token.
const POOL_BYTES = 4096;
let pool = new Uint8Array(0);
let poolOffset = 0;

function randomBytes(n: number): Uint8Array {
  if (n > POOL_BYTES / 4) return randomFillSync(new Uint8Array(n));
  if (poolOffset + n > pool.length) {
    pool = randomFillSync(new Uint8Array(POOL_BYTES));
    poolOffset = 0;
  }
  // A copy, so no two callers ever share (or can overwrite) the same random bytes.
  const out = pool.slice(poolOffset, poolOffset + n);
  poolOffset += n;
  return out;
}

function hmac(keys: NodeKeys, data: Uint8Array): Uint8Array {
  return createHmac("sha256", keys.hmac).update(data).digest();
}

/**
 * @example
 * const fernet = await Fernet.create(key, { backend: nodeCryptoBackend });
 */
export const nodeCryptoBackend: FernetCryptoBackend = {
  importKey(signingKey, encryptionKey): NodeKeys {
    return { hmac: createSecretKey(signingKey), aes: createSecretKey(encryptionKey) };
  },
  async encrypt(state, iv, plaintext) {
    const cipher = createCipheriv("aes-128-cbc", (state as NodeKeys).aes, iv);
    const body = cipher.update(plaintext);
    const last = cipher.final();
    if (body.length === 0) return last;
    const out = new Uint8Array(body.length + last.length);
    out.set(body);
    out.set(last, body.length);
    return out;
  },
  async decrypt(state, iv, ciphertext) {
    // Padding is checked here rather than by OpenSSL: update() then returns every block in one buffer, with no copy.
    const decipher = createDecipheriv("aes-128-cbc", (state as NodeKeys).aes, iv).setAutoPadding(false);
    const out = decipher.update(ciphertext);
    decipher.final();
    const pad = out.length === 0 ? 0 : out[out.length - 1]!;
    let bad = pad === 0 || pad > BLOCK || pad > out.length ? 1 : 0;
    for (let i = 1; i <= BLOCK && i <= out.length; i++) {
      if (i <= pad) bad |= out[out.length - i]! ^ pad;
    }
    if (bad !== 0) throw new Error("bad PKCS7 padding");
    // A plain Uint8Array view over the same memory: callers get the type they were promised, not a Buffer.
    return new Uint8Array(out.buffer, out.byteOffset, out.length - pad);
  },
  async sign(state, data) {
    return hmac(state as NodeKeys, data);
  },
  async verify(state, data, mac) {
    const expected = hmac(state as NodeKeys, data);
    return mac.length === expected.length && timingSafeEqual(expected, mac);
  },
  randomBytes,
  async seal(state, header, plaintext) {
    const keys = state as NodeKeys;
    const bodyLength = header.length + plaintext.length - (plaintext.length % BLOCK) + BLOCK;
    const token = new Uint8Array(bodyLength + MAC_BYTES);
    token.set(header);
    const cipher = createCipheriv("aes-128-cbc", keys.aes, header.subarray(9, 25));
    const mac = createHmac("sha256", keys.hmac).update(header);
    let offset = header.length;
    const append = (chunk: Uint8Array) => {
      token.set(chunk, offset);
      mac.update(chunk);
      offset += chunk.length;
    };
    for (let i = 0; i < plaintext.length; i += SEAL_CHUNK) append(cipher.update(plaintext.subarray(i, i + SEAL_CHUNK)));
    append(cipher.final());
    token.set(mac.digest(), offset);
    return token;
  },
};
