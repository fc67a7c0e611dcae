import { describe, expect, test } from "vitest";
import { resolveConflict } from "../../../../client/core/merge/resolve-conflict.ts";

// The Python module's documented example of its conflict rule (docs/PYTHON-DEVICES.md).
const localData = { content: "local version", timestamp: "2025-01-01T10:00:00" };
const cloudData = { content: "cloud version", timestamp: "2025-01-01T11:00:00" };

describe("resolveConflict (the Python module's rule)", () => {
  test("returns the cloud data when it is newer, as in the Python module's example", () => {
    expect(resolveConflict(localData, cloudData)).toBe(cloudData);
  });

  test("returns the local data when it is newer", () => {
    expect(resolveConflict(cloudData, localData)).toBe(cloudData);
    const newerLocal = { content: "local", timestamp: "2025-01-01T12:00:00.000001" };
    expect(resolveConflict(newerLocal, cloudData)).toBe(newerLocal);
  });

  test("keeps the local data on equal timestamps", () => {
    const cloud = { ...localData, content: "cloud" };
    expect(resolveConflict(localData, cloud)).toBe(localData);
  });

  test("compares Python isoformat strings as strings, microseconds included", () => {
    const a = { timestamp: "2025-01-01T10:00:00.000009" };
    const b = { timestamp: "2025-01-01T10:00:00.000010" };
    expect(resolveConflict(a, b)).toBe(b);
    // As strings, a timestamp without microseconds is older than the same second with them.
    const whole = { timestamp: "2025-01-01T10:00:00" };
    expect(resolveConflict(whole, a)).toBe(a);
  });

  test("treats a missing timestamp as older than any", () => {
    const untimed: { content: string; timestamp?: string } = { content: "no time" };
    expect(resolveConflict(untimed, cloudData)).toBe(cloudData);
    expect(resolveConflict(localData, untimed)).toBe(localData);
  });

  test("returns the other side when one is null, and null when both are", () => {
    expect(resolveConflict(null, cloudData)).toBe(cloudData);
    expect(resolveConflict(localData, null)).toBe(localData);
    expect(resolveConflict(null, null)).toBeNull();
  });

  test("orders characters beyond U+FFFF by code point, as Python does", () => {
    const astral = { timestamp: "\u{1F600}" };
    const highBmp = { timestamp: "\uFF00" };
    expect(resolveConflict(highBmp, astral)).toBe(astral);
    expect(resolveConflict(astral, highBmp)).toBe(astral);
  });
});
