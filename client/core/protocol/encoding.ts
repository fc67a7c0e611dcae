/** Byte codecs used on the wire: base64url (Fernet keys and tokens), hex (the legacy routes' `encrypted_data`), UTF-8. */

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64_CODES = Uint8Array.from(B64URL, (c) => c.charCodeAt(0));
/** Character code -> 6-bit value, -1 for anything else; indexed by bytes, so 256 entries. */
const B64_LOOKUP = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let i = 0; i < 64; i++) t[B64URL.charCodeAt(i)] = i;
  // Python's urlsafe_b64decode also accepts the standard alphabet's + and /.
  t["+".charCodeAt(0)] = 62;
  t["/".charCodeAt(0)] = 63;
  return t;
})();
const PAD = 61; // "="

// Tokens run to megabytes: the codecs fill byte arrays in one pass and let the platform's native
// TextEncoder/TextDecoder cross between bytes and strings, instead of concatenating strings per character.
const asciiDecoder = new TextDecoder();
const asciiEncoder = new TextEncoder();

/** Encodes bytes as URL-safe base64 with `=` padding, as Python's `base64.urlsafe_b64encode`. */
export function base64urlEncode(bytes: Uint8Array, pad = true): string {
  return asciiDecoder.decode(base64urlEncodeToBytes(bytes, pad));
}

/** Two output characters per 12 input bits, packed for a Uint16Array store in the platform's byte order. */
const B64_PAIRS = (() => {
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  const t = new Uint16Array(4096);
  for (let i = 0; i < 4096; i++) {
    const hi = B64_CODES[i >> 6]!;
    const lo = B64_CODES[i & 63]!;
    t[i] = littleEndian ? hi | (lo << 8) : (hi << 8) | lo;
  }
  return t;
})();

/** The ASCII bytes of `base64urlEncode(bytes, pad)`. */
export function base64urlEncodeToBytes(bytes: Uint8Array, pad = true): Uint8Array {
  const n = bytes.length;
  const full = n - (n % 3);
  const rest = n - full;
  const fullChars = (full / 3) * 4;
  // Whole 3-byte groups become two 2-character stores each, into a buffer with room for the tail.
  const buffer = new ArrayBuffer(fullChars + 4);
  const pairs = new Uint16Array(buffer, 0, fullChars / 2);
  const table = B64_PAIRS;
  for (let i = 0, o = 0; i < full; i += 3, o += 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    pairs[o] = table[v >>> 12]!;
    pairs[o + 1] = table[v & 4095]!;
  }
  const out = new Uint8Array(buffer, 0, fullChars + (rest === 0 ? 0 : pad ? 4 : rest + 1));
  if (rest !== 0) {
    const v = (bytes[full]! << 16) | (rest === 2 ? bytes[full + 1]! << 8 : 0);
    let o = fullChars;
    out[o++] = B64_CODES[v >>> 18]!;
    out[o++] = B64_CODES[(v >>> 12) & 63]!;
    if (rest === 2) out[o++] = B64_CODES[(v >>> 6) & 63]!;
    if (pad) out.fill(PAD, o);
  }
  return out;
}

/** Decodes URL-safe base64, padded or not. Returns null on any invalid character or length. */
export function base64urlDecode(text: string): Uint8Array | null {
  const ascii = new Uint8Array(text.length);
  // Any non-ASCII character takes several UTF-8 bytes, so the text no longer fits: invalid either way.
  const { read, written } = asciiEncoder.encodeInto(text, ascii);
  if (read !== text.length || written !== text.length) return null;
  return base64urlDecodeBytes(ascii);
}

/** Decodes URL-safe base64 given as its ASCII bytes (as a token arrives in a body), padded or not; null if invalid. */
export function base64urlDecodeBytes(ascii: Uint8Array): Uint8Array | null {
  let end = ascii.length;
  while (end > 0 && ascii[end - 1] === PAD) end--;
  if (ascii.length - end > 2 || end % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  const lookup = B64_LOOKUP;
  const full = end - (end % 4);
  let o = 0;
  for (let i = 0; i < full; i += 4) {
    const a = lookup[ascii[i]!]!;
    const b = lookup[ascii[i + 1]!]!;
    const c = lookup[ascii[i + 2]!]!;
    const d = lookup[ascii[i + 3]!]!;
    if ((a | b | c | d) < 0) return null;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o] = v >>> 16;
    out[o + 1] = (v >>> 8) & 255;
    out[o + 2] = v & 255;
    o += 3;
  }
  if (end !== full) {
    const a = lookup[ascii[full]!]!;
    const b = lookup[ascii[full + 1]!]!;
    const c = end - full === 3 ? lookup[ascii[full + 2]!]! : 0;
    if ((a | b | c) < 0) return null;
    const v = (a << 18) | (b << 12) | (c << 6);
    out[o++] = v >>> 16;
    if (end - full === 3) out[o] = (v >>> 8) & 255;
  }
  return out;
}

const HEX_CODES = Uint8Array.from("0123456789abcdef", (c) => c.charCodeAt(0));

export function hexEncode(bytes: Uint8Array): string {
  return asciiDecoder.decode(hexEncodeToBytes(bytes));
}

/** The ASCII bytes of `hexEncode(bytes)` (lowercase). */
export function hexEncodeToBytes(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) {
    out[2 * i] = HEX_CODES[bytes[i]! >> 4]!;
    out[2 * i + 1] = HEX_CODES[bytes[i]! & 15]!;
  }
  return out;
}

/** Decodes hex (either case). Returns null for odd length or a non-hex character. */
export function hexDecode(text: string): Uint8Array | null {
  if (text.length % 2 !== 0) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexValue(text.charCodeAt(2 * i));
    const lo = hexValue(text.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8 strictly: invalid sequences throw a TypeError. */
export function utf8Decode(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
