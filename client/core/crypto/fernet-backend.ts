/** The primitives Fernet is built on (AES-128-CBC, HMAC-SHA256, randomness), behind an interface so Node can bring a faster one. */

export interface FernetCryptoBackend {
  /** Prepares per-key state once (imported keys), reused for every token made or read with that key. */
  importKey(signingKey: Uint8Array, encryptionKey: Uint8Array): Promise<unknown> | unknown;
  /** AES-128-CBC with PKCS7 padding. */
  encrypt(state: unknown, iv: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>;
  /** AES-128-CBC; throws when the PKCS7 padding is wrong. */
  decrypt(state: unknown, iv: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array>;
  /** HMAC-SHA256 with the signing key. */
  sign(state: unknown, data: Uint8Array): Promise<Uint8Array>;
  /** Checks an HMAC-SHA256 in constant time. */
  verify(state: unknown, data: Uint8Array, mac: Uint8Array): Promise<boolean>;
  randomBytes(n: number): Uint8Array;
  /**
   * Optional fast path: the whole token, `header | AES-128-CBC(plaintext) | HMAC-SHA256(all before)`, in one
   * call. Fernet uses it when present; it must give exactly what `encrypt` then `sign` give.
   */
  seal?(state: unknown, header: Uint8Array, plaintext: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

interface WebCryptoKeys {
  readonly hmac: CryptoKey;
  readonly aes: CryptoKey;
}

/** WebCrypto's `BufferSource` wants an ArrayBuffer-backed view; every view we pass is one (never a SharedArrayBuffer). */
function source(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}

/** The default backend: WebCrypto, present in Node 20+, browsers and Workers. */
export const webCryptoBackend: FernetCryptoBackend = {
  async importKey(signingKey, encryptionKey): Promise<WebCryptoKeys> {
    const [hmac, aes] = await Promise.all([
      crypto.subtle.importKey("raw", source(signingKey), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]),
      crypto.subtle.importKey("raw", source(encryptionKey), { name: "AES-CBC" }, false, ["encrypt", "decrypt"]),
    ]);
    return { hmac, aes };
  },
  async encrypt(state, iv, plaintext) {
    const { aes } = state as WebCryptoKeys;
    return new Uint8Array(await crypto.subtle.encrypt({ name: "AES-CBC", iv: source(iv) }, aes, source(plaintext)));
  },
  async decrypt(state, iv, ciphertext) {
    const { aes } = state as WebCryptoKeys;
    return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-CBC", iv: source(iv) }, aes, source(ciphertext)));
  },
  async sign(state, data) {
    const { hmac } = state as WebCryptoKeys;
    return new Uint8Array(await crypto.subtle.sign("HMAC", hmac, source(data)));
  },
  verify(state, data, mac) {
    // subtle.verify compares in constant time, which a JS loop cannot promise.
    const { hmac } = state as WebCryptoKeys;
    return crypto.subtle.verify("HMAC", hmac, source(mac), source(data));
  },
  randomBytes(n) {
    return crypto.getRandomValues(new Uint8Array(n));
  },
};
