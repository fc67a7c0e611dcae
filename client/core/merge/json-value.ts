/** JSON values as plain data: the type, structural equality and a canonical text form for deterministic ordering. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isJsonObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Structural equality; key order of objects does not matter (JSON objects are unordered). */
export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]!));
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key]!, b[key]!));
}

/** JSON text with object keys sorted, so equal values always give equal text. */
export function canonicalJson(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isJsonObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key]!)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * Reorders object keys like `hint` where both have them (extra keys keep their order, after),
 * so a merged document keeps the shape of the file it came from. Values are unchanged.
 */
export function orderLike(value: Json, hint: Json | undefined): Json {
  if (!isJsonObject(value)) return value;
  const hintObject = isJsonObject(hint) ? hint : {};
  const out: JsonObject = {};
  for (const key of Object.keys(hintObject)) {
    if (Object.hasOwn(value, key)) setJsonKey(out, key, orderLike(value[key]!, hintObject[key]));
  }
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(out, key)) setJsonKey(out, key, orderLike(value[key]!, undefined));
  }
  return out;
}

/** Sets an own key, including `__proto__`, which plain assignment would turn into a prototype change. */
export function setJsonKey(target: JsonObject, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Throws TypeError unless `value` is plain JSON data (what a document can hold). */
export function checkJson(value: unknown, path = "data"): void {
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`${path} is not a finite number`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      checkJson(item, `${path}[${i}]`);
    });
    return;
  }
  if (
    typeof value === "object" &&
    (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)
  ) {
    for (const [key, item] of Object.entries(value)) checkJson(item, `${path}.${key}`);
    return;
  }
  throw new TypeError(
    `${path} is not JSON data (${value === undefined ? "undefined" : typeof value === "object" ? (value.constructor?.name ?? "object") : typeof value})`,
  );
}

/** About how many bytes `value` takes as JSON text, counted without building the text. */
export function approximateJsonBytes(value: Json): number {
  if (typeof value === "string") return value.length + 2;
  if (typeof value === "number") return 8;
  if (value === null || typeof value === "boolean") return 5;
  let bytes = 2;
  if (Array.isArray(value)) for (const item of value) bytes += approximateJsonBytes(item) + 1;
  else for (const key of Object.keys(value)) bytes += key.length + 4 + approximateJsonBytes(value[key]!);
  return bytes;
}
