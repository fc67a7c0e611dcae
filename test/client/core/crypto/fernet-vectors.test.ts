/**
 * The Fernet specification's acceptance vectors (github.com/fernet/spec, commit 20dead475f53f11d20592baf29ad697163afc0cd:
 * generate.json, verify.json, invalid.json, copied unchanged to test/fixtures/fernet-spec/),
 * run against both backends.
 */

import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { Fernet } from "../../../../client/core/crypto/fernet.ts";
import { type FernetCryptoBackend, webCryptoBackend } from "../../../../client/core/crypto/fernet-backend.ts";
import { utf8Decode } from "../../../../client/core/protocol/encoding.ts";
import { isSyncError } from "../../../../client/core/errors.ts";
import { nodeCryptoBackend } from "../../../../client/node/crypto-backend.ts";

interface GenerateVector {
  token: string;
  now: string;
  iv: number[];
  src: string;
  secret: string;
}
interface VerifyVector {
  token: string;
  now: string;
  ttl_sec: number;
  src: string;
  secret: string;
}
interface InvalidVector {
  desc: string;
  token: string;
  now: string;
  ttl_sec: number;
  secret: string;
}

function vectors<T>(name: string): T[] {
  return JSON.parse(readFileSync(new URL(`../../../fixtures/fernet-spec/${name}`, import.meta.url), "utf8")) as T[];
}

const seconds = (iso: string): number => Date.parse(iso) / 1000;

const backends: [string, FernetCryptoBackend][] = [
  ["WebCrypto", webCryptoBackend],
  ["node:crypto", nodeCryptoBackend],
];

describe.each(backends)("Fernet spec vectors with the %s backend", (_name, backend) => {
  it.each(vectors<GenerateVector>("generate.json"))("generates exactly the spec's token for $src", async (v) => {
    const fernet = await Fernet.create(v.secret, { backend });
    const token = await fernet.encryptToString(v.src, { now: seconds(v.now), iv: Uint8Array.from(v.iv) });
    expect(token).toBe(v.token);
  });

  it.each(vectors<VerifyVector>("verify.json"))("verifies the spec's token to $src", async (v) => {
    const fernet = await Fernet.create(v.secret, { backend });
    const plaintext = await fernet.decrypt(v.token, { ttl: v.ttl_sec, now: seconds(v.now) });
    expect(utf8Decode(plaintext)).toBe(v.src);
  });

  it.each(vectors<InvalidVector>("invalid.json"))("rejects the spec's token with $desc", async (v) => {
    const fernet = await Fernet.create(v.secret, { backend });
    const error = await fernet.decrypt(v.token, { ttl: v.ttl_sec, now: seconds(v.now) }).then(
      () => null,
      (e: unknown) => e,
    );
    // Authentic tokens that are too old or too new get a precise code; everything else is one indistinguishable code.
    const expected = v.desc.startsWith("far-future")
      ? "token_from_future"
      : v.desc === "expired TTL"
        ? "token_expired"
        : "invalid_token";
    expect(isSyncError(error, expected)).toBe(true);
  });
});
