/**
 * The merge's model of a document: one register (clock + content) per path, joined path by path,
 * then turned back into data and a compact clock map.
 *
 * Semantics, which make every replica converge whatever order states are exchanged in:
 * - A write at a path at clock t supersedes everything under that path written before t. Writes
 *   under it at t or later survive, and keep the path a container (object or record list) even if
 *   the write at the path itself was a scalar or a deletion: the later edit wins.
 * - A new container with members is not a write of its own. Its clock is a floor: that of the
 *   scalar or tombstone it replaced (or its parent's, if it replaced nothing), so it beats what it
 *   replaced (containers win ties of equal clocks) without superseding what other devices wrote
 *   into the same new object meanwhile; its members carry the clock of the edit. An empty new
 *   container has no members to carry it, so it is written at the edit's clock. A whole-document
 *   write (a Python upload) also has its own time: its root's clock supersedes everything older.
 * - Compaction: a register superseded that way is dropped for good (it can never win again), so a
 *   deleted subtree leaves one tombstone, not one per leaf. A clock equal to its parent's is not
 *   written out: it is inherited when the state is read back.
 * - A number under `max` only grows: no merge lowers or removes it, so it also survives the
 *   deletion of the object holding it (see `isGrowOnly`).
 */

import { SyncError } from "../errors.ts";
import { compareHlc, isHlc, maxHlc, MIN_HLC } from "./hlc.ts";
import { childPath, splitPath } from "./json-path.ts";
import { canonicalJson, isJsonObject, setJsonKey, type Json, type JsonObject } from "./json-value.ts";
import { isRecordList, recordSegment, recordTime } from "./records.ts";
import type { MergeRule, RuleBook } from "./rules.ts";

/** JSON-pointer path of a node (or of a deleted one: a tombstone) -> HLC of its last write. */
export type ClockMap = Record<string, string>;

/** A document together with the clocks of its writes. */
export interface Stamped {
  data: Json;
  clocks: ClockMap;
}

export type RegisterKind = "object" | "list" | "leaf" | "tomb";

export interface Register {
  clock: string;
  kind: RegisterKind;
  /** The value of a leaf; null otherwise. */
  value: Json;
}

export type Registers = Map<string, Register>;

/** How the rules shape one node. */
export interface NodeInfo {
  rule: MergeRule;
  /** A record of an append list, or a max counter: replaced whole, never descended into. */
  atomic: boolean;
  /** What the node is when it holds children. */
  container: "object" | "list";
}

export function nodeInfo(book: RuleBook, segments: readonly string[], parentRule: MergeRule | undefined): NodeInfo {
  const record = parentRule === "append";
  const rule = record ? "lww" : book.ruleAt(segments);
  return { rule, atomic: record || rule === "max", container: rule === "append" ? "list" : "object" };
}

export function kindOfValue(value: Json, info: NodeInfo): Exclude<RegisterKind, "tomb"> {
  if (info.atomic) return "leaf";
  if (info.rule === "append") return isRecordList(value) ? "list" : "leaf";
  return isJsonObject(value) ? "object" : "leaf";
}

/** Which clock each node of a registered value gets. */
export interface ClockSource {
  /** An explicit clock for a path, if it has one. */
  clockOf: (path: string) => string | undefined;
  /**
   * The clock of leaves and empty containers without an explicit one (a new value being stamped).
   * Other containers, and everything when unset, inherit their parent's.
   */
  leafClock?: string;
}

/**
 * Registers every node of `value` at `path` and below. A node without an explicit clock inherits
 * its parent's (the inverse of leaving out clocks equal to the parent's).
 */
export function registerValue(
  regs: Registers,
  book: RuleBook,
  value: Json,
  path: string,
  segments: readonly string[],
  parentRule: MergeRule | undefined,
  source: ClockSource,
  parentClock: string,
): void {
  const info = nodeInfo(book, segments, parentRule);
  const kind = kindOfValue(value, info);
  const clock =
    source.clockOf(path) ?? (kind === "leaf" || isEmpty(value) ? source.leafClock : undefined) ?? parentClock;
  regs.set(path, { clock, kind, value: kind === "leaf" ? value : null });
  if (kind === "object") {
    for (const [key, child] of Object.entries(value as JsonObject)) {
      registerValue(regs, book, child, childPath(path, key), [...segments, key], info.rule, source, clock);
    }
  } else if (kind === "list") {
    for (const record of value as JsonObject[]) {
      const segment = recordSegment(record);
      registerValue(regs, book, record, childPath(path, segment), [...segments, segment], info.rule, source, clock);
    }
  }
}

/** Reads a stamped document back into registers; clocks that are not HLCs fail as `invalid_payload`. */
export function expand(stamped: Stamped, book: RuleBook): Registers {
  const clocks = stamped.clocks;
  for (const [path, clock] of Object.entries(clocks)) {
    if (splitPath(path) === undefined)
      throw new SyncError("invalid_payload", `clock path is not a JSON pointer: ${JSON.stringify(path.slice(0, 160))}`);
    if (clock !== MIN_HLC && !isHlc(clock))
      throw new SyncError("invalid_payload", `clock of ${path.slice(0, 160)} is not a hybrid logical clock timestamp`);
  }
  const regs: Registers = new Map();
  const clockOf = (path: string): string | undefined => (Object.hasOwn(clocks, path) ? clocks[path] : undefined);
  registerValue(regs, book, stamped.data, "", [], undefined, { clockOf }, MIN_HLC);
  for (const [path, clock] of Object.entries(clocks)) {
    if (!regs.has(path)) regs.set(path, { clock, kind: "tomb", value: null });
  }
  return regs;
}

/** Joins two register sets path by path: commutative, associative and idempotent. */
export function join(a: Registers, b: Registers, book: RuleBook): Registers {
  const out: Registers = new Map(a);
  for (const [path, rb] of b) {
    const ra = out.get(path);
    out.set(path, ra === undefined ? rb : joinRegister(ra, rb, isMaxPath(path, book)));
  }
  return out;
}

/** An object or array without members. */
export function isEmpty(value: Json): boolean {
  return Array.isArray(value) ? value.length === 0 : isJsonObject(value) && Object.keys(value).length === 0;
}

/** Whether the register at `path` is a `max` counter (not a record's member). */
export function isMaxPath(path: string, book: RuleBook): boolean {
  const segments = splitPath(path)!;
  if (segments.length > 0 && book.ruleAt(segments.slice(0, -1)) === "append") return false;
  return book.ruleAt(segments) === "max";
}

function isNumberLeaf(r: Register): r is Register & { value: number } {
  return r.kind === "leaf" && typeof r.value === "number";
}

/**
 * The later write wins; equal clocks (only possible for one write seen twice, or two whole-document
 * writes in the same ms) fall back to comparing contents, so the pick never depends on argument order.
 *
 * Under `max`, two numbers join to the larger value at the later clock, and a number beats any
 * non-number (a deletion included) and keeps its own clock.
 */
export function joinRegister(a: Register, b: Register, max: boolean): Register {
  if (max) {
    const an = isNumberLeaf(a);
    const bn = isNumberLeaf(b);
    if (an && bn) return { kind: "leaf", value: Math.max(a.value, b.value), clock: maxHlc(a.clock, b.clock) };
    if (an) return a;
    if (bn) return b;
  }
  const order = compareHlc(a.clock, b.clock);
  if (order !== 0) return order > 0 ? a : b;
  return tieKey(a) >= tieKey(b) ? a : b;
}

const KIND_RANK: Record<RegisterKind, number> = { tomb: 0, leaf: 1, object: 2, list: 3 };

function tieKey(r: Register): string {
  return `${KIND_RANK[r.kind]}:${r.kind === "leaf" ? canonicalJson(r.value) : ""}`;
}

interface TrieNode {
  path: string;
  info: NodeInfo;
  segment: string;
  reg: Register | undefined;
  children: Map<string, TrieNode>;
}

interface Visit {
  present: boolean;
  value: Json;
  clock: string;
  /** A register survived here or below. */
  survived: boolean;
}

/** Drops superseded registers and builds the document and its compact clock map. */
export function materialize(regs: Registers, book: RuleBook): Stamped {
  const root: TrieNode = {
    path: "",
    info: nodeInfo(book, [], undefined),
    segment: "",
    reg: undefined,
    children: new Map(),
  };
  for (const [path, reg] of regs) insert(root, book, path, reg);
  const clocks: ClockMap = {};
  const result = visit(root, MIN_HLC, MIN_HLC, clocks);
  // Sorted paths: equal states serialize to equal bytes, whichever replica built them.
  const sorted: ClockMap = {};
  for (const path of Object.keys(clocks).sort()) sorted[path] = clocks[path]!;
  return { data: result.present ? result.value : null, clocks: sorted };
}

function insert(root: TrieNode, book: RuleBook, path: string, reg: Register): void {
  const segments = splitPath(path)!;
  let node = root;
  for (let i = 0; i < segments.length; i++) {
    // Nothing lives under a record or a counter: such registers are leftovers of another shape.
    if (node.info.atomic) return;
    const segment = segments[i]!;
    let child = node.children.get(segment);
    if (child === undefined) {
      child = {
        path: childPath(node.path, segment),
        info: nodeInfo(book, segments.slice(0, i + 1), node.info.rule),
        segment,
        reg: undefined,
        children: new Map(),
      };
      node.children.set(segment, child);
    }
    node = child;
  }
  node.reg = reg;
}

function visit(node: TrieNode, floor: string, parentClock: string, clocks: ClockMap): Visit {
  const reg = node.reg !== undefined && (node.reg.clock >= floor || isGrowOnly(node, node.reg)) ? node.reg : undefined;
  const clock = reg === undefined ? parentClock : reg.clock;
  const children: Array<[TrieNode, Visit]> = [];
  let below = false;
  for (const child of node.children.values()) {
    const result = visit(child, reg === undefined ? floor : maxHlc(floor, reg.clock), clock, clocks);
    children.push([child, result]);
    below ||= result.survived;
  }
  let present = true;
  let value: Json = null;
  if (reg?.kind === "leaf" && !below) value = reg.value;
  else if (below || reg?.kind === "object" || reg?.kind === "list") value = container(node, children);
  else present = false;
  if (reg !== undefined && (!present || reg.clock !== parentClock)) clocks[node.path] = reg.clock;
  return { present, value, clock, survived: reg !== undefined || below };
}

/**
 * A number under `max` is never superseded, not even by its parent's deletion. It has to be so for
 * the merge to converge: a superseded number would still beat a later deletion of the counter on a
 * replica that had not dropped it yet, so replicas meeting in different orders would disagree.
 */
function isGrowOnly(node: TrieNode, reg: Register): boolean {
  return node.info.rule === "max" && isNumberLeaf(reg);
}

function container(node: TrieNode, children: Array<[TrieNode, Visit]>): Json {
  const live = children.filter(([, r]) => r.present);
  if (node.info.container === "object") {
    const out: JsonObject = {};
    for (const [child, r] of live) setJsonKey(out, child.segment, r.value);
    return out;
  }
  const keyed = live.map(([child, r]) => ({ place: recordPlace(r.value, r.clock, child.segment), value: r.value }));
  keyed.sort((x, y) => compareRecordPlaces(x.place, y.place));
  return keyed.map((k) => k.value);
}

/** What orders a record in its list. */
export interface RecordPlace {
  time: number;
  clock: string;
  segment: string;
}

export function recordPlace(record: Json, clock: string, segment: string): RecordPlace {
  return { time: recordTime(record, clockMs(clock)), clock, segment };
}

/** Records in time order: their own time, then clock, then id, so every replica lists them alike. */
export function compareRecordPlaces(x: RecordPlace, y: RecordPlace): number {
  return (
    x.time - y.time || compareHlc(x.clock, y.clock) || (x.segment < y.segment ? -1 : x.segment > y.segment ? 1 : 0)
  );
}

function clockMs(clock: string): number {
  return clock === MIN_HLC ? 0 : Number(clock.slice(0, 13));
}
