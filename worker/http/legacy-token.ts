/** The seed's `encrypted_data`: hex of the ASCII Fernet token, converted to and from the raw token bytes we store. */
import {
  base64urlDecode,
  base64urlEncode,
  hexDecode,
  hexEncode,
  utf8Encode,
} from "../../client/core/protocol/encoding.ts";
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
