/**
 * A structural difference between two JSON values: what a change carries for a leaf it rewrote
 * when that is smaller than the new value (one turn appended to a conversation held as one record
 * travels as that turn). Applied to exactly the value it was computed from, it gives the new one;
 * the chain check guarantees the reader holds that value (docs/PROTOCOL.md "Units").
 */
import { SyncError } from "../errors.ts";
import { isJsonObject, jsonEqual, setJsonKey, type Json, type JsonObject } from "./json-value.ts";

export type ValuePatch =
  /** Replace with `v`. */
  | { v: Json }
  /** An object: members in `o` changed or added (each by its own patch), members named in `d` deleted. */
  | { o: Record<string, ValuePatch>; d?: string[] }
  /** An array: its first `n` elements kept, then `a` appended. */
  | { n: number; a: Json[] };

/** The patch turning `a` into `b`; null when they are equal. */
export function diffValue(a: Json | undefined, b: Json): ValuePatch | null {
  if (a !== undefined && jsonEqual(a, b)) return null;
  if (a !== undefined && isJsonObject(a) && isJsonObject(b)) {
    const o: Record<string, ValuePatch> = {};
    for (const [key, value] of Object.entries(b)) {
      const p = diffValue(Object.hasOwn(a, key) ? a[key] : undefined, value);
      if (p !== null) setPatchKey(o, key, p);
    }
    const d = Object.keys(a).filter((key) => !Object.hasOwn(b, key));
    return d.length > 0 ? { o, d } : { o };
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    let n = 0;
    while (n < a.length && n < b.length && jsonEqual(a[n]!, b[n]!)) n++;
    return { n, a: b.slice(n) };
  }
  return { v: b };
}

/** `a` with `p` applied. A patch that does not fit `a` is `invalid_payload` (a change applied to another state). */
export function patchValue(a: Json | undefined, p: ValuePatch): Json {
  if ("v" in p) return p.v;
  if ("o" in p) {
    if (a === undefined || !isJsonObject(a)) throw misfit("an object");
    const deleted = new Set(p.d ?? []);
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(a)) {
      if (deleted.has(key)) continue;
      setJsonKey(out, key, Object.hasOwn(p.o, key) ? patchValue(value, p.o[key]!) : value);
    }
    for (const [key, sub] of Object.entries(p.o)) {
      if (!Object.hasOwn(a, key)) setJsonKey(out, key, patchValue(undefined, sub));
    }
    return out;
  }
  if (!Array.isArray(a) || a.length < p.n) throw misfit("an array");
  return [...a.slice(0, p.n), ...p.a];
}

function misfit(what: string): SyncError {
  return new SyncError("invalid_payload", `A change patches ${what} this device does not hold at that path.`);
}

function setPatchKey(target: Record<string, ValuePatch>, key: string, value: ValuePatch): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Checks a patch read from a token. */
export function isValuePatch(value: unknown): value is ValuePatch {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const p = value as Record<string, unknown>;
  const keys = Object.keys(p).sort().join(",");
  if (keys === "v") return true;
  if (keys === "a,n") return Number.isSafeInteger(p["n"]) && (p["n"] as number) >= 0 && Array.isArray(p["a"]);
  if (keys === "o" || keys === "d,o") {
    const o = p["o"];
    if (typeof o !== "object" || o === null || Array.isArray(o)) return false;
    if (p["d"] !== undefined && !(Array.isArray(p["d"]) && p["d"].every((k) => typeof k === "string"))) return false;
    return Object.values(o).every(isValuePatch);
  }
  return false;
}
