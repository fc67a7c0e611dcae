/** The account credential and the passphrase key (docs/PROTOCOL.md, "Credential"), checked against python3's `cryptography` HKDF and `hashlib.pbkdf2_hmac`. */

import { describe, expect, it } from "vitest";
import {
  deriveAdminToken,
  deriveAuthToken,
  deriveCapabilityToken,
  tokenHash,
} from "../../../../client/core/crypto/credential.ts";
import { base64urlDecode } from "../../../../client/core/protocol/encoding.ts";
import { Fernet } from "../../../../client/core/crypto/fernet.ts";
import { generateKey } from "../../../../client/core/crypto/fernet-key.ts";
import { keyFromPassphrase, PASSPHRASE_ITERATIONS } from "../../../../client/core/crypto/kdf.ts";
import { askPython, python } from "../../../interop/python-oracle.ts";

const KEY = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";

describe("deriveAuthToken", () => {
  it("equals python3's HKDF-SHA256 with the protocol's salt and info, for several keys and usernames", async () => {
    const cases = [KEY, generateKey(), generateKey()].flatMap((key) =>
      ["alice", "bob@example.com", "ü.user-1"].map((username) => ({ key, username })),
    );
    const answers = askPython(
      cases.map(({ key, username }) => ({
        op: "hkdf",
        key,
        salt: "project-ai-cloud-sync/auth/v1",
        info: `user:${username}`,
      })),
    );
    for (const [i, { key, username }] of cases.entries()) {
      expect(await deriveAuthToken(key, username)).toBe((answers[i] as { ok: string }).ok);
    }
  });

  it("gives 43 base64url characters without padding", async () => {
    const token = await deriveAuthToken(KEY, "alice");
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(base64urlDecode(token)!.length).toBe(32);
  });

  it("binds the token to the username and the key", async () => {
    const alice = await deriveAuthToken(KEY, "alice");
    expect(await deriveAuthToken(KEY, "alice")).toBe(alice);
    expect(await deriveAuthToken(KEY, "alicf")).not.toBe(alice);
    expect(await deriveAuthToken(generateKey(), "alice")).not.toBe(alice);
  });

  it("takes the key's raw bytes as well as its text", async () => {
    expect(await deriveAuthToken(base64urlDecode(KEY)!, "alice")).toBe(await deriveAuthToken(KEY, "alice"));
  });

  it("rejects a malformed key as invalid_key", async () => {
    await expect(deriveAuthToken("nope", "alice")).rejects.toMatchObject({ code: "invalid_key" });
  });
});

describe("deriveAdminToken and deriveCapabilityToken", () => {
  it("equal python3's HKDF-SHA256 with their own salts, and differ from the routine token and each other", async () => {
    const [admin, cap1, cap2] = askPython([
      { op: "hkdf", key: KEY, salt: "project-ai-cloud-sync/admin/v1", info: "user:alice" },
      { op: "hkdf", key: KEY, salt: "project-ai-cloud-sync/capability/v1", info: "user:alice:1" },
      { op: "hkdf", key: KEY, salt: "project-ai-cloud-sync/capability/v1", info: "user:alice:2" },
    ]) as Array<{ ok: string }>;
    expect(await deriveAdminToken(KEY, "alice")).toBe(admin!.ok);
    expect(await deriveCapabilityToken(KEY, "alice", 1)).toBe(cap1!.ok);
    expect(await deriveCapabilityToken(KEY, "alice", 2)).toBe(cap2!.ok);
    const all = [await deriveAuthToken(KEY, "alice"), admin!.ok, cap1!.ok, cap2!.ok];
    expect(new Set(all).size).toBe(4);
  });

  it("refuses a capability number below 1", () => {
    expect(() => deriveCapabilityToken(KEY, "alice", 0)).toThrow(RangeError);
  });

  it("hashes a token as the server stores it: lowercase hex SHA-256 of its UTF-8", async () => {
    expect(await tokenHash("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("keyFromPassphrase", () => {
  it("equals python3's pbkdf2_hmac at the default 600000 iterations and is a usable Fernet key", async () => {
    const key = await keyFromPassphrase("correct horse battery staple", "alice");
    const expected = python<string>({
      op: "pbkdf2",
      passphrase: "correct horse battery staple",
      salt: "project-ai-cloud-sync/passphrase/v1:alice",
      iterations: PASSPHRASE_ITERATIONS,
    });
    expect(PASSPHRASE_ITERATIONS).toBe(600_000);
    expect(key).toBe(expected);
    const fernet = await Fernet.create(key);
    expect(new TextDecoder().decode(await fernet.decrypt(await fernet.encrypt("ok")))).toBe("ok");
  });

  it("is deterministic per passphrase and username, and differs when either changes", async () => {
    const options = { iterations: 1000 };
    const key = await keyFromPassphrase("pässwörd", "bob", options);
    expect(await keyFromPassphrase("pässwörd", "bob", options)).toBe(key);
    expect(await keyFromPassphrase("pässwörd", "bob2", options)).not.toBe(key);
    expect(await keyFromPassphrase("passwörd", "bob", options)).not.toBe(key);
    expect(key).toBe(
      python<string>({
        op: "pbkdf2",
        passphrase: "pässwörd",
        salt: "project-ai-cloud-sync/passphrase/v1:bob",
        iterations: 1000,
      }),
    );
  });

  it("refuses an empty passphrase and a non-positive iteration count", async () => {
    await expect(keyFromPassphrase("", "bob")).rejects.toThrow(TypeError);
    await expect(keyFromPassphrase("x", "bob", { iterations: 0 })).rejects.toThrow(RangeError);
  });
});
