import { describe, expect, it } from "vitest";
import { checkOptions, type SyncManagerOptions } from "../../../client/core/manager-options.ts";
import { checkJson } from "../../../client/core/merge/json-value.ts";
import { MemoryStore } from "../../../client/core/ports.ts";

const valid: SyncManagerOptions = {
  url: "https://sync.example",
  key: "k",
  store: new MemoryStore(),
  deviceId: "laptop",
};

describe("checkOptions", () => {
  it("accepts complete options", () => {
    expect(() => checkOptions(valid)).not.toThrow();
    expect(() =>
      checkOptions({
        ...valid,
        key: ["a", "b"],
        deviceId: async () => "x",
        documents: ["default", "memory"],
        maxAttempts: 3,
      }),
    ).not.toThrow();
  });

  it("names the missing or wrong option with a TypeError or RangeError", () => {
    const cases: Array<[Partial<SyncManagerOptions>, ErrorConstructor, RegExp]> = [
      [{ url: "" }, TypeError, /CLOUD_SYNC_URL/],
      [{ key: "" }, TypeError, /FERNET_KEY/],
      [{ key: [] }, TypeError, /FERNET_KEY/],
      [{ store: {} as never }, TypeError, /store/],
      [{ deviceId: "no spaces" }, RangeError, /device id/],
      [{ deviceName: "" }, TypeError, /deviceName/],
      [{ documents: ["Default"] }, RangeError, /documents/],
      [{ pythonCompatible: "yes" as never }, TypeError, /pythonCompatible/],
      [{ maxAttempts: 0 }, RangeError, /maxAttempts/],
      [{ timeoutMs: -1 }, RangeError, /timeoutMs/],
      [{ clock: {} as never }, TypeError, /clock/],
      [
        { rules: { memory: { "/turns": "union" } as never } },
        TypeError,
        /^rules of "memory": merge rule for "\/turns"/,
      ],
      [{ rules: { memory: { turns: "append" } } }, TypeError, /^rules of "memory": merge rule path "turns"/],
      [{ rules: { Memory: {} } }, RangeError, /^rules: "Memory" is not a valid document name/],
    ];
    for (const [change, type, message] of cases) {
      expect(() => checkOptions({ ...valid, ...change } as SyncManagerOptions)).toThrow(type);
      expect(() => checkOptions({ ...valid, ...change } as SyncManagerOptions)).toThrow(message);
    }
  });
});

describe("checkJson", () => {
  it("accepts plain JSON data, nested, including null-prototype objects", () => {
    expect(() => checkJson({ a: [1, "two", null, true, { b: -0.5 }], c: Object.create(null) })).not.toThrow();
  });

  it("rejects values JSON cannot carry faithfully, naming where", () => {
    expect(() => checkJson({ a: { when: new Date() } })).toThrow(/data\.a\.when is not JSON data \(Date\)/);
    expect(() => checkJson([1, Number.POSITIVE_INFINITY])).toThrow(/data\[1\] is not a finite number/);
    expect(() => checkJson({ a: undefined })).toThrow(/undefined/);
    expect(() => checkJson(() => 1)).toThrow(TypeError);
    expect(() => checkJson(new Map())).toThrow(/Map/);
  });
});
