/** The legacy routes' `encrypted_data` (the Python module's upload field): hex of the ASCII Fernet token, converted to and from the raw token bytes we store. */
import {
  base64urlDecode,
  base64urlEncode,
  base64urlEncodeToBytes,
  hexDecode,
  hexEncode,
  hexEncodeToBytes,
  utf8Encode,
} from "../../client/core/protocol/encoding.ts";
import { concatBytes } from "../../client/core/protocol/byte-stream.ts";
import { isFernetTokenShape } from "../../client/core/protocol/token-shape.ts";
import { ApiError } from "../errors.ts";

function invalidEncryptedData(): ApiError {
  return new ApiError(
    400,
    "invalid_token",
    "encrypted_data must be the hex of a Fernet token (padded base64url, version 0x80, whole blocks)",
  );
}

/** Raw token bytes from `encrypted_data`, only if re-encoding them gives back exactly the same token text. */
export function decodeEncryptedData(hex: string): Uint8Array {
  const ascii = hexDecode(hex);
  if (ascii === null) throw invalidEncryptedData();
  let text = "";
  for (const byte of ascii) {
    if (byte > 0x7e || byte < 0x21) throw invalidEncryptedData();
    text += String.fromCharCode(byte);
  }
  const raw = base64urlDecode(text);
  if (raw === null || base64urlEncode(raw, true) !== text || !isFernetTokenShape(raw)) throw invalidEncryptedData();
  return raw;
}

/** `encrypted_data` for stored raw bytes: what Python's `fernet.encrypt(...).hex()` produced. */
export function encodeEncryptedData(raw: Uint8Array): string {
  return hexEncode(utf8Encode(base64urlEncode(raw, true)));
}

/** How many bytes `encrypted_data` takes for a token of `size` bytes: hex (2) of padded base64 (4 per 3). */
export function encryptedDataLength(size: number): number {
  return 8 * Math.ceil(size / 3);
}

/**
 * `encrypted_data` of a stored token as it streams from storage, so that serving a large document
 * holds one chunk at a time, not the token, its base64 and its hex (eight times its size) at once.
 */
export function encryptedDataStream(raw: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  let carry = new Uint8Array(0);
  return raw.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        const joined = concatBytes([carry, chunk]);
        const whole = joined.byteLength - (joined.byteLength % 3);
        carry = joined.slice(whole);
        if (whole > 0) controller.enqueue(hexEncodeToBytes(base64urlEncodeToBytes(joined.subarray(0, whole), false)));
      },
      flush(controller) {
        if (carry.byteLength > 0) controller.enqueue(hexEncodeToBytes(base64urlEncodeToBytes(carry, true)));
      },
    }),
  );
}
