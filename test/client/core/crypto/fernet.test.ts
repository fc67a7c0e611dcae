/** Fernet behaviour beyond the spec vectors: token forms, TTL, clock skew, wrong keys, tampering, key handling. */

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Fernet } from "../../../../client/core/crypto/fernet.ts";
import { generateKey } from "../../../../client/core/crypto/fernet-key.ts";
import { type FernetCryptoBackend, webCryptoBackend } from "../../../../client/core/crypto/fernet-backend.ts";
import { base64urlDecode, base64urlEncode, utf8Decode, utf8Encode } from "../../../../client/core/protocol/encoding.ts";
import { SyncError } from "../../../../client/core/errors.ts";
import { nodeCryptoBackend } from "../../../../client/node/crypto-backend.ts";

const NOW = 1_700_000_000;
const KEY = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";

async function rejection(promise: Promise<unknown>): Promise<SyncError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof SyncError)) throw new Error(`expected a SyncError, got ${String(error)}`);
  return error;
}

const backends: [string, FernetCryptoBackend][] = [
  ["WebCrypto", webCryptoBackend],
  ["node:crypto", nodeCryptoBackend],
];

describe.each(backends)("Fernet with the %s backend", (_name, backend) => {
  const create = (key: string | Uint8Array = KEY) => Fernet.create(key, { backend });

  it("round-trips text and bytes, including empty and block-boundary lengths", async () => {
    const fernet = await create();
    for (const length of [0, 1, 15, 16, 17, 31, 32, 33, 1024, 65_537]) {
      const data = Uint8Array.from({ length }, (_, i) => (i * 7) & 255);
      expect(await fernet.decrypt(await fernet.encrypt(data))).toEqual(data);
    }
    expect(utf8Decode(await fernet.decrypt(await fernet.encrypt("héllo ✓")))).toBe("héllo ✓");
  });

  it("makes raw tokens that start with the version byte and text tokens that are their base64url", async () => {
    const fernet = await create();
    const iv = new Uint8Array(16).fill(9);
    const raw = await fernet.encrypt("x", { now: NOW, iv });
    const text = await fernet.encryptToString("x", { now: NOW, iv });
    expect(raw[0]).toBe(0x80);
    expect(text.startsWith("gAAAAA")).toBe(true);
    expect(text).toBe(base64urlEncode(raw));
  });

  it("decrypts a token given as raw bytes, as text, or as the bytes of its text", async () => {
    const fernet = await create();
    const text = await fernet.encryptToString("same");
    for (const form of [base64urlDecode(text)!, text, utf8Encode(text), text.replace(/=+$/, "")]) {
      expect(utf8Decode(await fernet.decrypt(form))).toBe("same");
    }
  });

  it("uses a fresh IV for every token", async () => {
    const fernet = await create();
    const a = await fernet.encrypt("same", { now: NOW });
    const b = await fernet.encrypt("same", { now: NOW });
    expect(a.subarray(9, 25)).not.toEqual(b.subarray(9, 25));
  });

  it("honours a TTL: accepts a token at its age limit and rejects it one second later", async () => {
    const fernet = await create();
    const token = await fernet.encrypt("t", { now: NOW });
    expect(utf8Decode(await fernet.decrypt(token, { ttl: 100, now: NOW + 100 }))).toBe("t");
    const error = await rejection(fernet.decrypt(token, { ttl: 100, now: NOW + 101 }));
    expect(error.code).toBe("token_expired");
    expect(error.message).toBe("Token is older than its 100 s time to live.");
  });

  it("accepts a token 60 s in the future and rejects one 61 s ahead, with or without a TTL", async () => {
    const fernet = await create();
    const token = await fernet.encrypt("t", { now: NOW + 61 });
    expect(utf8Decode(await fernet.decrypt(token, { now: NOW + 1 }))).toBe("t");
    for (const options of [{ now: NOW }, { now: NOW, ttl: 1000 }]) {
      const error = await rejection(fernet.decrypt(token, options));
      expect(error.code).toBe("token_from_future");
      expect(error.message).toBe("Token is stamped in the future: a device's clock is wrong.");
    }
    expect(utf8Decode(await fernet.decrypt(token, { now: NOW, maxClockSkew: Infinity }))).toBe("t");
  });

  it("rejects a token made with another key as invalid_token, naming the likely cause", async () => {
    const token = await (await create(generateKey())).encrypt("secret");
    const error = await rejection((await create()).decrypt(token));
    expect(error.code).toBe("invalid_token");
    expect(error.message).toBe(
      "Token is not a valid Fernet token for this key: it is damaged, or was made with a different key.",
    );
  });

  it("rejects any single flipped bit as invalid_token, before the token's age is looked at", async () => {
    const fernet = await create();
    const token = await fernet.encrypt("0123456789abcdef0123", { now: NOW });
    for (let i = 0; i < token.length; i++) {
      const tampered = token.slice();
      tampered[i]! ^= 1 << (i % 8);
      // A far-off `now` would give token_expired for an authentic token: the MAC must fail first.
      expect((await rejection(fernet.decrypt(tampered, { ttl: 1, now: NOW + 10_000 }))).code).toBe("invalid_token");
    }
  });

  it("rejects malformed tokens of every kind as invalid_token, never with a crash", async () => {
    const fernet = await create();
    const good = await fernet.encrypt("x");
    const malformed: unknown[] = [
      "",
      "gAAAAA",
      "not base64 !",
      good.subarray(0, 72),
      good.subarray(1),
      new Uint8Array(89),
      42,
      null,
    ];
    for (const token of malformed) {
      expect((await rejection(fernet.decrypt(token as Uint8Array))).code).toBe("invalid_token");
    }
  });

  it("agrees with the other backend on every token, both ways", async () => {
    const other = backend === webCryptoBackend ? nodeCryptoBackend : webCryptoBackend;
    const ours = await create();
    const theirs = await Fernet.create(KEY, { backend: other });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (data) => {
        expect(await theirs.decrypt(await ours.encrypt(data))).toEqual(data);
        expect(await ours.decrypt(await theirs.encrypt(data))).toEqual(data);
      }),
      { numRuns: 50 },
    );
  });
});

describe("Fernet keys", () => {
  it("generates 44-character keys of 32 random bytes, as Python's generate_key", () => {
    const keys = new Set(Array.from({ length: 20 }, () => generateKey()));
    expect(keys.size).toBe(20);
    for (const key of keys) {
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}=$/);
      expect(base64urlDecode(key)!.length).toBe(32);
    }
  });

  it("accepts the key's raw 32 bytes, its unpadded text and surrounding whitespace alike", async () => {
    const token = await (await Fernet.create(KEY)).encrypt("k");
    for (const key of [base64urlDecode(KEY)!, KEY.slice(0, -1), ` ${KEY}\n`]) {
      expect(utf8Decode(await (await Fernet.create(key)).decrypt(token))).toBe("k");
    }
  });

  it("leaves the caller's key bytes untouched, even a Node Buffer", async () => {
    const key = Buffer.from(base64urlDecode(KEY)!);
    await Fernet.create(key);
    await Fernet.create(key.subarray(0, 32), { backend: nodeCryptoBackend });
    expect(base64urlEncode(key)).toBe(KEY);
  });

  it("rejects keys that are not 32 URL-safe base64 bytes as invalid_key without echoing them", async () => {
    for (const key of [
      "",
      "short",
      KEY.slice(0, -4),
      `${KEY}AAAA`,
      "%".repeat(44),
      new Uint8Array(31),
      new Uint8Array(33),
    ]) {
      const error = await rejection(Fernet.create(key));
      expect(error.code).toBe("invalid_key");
      expect(error.message).toBe("Fernet key must be 32 url-safe base64-encoded bytes.");
    }
  });

  it("rejects an IV that is not 16 bytes as a programming error", async () => {
    const fernet = await Fernet.create(KEY);
    await expect(fernet.encrypt("x", { iv: new Uint8Array(8) })).rejects.toThrow(RangeError);
  });

  it("reads a token's timestamp", async () => {
    const fernet = await Fernet.create(KEY);
    expect(fernet.extractTimestamp(await fernet.encryptToString("x", { now: NOW }))).toBe(NOW);
    expect(fernet.extractTimestamp(await fernet.encrypt("x", { now: 2 ** 40 + 5 }))).toBe(2 ** 40 + 5);
  });
});
