/** Records of `append` lists: which arrays qualify, how a record is named in a path, and the time that orders it. */

import { isJsonObject, type Json, type JsonObject } from "./json-value.ts";

/** The path segment naming a record by its id; JSON text keeps `1` and `"1"` apart. */
export function recordSegment(record: JsonObject): string {
  return `@${JSON.stringify(record["id"])}`;
}

/**
 * An array merges as records only if every element is an object with a string or finite number `id`
 * and no id repeats; any other array is an ordinary value, replaced whole.
 */
export function isRecordList(value: Json): value is JsonObject[] {
  if (!Array.isArray(value)) return false;
  const seen = new Set<string>();
  for (const item of value) {
    if (!isJsonObject(item)) return false;
    const id = item["id"];
    if (typeof id !== "string" && typeof id !== "number") return false;
    const segment = recordSegment(item);
    if (seen.has(segment)) return false;
    seen.add(segment);
  }
  return true;
}

const TIME_FIELDS = ["timestamp", "ts", "time", "created_at"] as const;

/**
 * A record's own time in ms, from its first usable time field, else `fallbackMs` (its clock's time).
 * Numbers below 1e11 are seconds (Python's `time.time()`), larger ones ms. ISO strings without an
 * offset (Python's `isoformat()`) are read as UTC, so every device orders them the same way
 * whatever its time zone.
 */
export function recordTime(record: Json, fallbackMs: number): number {
  if (!isJsonObject(record)) return fallbackMs;
  for (const field of TIME_FIELDS) {
    const value = record[field];
    if (typeof value === "number" && Number.isFinite(value)) return Math.abs(value) < 1e11 ? value * 1000 : value;
    if (typeof value === "string") {
      const ms = parseIsoAsUtc(value);
      if (ms !== undefined) return ms;
    }
  }
  return fallbackMs;
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Milliseconds (with sub-ms fraction) of an ISO-8601 date-time; no offset means UTC. */
export function parseIsoAsUtc(text: string): number | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = "0", mi = "0", s = "0", frac, zone] = m;
  const base = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (!Number.isFinite(base)) return undefined;
  const fraction = frac === undefined ? 0 : Number(`0.${frac}`) * 1000;
  return base + fraction - zoneOffsetMs(zone);
}

function zoneOffsetMs(zone: string | undefined): number {
  if (zone === undefined || zone === "Z" || zone === "z") return 0;
  const digits = zone.slice(1).replace(":", "");
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || "0");
  return (zone.startsWith("-") ? -minutes : minutes) * 60_000;
}
