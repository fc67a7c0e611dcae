/** MultiFernet key rotation, as Python's `cryptography.fernet.MultiFernet`. */

import { describe, expect, it } from "vitest";
import { Fernet } from "../../../../client/core/crypto/fernet.ts";
import { MultiFernet } from "../../../../client/core/crypto/multi-fernet.ts";
import { generateKey } from "../../../../client/core/crypto/fernet-key.ts";
import { utf8Decode } from "../../../../client/core/protocol/encoding.ts";
import { SyncError } from "../../../../client/core/errors.ts";

const NOW = 1_700_000_000;

async function setup() {
  const [oldKey, newKey] = [generateKey(), generateKey()];
  const oldFernet = await Fernet.create(oldKey);
  const newFernet = await Fernet.create(newKey);
  return { oldFernet, newFernet, multi: new MultiFernet([newFernet, oldFernet]) };
}

describe("MultiFernet", () => {
  it("encrypts with the first key only", async () => {
    const { oldFernet, newFernet, multi } = await setup();
    const token = await multi.encrypt("a");
    expect(utf8Decode(await newFernet.decrypt(token))).toBe("a");
    await expect(oldFernet.decrypt(token)).rejects.toMatchObject({ code: "invalid_token" });
  });

  it("decrypts tokens made with any of its keys", async () => {
    const { oldFernet, newFernet, multi } = await setup();
    expect(utf8Decode(await multi.decrypt(await oldFernet.encrypt("old")))).toBe("old");
    expect(utf8Decode(await multi.decrypt(await newFernet.encryptToString("new")))).toBe("new");
  });

  it("rejects a token none of its keys made as invalid_token", async () => {
    const { multi } = await setup();
    const stranger = await Fernet.create(generateKey());
    const error = await multi.decrypt(await stranger.encrypt("x")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyncError);
    expect((error as SyncError).code).toBe("invalid_token");
  });

  it("reports an expired token made with its second key as expired", async () => {
    const { oldFernet, multi } = await setup();
    const token = await oldFernet.encrypt("x", { now: NOW });
    await expect(multi.decrypt(token, { ttl: 10, now: NOW + 11 })).rejects.toMatchObject({ code: "token_expired" });
  });

  it("rotates a token to the first key, keeping its plaintext and timestamp", async () => {
    const { oldFernet, newFernet, multi } = await setup();
    const token = await oldFernet.encrypt("rotate me", { now: NOW });
    const rotated = await multi.rotate(token);
    expect(utf8Decode(await newFernet.decrypt(rotated))).toBe("rotate me");
    expect(newFernet.extractTimestamp(rotated)).toBe(NOW);
    await expect(oldFernet.decrypt(rotated)).rejects.toMatchObject({ code: "invalid_token" });
  });

  it("refuses to be built without keys", () => {
    expect(() => new MultiFernet([])).toThrow(TypeError);
  });
});
