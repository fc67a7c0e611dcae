/**
 * A change as registers: the registers one edit wrote (docs/PROTOCOL.md "Units"). Applying a
 * change is `join` of its registers with the document's, so a register absent from a change is
 * untouched, and a change applied twice, or with another in either order, gives the same state.
 */
import { SyncError } from "../errors.ts";
import { compareHlc, isHlc, MIN_HLC } from "./hlc.ts";
import { childPath, splitPath } from "./json-path.ts";
import { checkJson, jsonEqual, orderLike, setJsonKey, type Json, type JsonObject } from "./json-value.ts";
import { isRecordList, recordSegment } from "./records.ts";
import { diffValue, isValuePatch, patchValue, type ValuePatch } from "./value-patch.ts";
import {
  expand,
  isMaxPath,
  joinRegister,
  compareRecordPlaces,
  kindOfValue,
  materialize,
  nodeInfo,
  recordPlace,
  registerValue,
  type NodeInfo,
  type Register,
  type RegisterKind,
  type Stamped,
} from "./registers.ts";
import { RuleBook, type MergeRules } from "./rules.ts";

/**
 * One register on the wire: `[path, clock, kind]`, with the value for a leaf; or a leaf rewritten
 * as a patch of the value the register held before (`"patch"`, value-patch.ts) when that is smaller.
 */
export type RegisterWrite =
  | [path: string, clock: string, kind: RegisterKind, value?: Json]
  | [path: string, clock: string, kind: "patch", patch: ValuePatch];

const KINDS: ReadonlySet<string> = new Set(["object", "list", "leaf", "tomb", "patch"]);

/** A patch is sent instead of a leaf's value when it is at most this share of the value's size. */
const PATCH_SHARE = 0.5;

function sameRegister(a: Register | undefined, b: Register): boolean {
  return (
    a !== undefined && a.clock === b.clock && a.kind === b.kind && (b.kind !== "leaf" || jsonEqual(a.value, b.value))
  );
}

/**
 * The registers of `after` that differ from those of `before`: what turns `before` into `after`
 * by a join, when `after` already includes `before` (it was merged with it).
 */
export function diffRegisters(before: Stamped, after: Stamped, rules: MergeRules): RegisterWrite[] {
  const book = new RuleBook(rules);
  const a = expand(before, book);
  const out: RegisterWrite[] = [];
  for (const [path, reg] of expand(after, book)) {
    const previous = a.get(path);
    if (sameRegister(previous, reg)) continue;
    if (reg.kind !== "leaf") {
      out.push([path, reg.clock, reg.kind]);
      continue;
    }
    out.push(leafWrite(path, reg.clock, previous?.kind === "leaf" ? previous.value : undefined, reg.value));
  }
  return out;
}

/** A leaf's write: its value, or a patch of the value it replaces when that is much smaller. */
function leafWrite(path: string, clock: string, previous: Json | undefined, value: Json): RegisterWrite {
  if (previous !== undefined && typeof value === "object" && value !== null && typeof previous === "object") {
    const patch = diffValue(previous, value);
    if (patch !== null && JSON.stringify(patch).length <= JSON.stringify(value).length * PATCH_SHARE) {
      return [path, clock, "patch", patch];
    }
  }
  return [path, clock, "leaf", value];
}

/**
 * `state` with the changes' registers joined in, in order. A patch applies to the value its
 * register holds at that point: what the writer held when it wrote the change.
 */
export function applyWrites(state: Stamped, writes: readonly RegisterWrite[], rules: MergeRules): Stamped {
  const book = new RuleBook(rules);
  const regs = expand(state, book);
  for (const w of writes) {
    const [path, clock, kind] = w;
    const held = regs.get(path);
    const reg: Register =
      kind === "patch"
        ? { clock, kind: "leaf", value: patchValue(held?.kind === "leaf" ? held.value : undefined, w[3] as ValuePatch) }
        : { clock, kind, value: kind === "leaf" ? ((w[3] as Json | undefined) ?? null) : null };
    regs.set(path, held === undefined ? reg : joinRegister(held, reg, isMaxPath(path, book)));
  }
  const out = materialize(regs, book);
  return { data: orderLike(out.data, state.data), clocks: out.clocks };
}

/** The newest clock a change writes (`MIN_HLC` for none): observed before the next local edit. */
export function latestWrite(writes: readonly RegisterWrite[]): string {
  let latest = MIN_HLC;
  for (const [, clock] of writes) if (compareHlc(clock, latest) > 0) latest = clock;
  return latest;
}

/** Checks a change read from a token; anything malformed is `invalid_payload`. */
export function checkWrites(value: unknown): RegisterWrite[] {
  const bad = (why: string) => new SyncError("invalid_payload", `The change decrypted, but ${why}.`);
  if (!Array.isArray(value)) throw bad("it holds no list of writes");
  for (const w of value) {
    if (!Array.isArray(w) || w.length < 3 || w.length > 4) throw bad("a write is not [path, clock, kind, value?]");
    const [path, clock, kind, v] = w as unknown[];
    if (typeof path !== "string" || splitPath(path) === undefined) throw bad("a write's path is not a JSON pointer");
    if (typeof clock !== "string" || (clock !== MIN_HLC && !isHlc(clock))) throw bad("a write's clock is not an HLC");
    if (typeof kind !== "string" || !KINDS.has(kind)) throw bad("a write's kind is unknown");
    if (kind === "patch") {
      if (w.length !== 4 || !isValuePatch(v)) throw bad("a patch write is malformed");
    } else if (kind === "leaf") {
      if (w.length !== 4) throw bad("a leaf write has no value");
      try {
        checkJson(v, `change ${path}`);
      } catch {
        throw bad("a leaf write's value is not JSON");
      }
    } else if (w.length !== 3) throw bad("a container write carries a value");
  }
  return value as RegisterWrite[];
}

/**
 * The registers of assigning `value` at `path` at clock `hlc`: it replaces what was there (an
 * object written at `hlc` supersedes every older member), as `stamp` would record the same edit.
 */
export function assignmentWrites(path: string, value: Json, hlc: string, rules: MergeRules): RegisterWrite[] {
  const segments = splitPath(path);
  if (segments === undefined)
    throw new TypeError(`path must be "" or a JSON pointer starting with "/": ${JSON.stringify(path)}`);
  checkJson(value, "value");
  const book = new RuleBook(rules);
  const parentRule = segments.length === 0 ? undefined : book.ruleAt(segments.slice(0, -1));
  const regs = new Map<string, Register>();
  registerValue(regs, book, value, path, segments, parentRule, { clockOf: () => hlc }, hlc);
  return [...regs].map(
    ([p, r]): RegisterWrite => (r.kind === "leaf" ? [p, r.clock, r.kind, r.value] : [p, r.clock, r.kind]),
  );
}

/** The register of `record` appended to the `append` list at `listPath` (a record with an `id`). */
export function appendWrites(listPath: string, record: Json, hlc: string, rules: MergeRules): RegisterWrite[] {
  const segments = splitPath(listPath);
  if (segments === undefined)
    throw new TypeError(`path must be a JSON pointer starting with "/": ${JSON.stringify(listPath)}`);
  if (new RuleBook(rules).ruleAt(segments) !== "append") {
    throw new TypeError(`${listPath} is not an append list under this document's rules; use set instead`);
  }
  if (!isRecordList([record])) throw new TypeError("record must be an object with a string or number id");
  return assignmentWrites(childPath(listPath, recordSegment(record as JsonObject)), record, hlc, rules);
}

/**
 * Applies `writes` to `state` in place, in time proportional to the writes (not to the state), when
 * every write is a leaf (or a patch of one) at a place that exists and no write is at or under
 * another: the common shape of an edit (a record appended, a key set, a turn added to a record).
 * The result equals `applyWrites`, except that new clock entries are not re-sorted. Returns false,
 * leaving `state` untouched, when any write needs the general join.
 */
export function applyWritesInPlace(state: Stamped, writes: readonly RegisterWrite[], rules: MergeRules): boolean {
  const paths = writes.map((w) => w[0]);
  const sorted = [...paths].sort();
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1] || sorted[i]!.startsWith(`${sorted[i - 1]}/`)) return false;
  }
  const book = new RuleBook(rules);
  const actions: Array<() => void> = [];
  for (const w of writes) {
    const action = planInPlace(state, w, book);
    if (action === null) return false;
    actions.push(action);
  }
  for (const act of actions) act();
  return true;
}

/** What one write does to the state in place; null when it needs the general join. */
function planInPlace(state: Stamped, w: RegisterWrite, book: RuleBook): (() => void) | null {
  const [path, clock, kind] = w;
  if (kind !== "leaf" && kind !== "patch") return null;
  const segments = splitPath(path);
  if (segments === undefined || segments.length === 0) return null;
  const clocks = state.clocks;
  const clockAt = (p: string, inherited: string) => (Object.hasOwn(clocks, p) ? clocks[p]! : inherited);
  let info = nodeInfo(book, [], undefined);
  let node: Json = state.data;
  let nodePath = "";
  let effective = clockAt("", MIN_HLC);
  // Down to the parent: every step an existing container of the shape the rules give it.
  for (let i = 0; i < segments.length - 1; i++) {
    const child = childOf(node, info, segments[i]!);
    if (child === undefined) return null;
    const childInfo = nodeInfo(book, segments.slice(0, i + 1), info.rule);
    if (kindOfValue(child, childInfo) === "leaf") return null;
    nodePath = childPath(nodePath, segments[i]!);
    effective = clockAt(nodePath, effective);
    node = child;
    info = childInfo;
  }
  const parent = node;
  const parentKind = kindOfValue(parent, info);
  if (info.atomic || parentKind === "leaf") return null;
  const segment = segments[segments.length - 1]!;
  const leafInfo = nodeInfo(book, segments, info.rule);
  if (isMaxPath(path, book)) return null;
  const existing = childOf(parent, info, segment);
  if (existing !== undefined && kindOfValue(existing, leafInfo) !== "leaf") return null;
  const held = existing === undefined ? undefined : clockAt(path, effective);
  if (existing === undefined && Object.hasOwn(clocks, path)) {
    // A deletion's tombstone: the later clock wins; a tie needs the general join.
    const order = compareHlc(clock, clocks[path]!);
    if (order === 0) return null;
    if (order < 0) return () => undefined;
  }
  if (held !== undefined) {
    const order = compareHlc(clock, held);
    if (order === 0) return null;
    if (order < 0) return () => undefined;
  }
  // Older than the container holding it: superseded, as the join would drop it.
  if (compareHlc(clock, effective) < 0) return () => undefined;
  let value: Json;
  if (kind === "patch") {
    if (existing === undefined) return null;
    value = patchValue(existing, w[3] as ValuePatch);
  } else value = (w[3] as Json | undefined) ?? null;
  if (kindOfValue(value, leafInfo) !== "leaf") return null;
  return () => {
    if (parentKind === "object") setJsonKey(parent as JsonObject, segment, value);
    else placeRecord(parent as JsonObject[], nodePath, segment, value as JsonObject, clock, clocks, effective);
    if (clock === effective) delete clocks[path];
    else clocks[path] = clock;
  };
}

/** The member of a container named by `segment` (a key, or a record's `@id`); undefined when absent. */
export function childOf(node: Json, info: NodeInfo, segment: string): Json | undefined {
  const kind = kindOfValue(node, info);
  if (kind === "object") return Object.hasOwn(node as JsonObject, segment) ? (node as JsonObject)[segment] : undefined;
  if (kind === "list") return (node as JsonObject[]).find((r) => recordSegment(r) === segment);
  return undefined;
}

/** Puts a record where the merge lists it: by its time, then clock, then id (registers.ts `container`). */
function placeRecord(
  list: JsonObject[],
  listPath: string,
  segment: string,
  record: JsonObject,
  clock: string,
  clocks: Record<string, string>,
  listClock: string,
): void {
  const at = list.findIndex((r) => recordSegment(r) === segment);
  if (at >= 0) list.splice(at, 1);
  const mine = recordPlace(record, clock, segment);
  let i = list.length;
  while (i > 0) {
    const other = list[i - 1]!;
    const otherSegment = recordSegment(other);
    const otherPath = childPath(listPath, otherSegment);
    const theirs = recordPlace(other, Object.hasOwn(clocks, otherPath) ? clocks[otherPath]! : listClock, otherSegment);
    if (compareRecordPlaces(theirs, mine) <= 0) break;
    i--;
  }
  list.splice(i, 0, record);
}
