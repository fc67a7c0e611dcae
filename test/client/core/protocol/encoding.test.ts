/** The wire codecs, checked against Node's Buffer (an independent implementation) on random input. */

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  base64urlDecode,
  base64urlDecodeBytes,
  base64urlEncode,
  base64urlEncodeToBytes,
  hexDecode,
  hexEncode,
} from "../../../../client/core/protocol/encoding.ts";

const padded = (bytes: Uint8Array) => {
  const text = Buffer.from(bytes).toString("base64url");
  return text + "=".repeat((4 - (text.length % 4)) % 4);
};

describe("base64url", () => {
  it("encodes as Python's urlsafe_b64encode, padded or not, and decodes both back", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = base64urlEncode(bytes);
        expect(text).toBe(padded(bytes));
        expect(base64urlEncode(bytes, false)).toBe(Buffer.from(bytes).toString("base64url"));
        expect(new TextDecoder().decode(base64urlEncodeToBytes(bytes))).toBe(text);
        expect(base64urlDecode(text)).toEqual(bytes);
        expect(base64urlDecode(text.replace(/=+$/, ""))).toEqual(bytes);
        expect(base64urlDecodeBytes(new TextEncoder().encode(text))).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it("accepts the standard alphabet's + and /, as Python's decoder does", () => {
    expect(base64urlDecode("+/+/")).toEqual(Uint8Array.from([0xfb, 0xff, 0xbf]));
  });

  it("rejects invalid characters, non-ASCII text, a lone trailing character and excess padding", () => {
    for (const text of ["ab!d", "abc=d", "é", "aaaaa", "aa===", "ab cd", "abcd\u0100"]) {
      expect(base64urlDecode(text)).toBeNull();
    }
  });
});

describe("hex", () => {
  it("round-trips bytes in lowercase and decodes either case", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = hexEncode(bytes);
        expect(text).toBe(Buffer.from(bytes).toString("hex"));
        expect(hexDecode(text)).toEqual(bytes);
        expect(hexDecode(text.toUpperCase())).toEqual(bytes);
      }),
      { numRuns: 200 },
    );
  });

  it("rejects odd lengths and non-hex characters", () => {
    expect(hexDecode("abc")).toBeNull();
    expect(hexDecode("zz")).toBeNull();
  });
});
