/** Fernet's primitives on node:crypto: the same AES-128-CBC and HMAC-SHA256 as WebCrypto, without its per-call promise and copy overhead. */

import { createHmac, createSecretKey, type KeyObject, randomFillSync, timingSafeEqual } from "node:crypto";
import type { FernetCryptoBackend } from "../core/index.ts";
import { AesCbc } from "./aes-cbc.ts";

interface NodeKeys {
  readonly hmac: KeyObject;
  readonly aes: AesCbc;
}

const BLOCK = 16;
const MAC_BYTES = 32;
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

/** Small tokens are carved from slabs of this size, each byte handed out once. */
const SLAB_BYTES = 32 * 1024;
const SLAB_MAX = 4 * 1024;
let slab = new Uint8Array(0);
let slabOffset = 0;

/**
 * A fresh buffer for a token, every byte of which `seal` writes before returning it (and checks
 * that it did). A small one is a view of a slab shared with other tokens, as Node pools small
 * Buffers: a separately allocated backing store cost a 1 KiB token about a tenth of its sealing
 * time. Slab bytes are zero until handed out, and each is handed out once, so a token never shows
 * another's bytes through its own view; its `.buffer` is the slab (`slice()` gives a copy of its
 * own). A large one is not zero-filled, which would touch every page twice (at 64 KiB, a tenth of
 * a whole encryption), and owns its memory.
 */
function tokenBytes(length: number): Uint8Array {
  if (length <= SLAB_MAX) {
    if (slabOffset + length > slab.length) {
      slab = new Uint8Array(SLAB_BYTES);
      slabOffset = 0;
    }
    const out = slab.subarray(slabOffset, slabOffset + length);
    // Eight-byte steps keep every token aligned, as a fresh allocation would be.
    slabOffset += (length + 7) & ~7;
    return out;
  }
  const buffer = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
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
    return { hmac: createSecretKey(signingKey), aes: new AesCbc(createSecretKey(encryptionKey)) };
  },
  async encrypt(state, iv, plaintext) {
    const out = new Uint8Array(plaintext.length - (plaintext.length % BLOCK) + BLOCK);
    let offset = 0;
    (state as NodeKeys).aes.encrypt(iv, plaintext, (chunk) => {
      out.set(chunk, offset);
      offset += chunk.length;
    });
    return out;
  },
  async decrypt(state, iv, ciphertext) {
    return (state as NodeKeys).aes.decrypt(iv, ciphertext);
  },
  async sign(state, data) {
    return hmac(state as NodeKeys, data);
  },
  async verify(state, data, mac) {
    const expected = hmac(state as NodeKeys, data);
    return mac.length === expected.length && timingSafeEqual(expected, mac);
  },
  randomBytes,
  seal(state, header, plaintext) {
    // Each ciphertext slice is MACed and copied into the token while still in cache: one pass over
    // memory, and no plaintext-sized temporary buffer.
    const keys = state as NodeKeys;
    const bodyLength = header.length + plaintext.length - (plaintext.length % BLOCK) + BLOCK;
    const token = tokenBytes(bodyLength + MAC_BYTES);
    token.set(header);
    const mac = createHmac("sha256", keys.hmac).update(header);
    let offset = header.length;
    keys.aes.encrypt(header.subarray(9, 25), plaintext, (chunk) => {
      token.set(chunk, offset);
      mac.update(chunk);
      offset += chunk.length;
    });
    // The writes above are contiguous from 0; meeting the MAC's place exactly means none was short.
    if (offset !== bodyLength) throw new Error(`token assembly wrote ${offset} of ${bodyLength} bytes`);
    token.set(mac.digest(), offset);
    return token;
  },
};
