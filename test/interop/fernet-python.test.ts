/** Fernet interop with python3's `cryptography.fernet`, both ways: what one side makes, the other reads. */

import { describe, expect, it } from "vitest";
import { Fernet } from "../../client/core/crypto/fernet.ts";
import { MultiFernet } from "../../client/core/crypto/multi-fernet.ts";
import { generateKey } from "../../client/core/crypto/fernet-key.ts";
import { base64urlEncode, utf8Decode } from "../../client/core/protocol/encoding.ts";
import { nodeCryptoBackend } from "../../client/node/crypto-backend.ts";
import { askPython, python } from "./python-oracle.ts";

const NOW = 1_700_000_000;
const PLAINTEXTS = [
  "",
  "hello",
  "x".repeat(15),
  "y".repeat(16),
  JSON.stringify({ username: "alice", data: { theme: "dark", notes: "ü ✓ 🙂" } }),
  "z".repeat(100_000),
];

describe("Fernet interop with python3 cryptography", () => {
  it("makes tokens python3 decrypts, with either backend", async () => {
    const key = generateKey();
    const tokens: { token: string; plaintext: string }[] = [];
    for (const backend of [undefined, nodeCryptoBackend]) {
      const fernet = await Fernet.create(key, backend ? { backend } : {});
      for (const plaintext of PLAINTEXTS) tokens.push({ token: await fernet.encryptToString(plaintext), plaintext });
    }
    const answers = askPython(tokens.map(({ token }) => ({ op: "decrypt", key, token })));
    expect(answers).toEqual(tokens.map(({ plaintext }) => ({ ok: plaintext })));
  });

  it("decrypts tokens python3 makes, with either backend", async () => {
    const key = python<string>({ op: "generate_key" });
    const answers = askPython(PLAINTEXTS.map((plaintext) => ({ op: "encrypt", key, plaintext })));
    for (const backend of [undefined, nodeCryptoBackend]) {
      const fernet = await Fernet.create(key, backend ? { backend } : {});
      for (const [i, answer] of answers.entries()) {
        expect(utf8Decode(await fernet.decrypt((answer as { ok: string }).ok))).toBe(PLAINTEXTS[i]);
      }
    }
  });

  it("makes byte-identical tokens to python3's for the same key, time and IV", async () => {
    const key = python<string>({ op: "generate_key" });
    const iv = Array.from({ length: 16 }, (_, i) => 255 - i);
    for (const backend of [undefined, nodeCryptoBackend]) {
      const fernet = await Fernet.create(key, backend ? { backend } : {});
      for (const plaintext of PLAINTEXTS.slice(0, 5)) {
        const ours = await fernet.encryptToString(plaintext, { now: NOW, iv: Uint8Array.from(iv) });
        expect(ours).toBe(python<string>({ op: "encrypt", key, plaintext, now: NOW, iv }));
      }
    }
  });

  it("agrees with python3 on a token's timestamp, both ways", async () => {
    const key = python<string>({ op: "generate_key" });
    const fernet = await Fernet.create(key);
    const theirs = python<string>({ op: "encrypt", key, plaintext: "t", now: NOW });
    expect(fernet.extractTimestamp(theirs)).toBe(NOW);
    expect(
      python<number>({ op: "extract_timestamp", key, token: await fernet.encryptToString("t", { now: NOW }) }),
    ).toBe(NOW);
  });

  it("agrees with python3 on TTL and future-token rejection", async () => {
    const key = generateKey();
    const fernet = await Fernet.create(key);
    const token = await fernet.encryptToString("t", { now: NOW });
    const answers = askPython([
      { op: "decrypt", key, token, ttl: 100, now: NOW + 100 },
      { op: "decrypt", key, token, ttl: 100, now: NOW + 101 },
      { op: "decrypt", key, token, ttl: 100, now: NOW - 60 },
      { op: "decrypt", key, token, ttl: 100, now: NOW - 61 },
    ]);
    expect(answers).toEqual([{ ok: "t" }, { error: "InvalidToken" }, { ok: "t" }, { error: "InvalidToken" }]);
    expect(utf8Decode(await fernet.decrypt(token, { ttl: 100, now: NOW + 100 }))).toBe("t");
    await expect(fernet.decrypt(token, { ttl: 100, now: NOW + 101 })).rejects.toMatchObject({ code: "token_expired" });
    expect(utf8Decode(await fernet.decrypt(token, { ttl: 100, now: NOW - 60 }))).toBe("t");
    await expect(fernet.decrypt(token, { ttl: 100, now: NOW - 61 })).rejects.toMatchObject({
      code: "token_from_future",
    });
  });

  it("rejects a python3 token made with another key, as python3 rejects ours", async () => {
    const [ours, theirs] = [generateKey(), python<string>({ op: "generate_key" })];
    const pythonToken = python<string>({ op: "encrypt", key: theirs, plaintext: "p" });
    await expect((await Fernet.create(ours)).decrypt(pythonToken)).rejects.toMatchObject({ code: "invalid_token" });
    const ourToken = await (await Fernet.create(ours)).encryptToString("o");
    expect(askPython([{ op: "decrypt", key: theirs, token: ourToken }])).toEqual([{ error: "InvalidToken" }]);
  });

  it("rotates a python3 token to a new key so that python3 reads the result with that key alone", async () => {
    const [oldKey, newKey] = [python<string>({ op: "generate_key" }), generateKey()];
    const multi = new MultiFernet([await Fernet.create(newKey), await Fernet.create(oldKey)]);
    const rotated = await multi.rotate(python<string>({ op: "encrypt", key: oldKey, plaintext: "r", now: NOW }));
    const text = base64urlEncode(rotated);
    expect(
      askPython([
        { op: "decrypt", key: newKey, token: text },
        { op: "decrypt", keys: [newKey], token: text },
      ]),
    ).toEqual([{ ok: "r" }, { ok: "r" }]);
  });
});
