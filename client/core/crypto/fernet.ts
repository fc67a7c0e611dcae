// client/core/crypto/: all that uses the key: Fernet and MultiFernet, keys, the credential (HKDF), passphrase keys.
/**
 * Fernet symmetric tokens (spec: github.com/fernet/spec, Spec.md), byte-compatible with Python's
 * `cryptography.fernet`: a token made here decrypts there and the reverse.
 */

import { base64urlDecode, base64urlDecodeBytes, base64urlEncode, utf8Encode } from "../protocol/encoding.ts";
import { SyncError } from "../errors.ts";
import { type FernetCryptoBackend, webCryptoBackend } from "./fernet-backend.ts";
import { decodeFernetKey } from "./fernet-key.ts";
import { FERNET_VERSION, isFernetTokenShape } from "../protocol/token-shape.ts";

/** How far ahead of our clock a token may be stamped, as Python's `_MAX_CLOCK_SKEW`. */
export const MAX_CLOCK_SKEW_SECONDS = 60;

const HEADER_BYTES = 1 + 8 + 16;
const MAC_BYTES = 32;
const IV_BYTES = 16;
/** ASCII "g": every token's text form starts "gAAAAA", while raw bytes start with 0x80. */
const TEXT_TOKEN_FIRST_BYTE = 0x67;

export interface FernetOptions {
  /** Primitives to use; WebCrypto by default. The Node entry offers a faster `nodeCryptoBackend`. */
  backend?: FernetCryptoBackend;
}

export interface EncryptOptions {
  /** The token's timestamp in Unix seconds; now by default. */
  now?: number;
  /** A fixed 16-byte IV, for test vectors only: reusing an IV with a key leaks plaintext. */
  iv?: Uint8Array;
}

export interface DecryptOptions {
  /** Reject tokens older than this many seconds (Python's `ttl`). */
  ttl?: number;
  /** Our clock in Unix seconds; now by default. */
  now?: number;
  /**
   * Reject tokens stamped more than this many seconds ahead (default 60). Python applies its 60 s only
   * together with a TTL; pass `Infinity` to read tokens from a device whose clock runs far ahead.
   */
  maxClockSkew?: number;
}

/** A token as raw bytes, as its ASCII text, or as the bytes of that text (what the legacy routes' hex decodes to). */
export type FernetToken = Uint8Array | string;

/**
 * Encrypts and decrypts with one key.
 *
 * @example
 * const f = await Fernet.create(process.env.FERNET_KEY);
 * const token = await f.encryptToString("hello"); // "gAAAAA..." as Python prints it
 * new TextDecoder().decode(await f.decrypt(token)); // "hello"
 */
export class Fernet {
  readonly #backend: FernetCryptoBackend;
  readonly #state: unknown;

  private constructor(backend: FernetCryptoBackend, state: unknown) {
    this.#backend = backend;
    this.#state = state;
  }

  /** Imports a key once; throws `SyncError("invalid_key")` unless it is 32 bytes of URL-safe base64 (or those raw bytes). */
  static async create(key: string | Uint8Array, options: FernetOptions = {}): Promise<Fernet> {
    const raw = decodeFernetKey(key);
    const backend = options.backend ?? webCryptoBackend;
    const state = await backend.importKey(raw.subarray(0, 16), raw.subarray(16, 32));
    raw.fill(0);
    return new Fernet(backend, state);
  }

  /**
   * Encrypts to the token's raw bytes (what the versioned API carries). A small token may be a
   * view of a buffer shared with other tokens, as Node's small Buffers are: use its bytes, or
   * `slice()` it, rather than its `.buffer`.
   */
  encrypt(plaintext: Uint8Array | string, options: EncryptOptions = {}): Promise<Uint8Array> {
    // Not `async`: a 1 KiB token takes a few microseconds, and an extra promise per call is a visible share.
    let header: Uint8Array;
    let data: Uint8Array;
    try {
      data = typeof plaintext === "string" ? utf8Encode(plaintext) : plaintext;
      header = this.#header(options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#backend.seal) {
      // A backend that seals synchronously (node:crypto) costs one resolved promise, not an async frame.
      try {
        const sealed = this.#backend.seal(this.#state, header, data);
        return sealed instanceof Uint8Array ? Promise.resolve(sealed) : sealed;
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.#encryptThenSign(header, data);
  }

  #header(options: EncryptOptions): Uint8Array {
    const iv = options.iv ?? this.#backend.randomBytes(IV_BYTES);
    if (iv.length !== IV_BYTES) throw new RangeError("iv must be 16 bytes");
    const now = options.now ?? nowSeconds();
    if (!Number.isSafeInteger(now) || now < 0) throw new RangeError("now must be a non-negative integer of seconds");
    const header = new Uint8Array(HEADER_BYTES);
    header[0] = FERNET_VERSION;
    writeTimestamp(header, now);
    header.set(iv, 9);
    return header;
  }

  async #encryptThenSign(header: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
    const ciphertext = await this.#backend.encrypt(this.#state, header.subarray(9, HEADER_BYTES), data);
    const signedLength = HEADER_BYTES + ciphertext.length;
    const token = new Uint8Array(signedLength + MAC_BYTES);
    token.set(header);
    token.set(ciphertext, HEADER_BYTES);
    token.set(await this.#backend.sign(this.#state, token.subarray(0, signedLength)), signedLength);
    return token;
  }

  /** Encrypts to the token's text, exactly as Python's `Fernet.encrypt(...).decode()` writes it. */
  async encryptToString(plaintext: Uint8Array | string, options: EncryptOptions = {}): Promise<string> {
    return base64urlEncode(await this.encrypt(plaintext, options));
  }

  /**
   * Checks the token's HMAC (in constant time, before anything is decrypted), then its age, then decrypts.
   * Throws `SyncError` with `invalid_token` (malformed and forged look the same on purpose),
   * `token_expired` or `token_from_future`.
   */
  async decrypt(token: FernetToken, options: DecryptOptions = {}): Promise<Uint8Array> {
    const raw = rawToken(token);
    const signedLength = raw.length - MAC_BYTES;
    const authentic = await this.#backend.verify(
      this.#state,
      raw.subarray(0, signedLength),
      raw.subarray(signedLength),
    );
    if (!authentic) throw invalidToken();

    // Only an authentic token gets a more precise answer than invalid_token.
    const timestamp = readTimestamp(raw);
    const now = options.now ?? nowSeconds();
    if (options.ttl !== undefined && timestamp + options.ttl < now) {
      throw new SyncError("token_expired", `Token is older than its ${options.ttl} s time to live.`);
    }
    if (timestamp > now + (options.maxClockSkew ?? MAX_CLOCK_SKEW_SECONDS)) {
      throw new SyncError("token_from_future", "Token is stamped in the future: a device's clock is wrong.");
    }
    try {
      return await this.#backend.decrypt(
        this.#state,
        raw.subarray(9, HEADER_BYTES),
        raw.subarray(HEADER_BYTES, signedLength),
      );
    } catch (cause) {
      // Authentic but badly padded: made with our key by broken software. Still just an invalid token.
      throw invalidToken(cause);
    }
  }

  /** The token's timestamp (Unix seconds) without checking its HMAC: do not trust it before `decrypt` succeeds. */
  extractTimestamp(token: FernetToken): number {
    return readTimestamp(rawToken(token));
  }
}

/** Raw token bytes from any accepted form; throws `invalid_token` unless they have a token's shape. */
function rawToken(token: FernetToken): Uint8Array {
  let raw: Uint8Array | null;
  if (typeof token === "string") raw = base64urlDecode(token);
  else if (token instanceof Uint8Array) {
    raw = token[0] === TEXT_TOKEN_FIRST_BYTE ? base64urlDecodeBytes(token) : token;
  } else raw = null;
  if (raw === null || !isFernetTokenShape(raw)) throw invalidToken();
  return raw;
}

function invalidToken(cause?: unknown): SyncError {
  return new SyncError(
    "invalid_token",
    "Token is not a valid Fernet token for this key: it is damaged, or was made with a different key.",
    cause === undefined ? {} : { cause },
  );
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

// The timestamp is a 64-bit big-endian integer at bytes 1..8; two 32-bit halves keep it exact up to 2^53.
function writeTimestamp(header: Uint8Array, seconds: number): void {
  const high = Math.floor(seconds / 2 ** 32);
  const low = seconds >>> 0;
  header[1] = high >>> 24;
  header[2] = (high >>> 16) & 255;
  header[3] = (high >>> 8) & 255;
  header[4] = high & 255;
  header[5] = low >>> 24;
  header[6] = (low >>> 16) & 255;
  header[7] = (low >>> 8) & 255;
  header[8] = low & 255;
}

function readTimestamp(raw: Uint8Array): number {
  const high = ((raw[1]! << 24) | (raw[2]! << 16) | (raw[3]! << 8) | raw[4]!) >>> 0;
  const low = ((raw[5]! << 24) | (raw[6]! << 16) | (raw[7]! << 8) | raw[8]!) >>> 0;
  return high * 2 ** 32 + low;
}
