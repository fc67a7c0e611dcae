import { execFileSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import {
  decodeEnvelope,
  encodeEnvelope,
  isCompressed,
  parsePythonTimestamp,
  pythonTimestamp,
  type Envelope,
} from "../../../../client/core/wire/envelope.ts";
import { isSyncError } from "../../../../client/core/errors.ts";
import { utf8Encode } from "../../../../client/core/protocol/encoding.ts";

const originalTz = process.env["TZ"];
afterEach(() => {
  if (originalTz === undefined) delete process.env["TZ"];
  else process.env["TZ"] = originalTz;
});

/** Python's own answers: datetime.fromtimestamp(ms / 1000).isoformat() in the given zone, one line each. */
function pythonIsoformat(samples: number[], tz: string): string[] {
  const script =
    "import sys, datetime\nfor a in sys.argv[1:]: print(datetime.datetime.fromtimestamp(int(a) / 1000).isoformat())";
  const out = execFileSync("python3", ["-c", script, ...samples.map(String)], { env: { ...process.env, TZ: tz } });
  return out.toString().trim().split("\n");
}

describe("pythonTimestamp", () => {
  const samples = [0, 1_735_725_600_000, 1_735_725_600_123, 1_700_000_000_001, 1_719_792_000_999, 951_782_400_500];

  for (const tz of ["UTC", "Asia/Kolkata", "America/New_York"]) {
    it(`writes what Python's datetime.isoformat() writes in ${tz}`, () => {
      process.env["TZ"] = tz;
      expect(samples.map(pythonTimestamp)).toEqual(pythonIsoformat(samples, tz));
    });
  }

  it("leaves out the fraction when the microseconds are zero, as Python does", () => {
    process.env["TZ"] = "UTC";
    expect(pythonTimestamp(Date.UTC(2025, 0, 1, 10, 0, 0))).toBe("2025-01-01T10:00:00");
    expect(pythonTimestamp(Date.UTC(2025, 0, 1, 10, 0, 0, 7))).toBe("2025-01-01T10:00:00.007000");
  });
});

describe("parsePythonTimestamp", () => {
  it("reads an offset-less timestamp as local time and round-trips pythonTimestamp", () => {
    process.env["TZ"] = "Asia/Kolkata";
    const ms = 1_735_725_600_123;
    expect(parsePythonTimestamp(pythonTimestamp(ms))).toBe(ms);
    expect(parsePythonTimestamp("2025-01-01T10:00:00")).toBe(Date.UTC(2025, 0, 1, 4, 30));
  });

  it("honours Z and numeric offsets, and truncates microseconds to milliseconds", () => {
    expect(parsePythonTimestamp("2025-01-01T10:00:00Z")).toBe(Date.UTC(2025, 0, 1, 10));
    expect(parsePythonTimestamp("2025-01-01T10:00:00.123456+02:00")).toBe(Date.UTC(2025, 0, 1, 8, 0, 0, 123));
    expect(parsePythonTimestamp("2025-01-01 10:00-0130")).toBe(Date.UTC(2025, 0, 1, 11, 30));
  });

  it("returns null for text that is not an ISO-8601 date and time", () => {
    for (const bad of [
      "",
      "yesterday",
      "2025-13-01T00:00:00",
      "2025-01-01",
      "2025-01-01T25:00:00",
      "2025-01-01T10:00:00.1234567",
    ]) {
      expect(parsePythonTimestamp(bad)).toBeNull();
    }
  });
});

const envelope: Envelope = {
  username: "alice",
  device_id: "0123456789abcdef",
  timestamp: "2025-01-01T10:00:00.123000",
  data: { preferences: { theme: "dark" }, notes: "x".repeat(2000) },
  sync: { v: 1, base: null, counter: 3, hlc: "h", clocks: { "/preferences/theme": "h" } },
};

describe("encodeEnvelope and decodeEnvelope", () => {
  it("writes plain JSON that Python's json.loads reads, when not asked to compress", async () => {
    const plain = await encodeEnvelope(envelope, { compress: false });
    expect(isCompressed(plain)).toBe(false);
    const script =
      "import sys, json; d = json.loads(sys.stdin.buffer.read()); print(d['data']['preferences']['theme'], d['timestamp'])";
    expect(execFileSync("python3", ["-c", script], { input: plain }).toString().trim()).toBe(
      "dark 2025-01-01T10:00:00.123000",
    );
  });

  it("gzips when that is smaller, with the gzip magic first, and reads it back", async () => {
    const packed = await encodeEnvelope(envelope, { compress: true });
    expect(isCompressed(packed)).toBe(true);
    expect(packed.length).toBeLessThan((await encodeEnvelope(envelope, { compress: false })).length);
    expect(await decodeEnvelope(packed)).toEqual(envelope);
  });

  it("keeps plain JSON when gzip would not be smaller", async () => {
    const tiny: Envelope = { username: "a", device_id: "d", timestamp: "t", data: 1 };
    const bytes = await encodeEnvelope(tiny, { compress: true });
    expect(isCompressed(bytes)).toBe(false);
    expect(await decodeEnvelope(bytes)).toEqual(tiny);
  });

  it("reads a Python envelope without a sync field", async () => {
    const python = utf8Encode(
      '{"username": "alice", "device_id": "abc", "timestamp": "2025-01-01T10:00:00", "data": {"a": 1}}',
    );
    const decoded = await decodeEnvelope(python);
    expect(decoded).toEqual({ username: "alice", device_id: "abc", timestamp: "2025-01-01T10:00:00", data: { a: 1 } });
    expect("sync" in decoded).toBe(false);
  });

  it("reads a token's binding (document and version beside the envelope's username)", async () => {
    const bound = { ...envelope, sync: { ...envelope.sync!, doc: "notes", version: 7 } };
    expect(await decodeEnvelope(await encodeEnvelope(bound, { compress: false }))).toEqual(bound);
  });

  it("reads a half or malformed binding as no binding, keeping the rest of sync (an unbound token)", async () => {
    for (const odd of [{ doc: "notes" }, { version: 7 }, { doc: 1, version: 7 }, { doc: "notes", version: 0 }]) {
      const bytes = utf8Encode(JSON.stringify({ ...envelope, sync: { ...envelope.sync, ...odd } }));
      expect((await decodeEnvelope(bytes)).sync).toEqual(envelope.sync);
    }
  });

  it("ignores a sync field of an unknown version, as Python ignores ours", async () => {
    const future = utf8Encode(JSON.stringify({ ...envelope, sync: { v: 2, whatever: true } }));
    expect((await decodeEnvelope(future)).sync).toBeUndefined();
  });

  it("reads declared merge rules, and ignores ones this client cannot apply while keeping the rest of sync", async () => {
    const sync = { v: 1, base: null, counter: 1, hlc: "0000000000000-0000-d", clocks: {} };
    const declared = utf8Encode(JSON.stringify({ ...envelope, sync: { ...sync, rules: { "/turns": "append" } } }));
    expect((await decodeEnvelope(declared)).sync?.rules).toEqual({ "/turns": "append" });
    for (const rules of [{ "/turns": "union" }, { turns: "append" }, ["/turns"]]) {
      const odd = utf8Encode(JSON.stringify({ ...envelope, sync: { ...sync, rules } }));
      const decoded = await decodeEnvelope(odd);
      expect(decoded.sync).toEqual(sync);
    }
  });

  it("rejects plaintext that is not an envelope with invalid_payload", async () => {
    for (const text of [
      "not json",
      "[1,2]",
      '{"username":"a"}',
      '{"data":1,"username":1,"device_id":"d","timestamp":"t"}',
    ]) {
      const error = await decodeEnvelope(utf8Encode(text)).catch((e: unknown) => e);
      expect(isSyncError(error, "invalid_payload")).toBe(true);
      expect((error as Error).message).toMatch(/decrypted/);
    }
  });
});
