/**
 * A change as registers: the registers one edit wrote (docs/PROTOCOL.md "Units"). Applying a
 * change is `join` of its registers with the document's, so a register absent from a change is
 * untouched, and a change applied twice, or with another in either order, gives the same state.
 */
import { SyncError } from "../errors.ts";
import { compareHlc, isHlc, MIN_HLC } from "./hlc.ts";
import { childPath, splitPath } from "./json-path.ts";
import { checkJson, jsonEqual, orderLike, type Json, type JsonObject } from "./json-value.ts";
import { isRecordList, recordSegment } from "./records.ts";
import { diffValue, isValuePatch, patchValue, type ValuePatch } from "./value-patch.ts";
import {
  expand,
  isMaxPath,
  joinRegister,
  materialize,
  registerValue,
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
