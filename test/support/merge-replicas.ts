/**
 * A simulation of devices editing one document and exchanging states, for the merge's property
 * tests: each device has its own skewed clock, edits are logged with their clocks, and the log
 * says what the converged document must contain.
 */

import { compareHlc, hlcFromWallTime, HybridLogicalClock } from "../../client/core/merge/hlc.ts";
import { isJsonObject, jsonEqual, setJsonKey, type Json, type JsonObject } from "../../client/core/merge/json-value.ts";
import { isRecordList, recordSegment } from "../../client/core/merge/records.ts";
import { RuleBook } from "../../client/core/merge/rules.ts";
import { latestClock, merge, stamp, stampWhole, type MergeRules, type Stamped } from "../../client/core/merge/merge.ts";

export type Op =
  | { kind: "set"; path: string[]; value: Json }
  | { kind: "delete"; path: string[] }
  | { kind: "addRecord"; list: string; id: string; ts: number; text: string }
  | { kind: "deleteRecord"; list: string; id: string }
  | { kind: "bump"; counter: string[]; delta: number };

export type Step =
  | { kind: "edit"; replica: number; op: Op }
  /** A Python device edits the replica's document and uploads it whole at its wall time. */
  | { kind: "python"; replica: number; op: Op }
  | { kind: "sync"; from: number; to: number }
  | { kind: "wait"; ms: number };

/**
 * One node an acknowledged edit wrote, found by diffing the document before and after it: a value
 * (records and counters count as values, written whole), a deletion, or a new container, which
 * must stay a container of that kind.
 */
export interface LoggedEdit {
  path: string[];
  clock: string;
  expect:
    | { kind: "value"; value: Json }
    | { kind: "absent" }
    | { kind: "container"; list: boolean }
    | { kind: "atLeast"; value: number }
    /** Under `max`, a deletion or non-number loses to any number (documented), so only its clock counts. */
    | { kind: "unchecked" };
}

const ABSENT = undefined;
const T0 = Date.UTC(2025, 0, 1, 10, 0, 0);

export class Simulation {
  readonly states: Stamped[];
  readonly log: LoggedEdit[] = [];
  readonly #clocks: HybridLogicalClock[];
  readonly #skews: number[];
  readonly #rules: MergeRules;
  readonly #book: RuleBook;
  #time = T0;

  constructor(initial: Json, skewsMs: number[], rules: MergeRules) {
    this.#rules = rules;
    this.#book = new RuleBook(rules);
    this.#skews = skewsMs;
    this.#clocks = skewsMs.map((skew, i) => new HybridLogicalClock(`dev${i}`, { now: () => this.#time + skew }));
    const firstClock = this.#clocks[0]!.tick();
    const first = stamp(null, initial, firstClock, rules);
    this.states = skewsMs.map(() => first);
    this.#logChanges({}, first.data, [], undefined, firstClock);
    for (const clock of this.#clocks) clock.observe(latestClock(first));
  }

  run(step: Step): void {
    const n = this.states.length;
    if (step.kind === "wait") this.#time += step.ms;
    else if (step.kind === "sync") this.sync(step.from % n, step.to % n);
    else if (step.kind === "python") this.pythonUpload(step.replica % n, step.op);
    else this.edit(step.replica % n, step.op);
  }

  sync(from: number, to: number): void {
    const merged = merge(null, this.states[to]!, this.states[from]!, this.#rules);
    this.states[to] = merged;
    this.#clocks[to]!.observe(latestClock(merged));
  }

  edit(replica: number, op: Op): void {
    const previous = this.states[replica]!;
    const next = applyOp(previous.data, op);
    if (jsonEqual(next, previous.data)) return; // nothing changed, nothing acknowledged
    const clock = this.#clocks[replica]!.tick();
    const stamped = stamp(previous, next, clock, this.#rules);
    this.states[replica] = stamped;
    // What the device acknowledges is the stamped state: under `max` a counter refuses to be removed.
    this.#logChanges(previous.data, stamped.data, [], undefined, clock);
  }

  /**
   * A Python device downloads what the replica has, edits it, and uploads the whole document at its
   * (skewed) wall time, with no clocks; the replica then merges that upload as any other version.
   */
  pythonUpload(replica: number, op: Op): void {
    const previous = this.states[replica]!;
    this.#time += 0.001; // Python's clock has microseconds: two uploads never share a timestamp
    const clock = hlcFromWallTime(this.#time + this.#skews[replica]!, `py${replica}`);
    const uploaded = stampWhole(applyOp(previous.data, op), clock, this.#rules);
    this.states[replica] = merge(null, previous, uploaded, this.#rules);
    this.#clocks[replica]!.observe(latestClock(this.states[replica]!));
    // The upload rewrites the root at its time: what it lacks is deleted, older edits included.
    this.log.push({ path: [], clock, expect: { kind: "container", list: false } });
    this.#logChanges(previous.data, uploaded.data, [], undefined, clock);
  }

  #logChanges(
    before: Json | undefined,
    after: Json | undefined,
    path: string[],
    parentAppend: boolean | undefined,
    clock: string,
  ): void {
    const rule = parentAppend ? "lww" : this.#book.ruleAt(path);
    const isMax = rule === "max";
    const shape = (v: Json | undefined) =>
      v === ABSENT
        ? "absent"
        : parentAppend || isMax
          ? "value"
          : rule === "append"
            ? isRecordList(v)
              ? "list"
              : "value"
            : isJsonObject(v)
              ? "object"
              : "value";
    const from = shape(before);
    const to = shape(after);
    if (to === "absent") {
      if (from !== "absent") this.log.push({ path, clock, expect: isMax ? { kind: "unchecked" } : { kind: "absent" } });
      return;
    }
    if (to === "value") {
      if (from === "value" && jsonEqual(before!, after!)) return;
      if (!isMax) this.log.push({ path, clock, expect: { kind: "value", value: after! } });
      else
        this.log.push({
          path,
          clock,
          expect: typeof after === "number" ? { kind: "atLeast", value: after } : { kind: "unchecked" },
        });
      return;
    }
    if (from !== to) this.log.push({ path, clock, expect: { kind: "container", list: to === "list" } });
    const b = from === to ? childrenOf(before!) : new Map<string, Json>();
    const a = childrenOf(after!);
    for (const segment of new Set([...b.keys(), ...a.keys()])) {
      this.#logChanges(b.get(segment), a.get(segment), [...path, segment], rule === "append", clock);
    }
  }
}

function childrenOf(container: Json): Map<string, Json> {
  if (Array.isArray(container)) return new Map(container.filter(isJsonObject).map((r) => [recordSegment(r), r]));
  return new Map(Object.entries(container as JsonObject));
}

/**
 * True if the converged data keeps `edit`, or a later edit (by clock) wrote the same node, one above
 * it, or one below it, or a permanent `max` counter lives below it.
 */
export function editSurvives(edit: LoggedEdit, data: Json, log: readonly LoggedEdit[]): boolean {
  const now = getAt(data, edit.path);
  const e = edit.expect;
  const kept =
    e.kind === "unchecked"
      ? true
      : e.kind === "absent"
        ? now === ABSENT
        : e.kind === "value"
          ? now !== ABSENT && jsonEqual(now, e.value)
          : e.kind === "atLeast"
            ? typeof now === "number" && now >= e.value
            : e.list
              ? now !== ABSENT && isRecordList(now)
              : isJsonObject(now);
  if (kept) return true;
  return log.some(
    (other) =>
      (compareHlc(other.clock, edit.clock) > 0 &&
        (isPrefix(other.path, edit.path) || isPrefix(edit.path, other.path))) ||
      // A counter under `max` is permanent (documented), so one anywhere below keeps its parents objects.
      (other.expect.kind === "atLeast" && other.path.length > edit.path.length && isPrefix(edit.path, other.path)),
  );
}

function isPrefix(prefix: readonly string[], path: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((s, i) => s === path[i]);
}

export function applyOp(data: Json, op: Op): Json {
  switch (op.kind) {
    case "set":
      return setAt(data, op.path, op.value);
    case "delete":
      return deleteAt(data, op.path);
    case "addRecord": {
      const list = getAt(data, [op.list]);
      const record = { id: op.id, ts: op.ts, text: op.text };
      const records = list !== ABSENT && isRecordList(list) ? list.filter((r) => r["id"] !== op.id) : [];
      return setAt(data, [op.list], [...records, record]);
    }
    case "deleteRecord": {
      const list = getAt(data, [op.list]);
      if (list === ABSENT || !isRecordList(list)) return data;
      return setAt(
        data,
        [op.list],
        list.filter((r) => r["id"] !== op.id),
      );
    }
    case "bump": {
      const current = getAt(data, op.counter);
      return setAt(data, op.counter, (typeof current === "number" ? current : 0) + op.delta);
    }
  }
}

/** The value at a path; a `@<json id>` segment under an array names the record with that id. */
export function getAt(data: Json, path: readonly string[]): Json | undefined {
  let node: Json | undefined = data;
  for (const segment of path) {
    if (Array.isArray(node)) node = node.find((r) => isJsonObject(r) && recordSegment(r) === segment);
    else if (isJsonObject(node) && Object.hasOwn(node, segment)) node = node[segment];
    else return ABSENT;
  }
  return node;
}

/** Sets a value, turning whatever is on the way into objects (as an editor writing a nested key would). */
function setAt(data: Json, path: readonly string[], value: Json): Json {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string, ...string[]];
  const object: JsonObject = isJsonObject(data) ? { ...data } : {};
  setJsonKey(object, head, setAt(Object.hasOwn(object, head) ? object[head]! : null, rest, value));
  return object;
}

function deleteAt(data: Json, path: readonly string[]): Json {
  const [head, ...rest] = path as [string, ...string[]];
  if (!isJsonObject(data) || !Object.hasOwn(data, head)) return data;
  const object: JsonObject = { ...data };
  if (rest.length === 0) delete object[head];
  else setJsonKey(object, head, deleteAt(object[head]!, rest));
  return object;
}
