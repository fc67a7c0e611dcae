/**
 * What the reliability suites know about documents: their leaves (values, and records of append
 * lists), the diff between two versions of a device's data (what a sync hands over as edits), the
 * clock the merge gave a path, and the rule every acknowledged edit must obey at the end: present,
 * or overwritten by a later write of the same path by the merge's clock.
 */
import { childPath } from "../../../client/core/merge/json-path.ts";
import { isJsonObject, jsonEqual, type Json } from "../../../client/core/merge/json-value.ts";
import { isRecordList, recordSegment } from "../../../client/core/merge/records.ts";
import type { ClockMap } from "../../../client/core/merge/merge.ts";

/** One leaf of a document: a JSON-pointer path (records named `@<id>`) and its value. */
export interface Leaf {
  path: string;
  value: Json;
}

/** An edit a device handed to a sync: a leaf set to `value`, or deleted (`value` undefined). */
export interface HandedEdit {
  device: string;
  doc: string;
  path: string;
  value: Json | undefined;
  /** The merge clock the edit got, when known (it survived its sync, or was queued). */
  clock?: string;
}

/** Leaves by path: objects are descended into, a record list yields its records, anything else is a leaf. */
export function leaves(data: Json, path = "", out = new Map<string, Json>()): Map<string, Json> {
  if (isJsonObject(data)) {
    for (const [key, value] of Object.entries(data)) leaves(value, childPath(path, key), out);
  } else if (Array.isArray(data) && isRecordList(data)) {
    // An empty record list, like an empty object, has no leaves: it is a container.
    for (const record of data) out.set(childPath(path, recordSegment(record)), record);
  } else if (path !== "") {
    out.set(path, data);
  }
  return out;
}

/** The leaves that differ between `before` and `after`: what stamping `after` against `before` records. */
export function diffLeaves(before: Json, after: Json): Leaf[] {
  const a = leaves(before);
  const b = leaves(after);
  const out: Leaf[] = [];
  for (const [path, value] of b) if (!a.has(path) || !jsonEqual(a.get(path)!, value)) out.push({ path, value });
  for (const path of a.keys()) if (!b.has(path)) out.push({ path, value: undefined as unknown as Json });
  return out;
}

/** The clock of a path: its own entry, else inherited from the nearest ancestor that has one ("" if none). */
export function clockAt(clocks: ClockMap, path: string): string {
  for (let p = path; ; p = p.slice(0, p.lastIndexOf("/"))) {
    if (Object.hasOwn(clocks, p)) return clocks[p]!;
    if (p === "") return "";
  }
}

/** The value at a path in the shape `leaves` names it; undefined when absent. */
export function valueAt(data: Json, path: string): Json | undefined {
  return leaves(data).get(path);
}

/** True when the data shows the edit's effect (its value, or the leaf's absence). */
export function showsEdit(data: Json, edit: Pick<HandedEdit, "path" | "value">): boolean {
  const now = valueAt(data, edit.path);
  return edit.value === undefined ? now === undefined : now !== undefined && jsonEqual(now, edit.value);
}

/**
 * Why an acknowledged edit is missing from the converged document, or null when it is fine: it is
 * present, or the merge's clock at its path is later than the edit's (a later write replaced it).
 */
export function lostEdit(edit: HandedEdit, data: Json, clocks: ClockMap): string | null {
  if (edit.clock === undefined || showsEdit(data, edit)) return null;
  const now = clockAt(clocks, edit.path);
  if (now > edit.clock) return null;
  return (
    `${edit.device}'s edit of ${edit.doc}${edit.path} to ${JSON.stringify(edit.value ?? "<deleted>")} at ${edit.clock} is gone: ` +
    `the document shows ${JSON.stringify(valueAt(data, edit.path) ?? "<absent>")} at clock ${JSON.stringify(now)}`
  );
}
