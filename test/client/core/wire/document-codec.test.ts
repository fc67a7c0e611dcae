import { describe, expect, it } from "vitest";
import {
  openDocument,
  sealDocument,
  stampedFromEnvelope,
  wholeAt,
} from "../../../../client/core/wire/document-codec.ts";
import { isCompressed } from "../../../../client/core/wire/envelope.ts";
import { SyncError } from "../../../../client/core/errors.ts";
import { Fernet } from "../../../../client/core/crypto/fernet.ts";
import { MultiFernet } from "../../../../client/core/crypto/multi-fernet.ts";
import { generateKey } from "../../../../client/core/crypto/fernet-key.ts";
import { hlcFromWallTime } from "../../../../client/core/merge/hlc.ts";
import { merge, stamp } from "../../../../client/core/merge/merge.ts";

const clock = { now: () => Date.UTC(2025, 0, 1, 10, 0, 0, 250) };

async function fernetOf(...keys: string[]): Promise<MultiFernet> {
  return new MultiFernet(await Promise.all(keys.map((k) => Fernet.create(k))));
}

describe("sealDocument and openDocument", () => {
  it("round-trips the envelope with our sync field, its binding and the writer's clock as the token time", async () => {
    const fernet = await fernetOf(generateKey());
    const stamped = stamp(null, { theme: "dark" }, hlcFromWallTime(clock.now(), "laptop"));
    const token = await sealDocument(fernet, clock, {
      username: "alice",
      doc: "notes",
      version: 4,
      deviceId: "laptop",
      stamped,
      base: "ab".repeat(32),
      counter: 7,
      hlc: hlcFromWallTime(clock.now(), "laptop"),
      rules: { "/log": "append" },
      compress: false,
    });
    const opened = await openDocument(fernet, token, 'document "default" of alice');
    expect(opened.tokenTimeMs).toBe(Date.UTC(2025, 0, 1, 10));
    expect(opened.envelope).toMatchObject({
      username: "alice",
      device_id: "laptop",
      data: { theme: "dark" },
      sync: {
        v: 1,
        base: "ab".repeat(32),
        doc: "notes",
        version: 4,
        counter: 7,
        clocks: stamped.clocks,
        rules: { "/log": "append" },
      },
    });
  });

  it("compresses inside the token only when asked", async () => {
    const key = generateKey();
    const fernet = await fernetOf(key);
    const stamped = stamp(null, { notes: "x".repeat(5000) }, hlcFromWallTime(clock.now(), "laptop"));
    const input = {
      username: "a",
      doc: "default",
      version: 1,
      deviceId: "d",
      stamped,
      base: null,
      counter: 1,
      hlc: hlcFromWallTime(clock.now(), "d"),
      rules: undefined,
    };
    const packed = await sealDocument(fernet, clock, { ...input, compress: true });
    const plain = await sealDocument(fernet, clock, { ...input, compress: false });
    const single = await Fernet.create(key);
    expect(isCompressed(await single.decrypt(packed))).toBe(true);
    expect(isCompressed(await single.decrypt(plain))).toBe(false);
    expect(packed.length).toBeLessThan(plain.length);
    expect((await openDocument(fernet, packed, "x")).envelope.data).toEqual({ notes: "x".repeat(5000) });
  });

  it("turns a token made with another key into wrong_key naming FERNET_KEY", async () => {
    const token = await (await Fernet.create(generateKey())).encrypt(
      '{"username":"a","device_id":"d","timestamp":"t","data":1}',
    );
    const error = await openDocument(await fernetOf(generateKey()), token, 'document "default" of alice').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SyncError);
    expect((error as SyncError).code).toBe("wrong_key");
    expect((error as SyncError).message).toContain(
      'document "default" of alice cannot be decrypted with this FERNET_KEY',
    );
  });

  it("opens a token stamped far in the future (a device with a fast clock)", async () => {
    const key = generateKey();
    const future = Math.floor(Date.now() / 1000) + 3600;
    const token = await (await Fernet.create(key)).encrypt(
      '{"username":"a","device_id":"d","timestamp":"t","data":1}',
      { now: future },
    );
    expect((await openDocument(await fernetOf(key), token, "x")).tokenTimeMs).toBe(future * 1000);
  });
});

describe("stampedFromEnvelope", () => {
  it("makes a Python upload one whole write at its timestamp", () => {
    const python = {
      username: "a",
      device_id: "0123456789abcdef",
      timestamp: "2025-01-01T10:00:00+00:00",
      data: { theme: "light" },
    };
    const stamped = stampedFromEnvelope(python, 0, undefined);
    expect(stamped.clocks).toEqual({ "": hlcFromWallTime(Date.UTC(2025, 0, 1, 10), "0123456789abcdef") });
    const olderLocal = stamp(null, { theme: "dark", lang: "en" }, hlcFromWallTime(Date.UTC(2025, 0, 1, 9), "laptop"));
    expect(merge(null, olderLocal, stamped).data).toEqual({ theme: "light" });
  });

  it("falls back to the token's own time, never the server's or this device's clock, when a Python timestamp is unreadable", () => {
    const stamped = stampedFromEnvelope(
      { username: "a", device_id: "has space", timestamp: "soon", data: 1 },
      5000,
      undefined,
    );
    expect(stamped.clocks).toEqual({ "": hlcFromWallTime(5000, "unknown") });
    expect(wholeAt(2, 7, "dev", undefined).clocks).toEqual({ "": hlcFromWallTime(7, "dev") });
  });
});
