// client/core/merge/: merging JSON documents: hybrid logical clocks, per-key registers, record rules.
/**
 * Conflict-free merge of JSON documents edited on several devices: per key at any depth, the later
 * write by hybrid logical clock wins, deletions included, with `append` and `max` rules for records
 * and counters. Pure and deterministic; every function returns new values.
 */

import { compareHlc, isHlc, maxHlc, MIN_HLC } from "./hlc.ts";
import { childPath } from "./json-path.ts";
import { isJsonObject, jsonEqual, orderLike, type Json, type JsonObject } from "./json-value.ts";
import { recordSegment } from "./records.ts";
import { RuleBook, type MergeRule, type MergeRules } from "./rules.ts";
import {
  expand,
  isEmpty,
  join,
  kindOfValue,
  materialize,
  nodeInfo,
  registerValue,
  type Registers,
  type Stamped,
} from "./registers.ts";

export type { Json } from "./json-value.ts";
export type { MergeRule, MergeRules } from "./rules.ts";
export { PROJECT_AI_RULES } from "./rules.ts";
export type { ClockMap, Stamped } from "./registers.ts";

/**
 * Records a local edit: every node that differs between `previous` and `next` (added, changed, or
 * deleted, which leaves a tombstone) gets clock `hlc`; unchanged nodes keep theirs. With no
 * previous state every key of `next` counts as written at `hlc`, so a first sync merges key by key
 * with what other devices already have.
 *
 * The result's data is `next`, except that a number under a `max` rule cannot be removed (the
 * counter stays), and `append` lists come out in time order.
 *
 * `hlc` must be later than every clock in `previous` (tick a clock that has observed
 * `latestClock(previous)`); otherwise this throws a RangeError, as the edit could lose to older ones.
 *
 * @example
 * const s1 = stamp(null, { theme: "dark" }, clock.tick());
 * const s2 = stamp(s1, { theme: "light", lang: "en" }, clock.tick());
 */
export function stamp(previous: Stamped | null, next: Json, hlc: string, rules: MergeRules = {}): Stamped {
  checkHlc(hlc);
  if (previous !== null && compareHlc(hlc, latestClock(previous)) <= 0) {
    throw new RangeError(
      `stamp clock ${hlc} is not later than the newest clock of the previous state (${latestClock(previous)}): observe it first`,
    );
  }
  const book = new RuleBook(rules);
  const rootInfo = nodeInfo(book, [], undefined);
  let regs: Registers;
  let before: Json;
  if (previous === null) {
    regs = new Map([["", { clock: MIN_HLC, kind: rootInfo.container, value: null }]]);
    before = rootInfo.container === "list" ? [] : {};
  } else {
    regs = expand(previous, book);
    before = previous.data;
  }
  recordChanges(regs, book, before, next, "", [], undefined, MIN_HLC, hlc);
  const out = materialize(regs, book);
  return { data: orderLike(out.data, next), clocks: out.clocks };
}

/**
 * The whole document written at one time: what a Python device's upload is, since it carries one
 * timestamp. Merged, it replaces everything written before `hlc`, keys it lacks included, and loses
 * only to writes after it.
 * @example stampWhole(pythonData, hlcFromWallTime(parsePythonTime(envelope.timestamp), envelope.device_id))
 */
export function stampWhole(data: Json, hlc: string, rules: MergeRules = {}): Stamped {
  checkHlc(hlc);
  const book = new RuleBook(rules);
  return materialize(expand({ data, clocks: { "": hlc } }, book), book);
}

/**
 * Merges two replicas of a document. The result depends only on the two states, not on which is
 * local: swapping them gives the same data and clocks (only the key order of objects follows
 * `local`, as JSON objects are unordered), merging a state with itself returns it, and replicas that
 * exchange states in any order end identical.
 *
 * `base` (the last state both sides synced) is accepted for the three-way shape of the sync loop but
 * not needed: every node's clock already says whether it changed since then, and on which side.
 * Malformed clocks in either state throw `SyncError("invalid_payload")`.
 */
export function merge(_base: Stamped | null, local: Stamped, remote: Stamped, rules: MergeRules = {}): Stamped {
  const book = new RuleBook(rules);
  const out = materialize(join(expand(local, book), expand(remote, book), book), book);
  return { data: orderLike(out.data, local.data), clocks: out.clocks };
}

/** The newest clock in a state (`MIN_HLC` if none): observe it before stamping the next edit. */
export function latestClock(stamped: Stamped): string {
  let latest = MIN_HLC;
  for (const clock of Object.values(stamped.clocks)) latest = maxHlc(latest, clock);
  return latest;
}

function checkHlc(hlc: string): void {
  if (!isHlc(hlc)) throw new RangeError(`not a hybrid logical clock timestamp: ${JSON.stringify(hlc)}`);
}

function recordChanges(
  regs: Registers,
  book: RuleBook,
  before: Json | undefined,
  after: Json | undefined,
  path: string,
  segments: readonly string[],
  parentRule: MergeRule | undefined,
  parentClock: string,
  hlc: string,
): void {
  const info = nodeInfo(book, segments, parentRule);
  const beforeKind = before === undefined ? "absent" : kindOfValue(before, info);
  if (after === undefined) {
    // Older registers below are superseded by the tombstone and compacted away.
    if (beforeKind !== "absent") regs.set(path, { clock: hlc, kind: "tomb", value: null });
    return;
  }
  const afterKind = kindOfValue(after, info);
  if (beforeKind !== afterKind) {
    // A new container with members keeps the clock of what it replaces, and only its members are
    // written now: two devices creating the same object at once keep each other's keys.
    const floor = regs.get(path)?.clock ?? parentClock;
    const keepsFloor = afterKind !== "leaf" && !isEmpty(after);
    registerValue(
      regs,
      book,
      after,
      path,
      segments,
      parentRule,
      { clockOf: (p) => (p === path && keepsFloor ? floor : undefined), leafClock: hlc },
      floor,
    );
  } else if (afterKind === "leaf") {
    if (!jsonEqual(before!, after)) regs.set(path, { clock: hlc, kind: "leaf", value: after });
  } else if (afterKind === "object") {
    const b = before as JsonObject;
    const a = after as JsonObject;
    for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
      const bv = Object.hasOwn(b, key) ? b[key] : undefined;
      const av = Object.hasOwn(a, key) ? a[key] : undefined;
      recordChanges(
        regs,
        book,
        bv,
        av,
        childPath(path, key),
        [...segments, key],
        info.rule,
        regs.get(path)!.clock,
        hlc,
      );
    }
  } else {
    const b = bySegment(before as JsonObject[]);
    const a = bySegment(after as JsonObject[]);
    for (const segment of new Set([...b.keys(), ...a.keys()])) {
      recordChanges(
        regs,
        book,
        b.get(segment),
        a.get(segment),
        childPath(path, segment),
        [...segments, segment],
        info.rule,
        regs.get(path)!.clock,
        hlc,
      );
    }
  }
}

function bySegment(records: JsonObject[]): Map<string, Json> {
  return new Map(records.filter(isJsonObject).map((r) => [recordSegment(r), r]));
}
