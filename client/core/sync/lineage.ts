/**
 * How a document's states came to be from one another by register writes, so the device's store
 * can save a state as the writes since its last save (state-journal.ts) instead of the whole
 * state. A state is a `Stamped` object; it is derived from another either in place (the object
 * itself took the writes) or as a new object. Only derivations made through `applyTracked` are
 * known: any other state is new content, and its save is a whole checkpoint.
 */
import { applyWrites, applyWritesInPlace, type RegisterWrite } from "../merge/register-writes.ts";
import type { MergeRules, Stamped } from "../merge/merge.ts";

/** One batch of writes joined into a state, with the rules it was joined by. */
export interface Step {
  writes: readonly RegisterWrite[];
  rules: MergeRules;
}

interface Lineage {
  /** The state this object was copied from, and how many of that state's own steps it had then. */
  parent: Stamped | null;
  parentSteps: number;
  /** Steps joined into this object: the first made it (when copied), the rest in place. */
  steps: Step[];
  /** How many of the earliest steps were dropped (`forgetBefore`): `steps[0]` is step number `dropped`. */
  dropped: number;
}

/** A state as a save left it: the object, and how many of its steps the save already held. */
export interface Point {
  state: Stamped;
  steps: number;
}

const lineages = new WeakMap<Stamped, Lineage>();

/** `writes` joined into `state`: in place when `inPlace` allows and the writes can be, else into a copy. */
export function applyTracked(
  state: Stamped,
  writes: readonly RegisterWrite[],
  rules: MergeRules,
  inPlace: boolean,
): Stamped {
  const step = { writes, rules };
  if (inPlace && applyWritesInPlace(state, writes, rules)) {
    const own = lineages.get(state);
    if (own === undefined) lineages.set(state, { parent: null, parentSteps: 0, steps: [step], dropped: 0 });
    else own.steps.push(step);
    return state;
  }
  const next = applyWrites(state, writes, rules);
  lineages.set(next, { parent: state, parentSteps: countOf(state), steps: [step], dropped: 0 });
  return next;
}

/** Where `state` stands now: a save of it holds all of its steps so far. */
export function pointOf(state: Stamped): Point {
  return { state, steps: countOf(state) };
}

function countOf(state: Stamped): number {
  const lineage = lineages.get(state);
  return lineage === undefined ? 0 : lineage.dropped + lineage.steps.length;
}

/** Steps `from - dropped` to `upto - dropped` of a lineage; null when some were dropped already. */
function stepsBetween(lineage: Lineage | undefined, from: number, upto: number): Step[] | null {
  if (lineage === undefined) return from === 0 && upto === 0 ? [] : null;
  if (from < lineage.dropped) return null;
  return lineage.steps.slice(from - lineage.dropped, upto - lineage.dropped);
}

/**
 * Drops the steps a save now holds, so a state changed in place for months does not keep every
 * write it ever took. A later `stepsSince` that would need them answers null (a whole save).
 */
export function forgetBefore(point: Point): void {
  const lineage = lineages.get(point.state);
  if (lineage === undefined || point.steps <= lineage.dropped) return;
  lineage.steps.splice(0, point.steps - lineage.dropped);
  lineage.dropped = point.steps;
}

/**
 * The steps that turn the state `from` marks into `state` as it is now, oldest first; null when
 * `state` does not descend from it by tracked writes (or `from`'s object changed in ways not tracked).
 */
export function stepsSince(state: Stamped, from: Point): Step[] | null {
  const later: Step[][] = [];
  let current = state;
  let upto = countOf(state);
  for (;;) {
    const lineage = lineages.get(current);
    if (current === from.state) {
      const own = upto < from.steps ? null : stepsBetween(lineage, from.steps, upto);
      return own === null ? null : [own, ...later.reverse()].flat();
    }
    if (lineage === undefined || lineage.parent === null) return null;
    const chunk = stepsBetween(lineage, 0, upto);
    if (chunk === null) return null;
    later.push(chunk);
    upto = lineage.parentSteps;
    current = lineage.parent;
  }
}

/** Replays `steps` onto `state` (a state no one else holds: it may be changed in place). */
export function replaySteps(state: Stamped, steps: readonly Step[]): Stamped {
  let current = state;
  for (const { writes, rules } of steps) current = applyTracked(current, writes, rules, true);
  return current;
}
