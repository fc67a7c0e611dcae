/** The Python module's whole-document conflict rule, kept for `resolveConflict`: the later timestamp wins. */

/**
 * Returns whichever of `local` and `cloud` has the later `timestamp`, compared as the Python module
 * compares its ISO strings: as strings, code point by code point (so `"2025-01-01T11:00:00"` beats
 * `"2025-01-01T10:00:00"`). A missing timestamp counts as `""`, older than any. On a tie, including
 * two missing timestamps, `local` is kept: the cloud copy replaces local data only when it is strictly
 * newer. If one side is null the other is returned.
 *
 * @example
 * resolveConflict({ content: "local", timestamp: "2025-01-01T10:00:00" },
 *                 { content: "cloud", timestamp: "2025-01-01T11:00:00" }) // -> the cloud object
 */
export function resolveConflict<T extends { timestamp?: string }>(local: T | null, cloud: T | null): T | null {
  if (local === null) return cloud;
  if (cloud === null) return local;
  return comparePythonStrings(timestampOf(cloud), timestampOf(local)) > 0 ? cloud : local;
}

function timestampOf(value: { timestamp?: string }): string {
  return typeof value.timestamp === "string" ? value.timestamp : "";
}

/** Python's str comparison: by code point, which differs from JS's UTF-16 order above U+FFFF. */
function comparePythonStrings(a: string, b: string): number {
  const ai = a[Symbol.iterator]();
  const bi = b[Symbol.iterator]();
  for (;;) {
    const x = ai.next();
    const y = bi.next();
    if (x.done || y.done) return x.done === y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}
