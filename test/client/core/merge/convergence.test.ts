import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { canonicalJson, type Json } from "../../../../client/core/merge/json-value.ts";
import { isRecordList, recordTime } from "../../../../client/core/merge/records.ts";
import { merge, type MergeRules, type Stamped } from "../../../../client/core/merge/merge.ts";
import { editSurvives, Simulation, type Op, type Step } from "../../../support/merge-replicas.ts";

// Bounded in `npm test`; `SOAK=1` runs many more. Seeds are fixed so a run is reproducible (set
// FC_SEED to explore others), and fast-check prints the seed and path of any failure.
const NUM_RUNS = process.env["SOAK"] ? 5000 : 300;
const MAX_STEPS = process.env["SOAK"] ? 80 : 40;
const SEED = Number(process.env["FC_SEED"] ?? 0x5eed_0000);
const HOUR = 3_600_000;

const PLAIN: MergeRules = {};
const WITH_RULES: MergeRules = { "/log": "append", "/count/*": "max" };

const key = fc.constantFrom("a", "b", "c");
const smallValue: fc.Arbitrary<Json> = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom("x", "y", "", null, true),
  fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 2 }),
  fc.dictionary(key, fc.integer({ min: 0, max: 3 }), { maxKeys: 2 }),
);

function documentArb(topKeys: string[]): fc.Arbitrary<Json> {
  const inner = fc.dictionary(key, smallValue, { maxKeys: 3 });
  return fc.dictionary(fc.constantFrom(...topKeys), fc.oneof(smallValue, inner), { maxKeys: 3 });
}

function opArb(topKeys: string[], withRules: boolean): fc.Arbitrary<Op> {
  const path = fc
    .tuple(fc.constantFrom(...topKeys), fc.array(key, { maxLength: 2 }))
    .map(([top, rest]) => [top, ...rest]);
  const generic: Array<fc.Arbitrary<Op>> = [
    fc.record({ kind: fc.constant("set" as const), path, value: smallValue }),
    fc.record({ kind: fc.constant("delete" as const), path }),
  ];
  if (!withRules) return fc.oneof(...generic);
  const id = fc.constantFrom("r1", "r2", "r3", "r4");
  return fc.oneof(
    ...generic,
    fc.record({
      kind: fc.constant("addRecord" as const),
      list: fc.constant("log"),
      id,
      ts: fc.integer({ min: 0, max: 5 }),
      text: fc.constantFrom("hi", "yo"),
    }),
    fc.record({ kind: fc.constant("deleteRecord" as const), list: fc.constant("log"), id }),
    fc.record({
      kind: fc.constant("bump" as const),
      counter: fc.tuple(fc.constant("count"), key),
      delta: fc.integer({ min: -2, max: 3 }),
    }),
  );
}

function scenarioArb(withRules: boolean) {
  const topKeys = withRules ? ["a", "b", "log", "count"] : ["a", "b", "c"];
  return fc.record({
    initial: documentArb(topKeys),
    skews: fc.array(fc.integer({ min: -HOUR, max: HOUR }), { minLength: 3, maxLength: 5 }),
    steps: fc.array(
      fc.oneof(
        {
          weight: 5,
          arbitrary: fc.record({
            kind: fc.constant("edit" as const),
            replica: fc.nat(4),
            op: opArb(topKeys, withRules),
          }),
        },
        {
          weight: 1,
          arbitrary: fc.record({
            kind: fc.constant("python" as const),
            replica: fc.nat(4),
            op: opArb(topKeys, withRules),
          }),
        },
        { weight: 3, arbitrary: fc.record({ kind: fc.constant("sync" as const), from: fc.nat(4), to: fc.nat(4) }) },
        {
          weight: 1,
          arbitrary: fc.record({ kind: fc.constant("wait" as const), ms: fc.integer({ min: 0, max: 2000 }) }),
        },
      ) as fc.Arbitrary<Step>,
      { maxLength: MAX_STEPS },
    ),
    finalOrder: fc.array(fc.nat(4), { minLength: 5, maxLength: 5 }),
  });
}

/** Data (objects compared regardless of key order) and clocks, as one comparable string. */
function fingerprint(s: Stamped): string {
  return `${canonicalJson(s.data)} ${canonicalJson(s.clocks)}`;
}

/** Spreads every state to every replica: along a random chain, then back along it. */
function syncAll(sim: Simulation, order: number[]): void {
  const n = sim.states.length;
  const chain = [...new Set([...order.map((i) => i % n), ...Array.from({ length: n }, (_, i) => i)])];
  for (let i = 1; i < chain.length; i++) sim.sync(chain[i - 1]!, chain[i]!);
  for (let i = chain.length - 1; i > 0; i--) sim.sync(chain[i]!, chain[i - 1]!);
}

function checkScenario(rules: MergeRules, withRules: boolean) {
  return fc.property(scenarioArb(withRules), ({ initial, skews, steps, finalOrder }) => {
    const sim = new Simulation(initial, skews, rules);
    for (const step of steps) sim.run(step);
    const before = [...sim.states];
    syncAll(sim, finalOrder);

    // Every replica ends identical.
    const expected = fingerprint(sim.states[0]!);
    for (const state of sim.states) expect(fingerprint(state)).toBe(expected);

    // Folding the pre-sync states in another order gives the same result (associativity).
    const folded = [...before].reverse().reduce((acc, s) => merge(null, acc, s, rules));
    expect(fingerprint(folded)).toBe(expected);

    // No acknowledged edit is lost: each is present, or a later edit of the same node, above or below it, replaced it.
    const data = sim.states[0]!.data;
    for (const edit of sim.log) {
      if (!editSurvives(edit, data, sim.log)) {
        throw new Error(`lost edit ${JSON.stringify(edit)}; converged to ${JSON.stringify(data)}`);
      }
    }
    if (withRules) expectRecordsInTimeOrder(data);
  });
}

function expectRecordsInTimeOrder(data: Json): void {
  const log = typeof data === "object" && data !== null && !Array.isArray(data) ? data["log"] : undefined;
  if (log === undefined || !isRecordList(log)) return;
  const times = log.map((r) => recordTime(r, 0));
  expect(times).toEqual([...times].sort((x, y) => x - y));
}

describe("merge properties (fast-check)", () => {
  test("3 to 5 replicas with clocks skewed up to ±1 h converge after random edits, Python uploads and syncs, losing no acknowledged edit", () => {
    fc.assert(checkScenario(PLAIN, false), { numRuns: NUM_RUNS, seed: SEED + 1 });
  });

  test("replicas converge with append and max rules, losing no record or counter increment", () => {
    fc.assert(checkScenario(WITH_RULES, true), { numRuns: NUM_RUNS, seed: SEED + 2 });
  });

  test("merge is commutative and idempotent on states reached by random histories", () => {
    const arb = fc.tuple(scenarioArb(true), fc.nat(4), fc.nat(4));
    fc.assert(
      fc.property(arb, ([{ initial, skews, steps }, i, j]) => {
        const sim = new Simulation(initial, skews, WITH_RULES);
        for (const step of steps) sim.run(step);
        const x = sim.states[i % sim.states.length]!;
        const y = sim.states[j % sim.states.length]!;
        expect(fingerprint(merge(null, x, y, WITH_RULES))).toBe(fingerprint(merge(null, y, x, WITH_RULES)));
        expect(fingerprint(merge(null, x, x, WITH_RULES))).toBe(fingerprint(x));
        const xy = merge(null, x, y, WITH_RULES);
        expect(fingerprint(merge(null, xy, y, WITH_RULES))).toBe(fingerprint(xy));
      }),
      { numRuns: NUM_RUNS, seed: SEED + 3 },
    );
  });
});
