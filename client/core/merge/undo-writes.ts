/**
 * What a change replaced, so a state can be taken back to the one before it: history rebuilt
 * backwards from a snapshot (docs/PROTOCOL.md "Retention"), which lets the server drop the whole
 * copy of the state a history window would otherwise keep beside the snapshot.
 *
 * A change's writes touch the registers at their paths (and, by the merge's rules, what lies
 * below them, or an ancestor that was absent or a scalar and becomes a container). So for each
 * write the undo names the highest such place, its "top", with every register the state held at
 * or below it (none when there was nothing). Restoring removes everything at or below each top and
 * puts those registers back: the registers elsewhere are the change's predecessor's already.
 */
import { compareHlc, MIN_HLC } from "./hlc.ts";
import { childPath, isPathWithin, splitPath } from "./json-path.ts";
import { orderLike, type Json } from "./json-value.ts";
import { diffValue, patchValue, type ValuePatch } from "./value-patch.ts";
import {
  expand,
  kindOfValue,
  materialize,
  nodeInfo,
  registerValue,
  type Register,
  type Registers,
  type Stamped,
} from "./registers.ts";
import { checkWrites, childOf, type RegisterWrite } from "./register-writes.ts";
import { RuleBook, type MergeRules } from "./rules.ts";
import { SyncError } from "../errors.ts";

/** One place a change wrote at or under, and the registers held there before it (`[]`: nothing). */
export type UndoEntry = [top: string, prior: RegisterWrite[]];

/** A prior leaf is kept as a patch of the value the change left when that is at most this share of it. */
const PATCH_SHARE = 0.5;

/**
 * The undo of `writes` joined into `before` (the state the change was written against). It costs
 * what the change touches: the walk goes down the written paths only.
 */
export function undoOf(before: Stamped, writes: readonly RegisterWrite[], rules: MergeRules): UndoEntry[] {
  const book = new RuleBook(rules);
  const tops = new Map<string, RegisterWrite | undefined>();
  for (const w of writes) {
    const top = topOf(before, w[0], book);
    // The write at a top is kept to undo a patch by a patch back; a second write there, which
    // patches what the first left, rules that out.
    tops.set(top, top === w[0] && !tops.has(top) ? w : undefined);
  }
  // A top under another is covered by it.
  const sorted = [...tops.keys()].sort();
  const kept = sorted.filter((t, i) => !sorted.slice(0, i).some((a) => isPathWithin(t, a)));
  return kept.map((top): UndoEntry => [top, priorRegisters(before, top, book, tops.get(top))]);
}

/** `after` taken back to the state before the change whose undo is `undo`. */
export function applyUndo(after: Stamped, undo: readonly UndoEntry[], rules: MergeRules): Stamped {
  const book = new RuleBook(rules);
  const regs = expand(after, book);
  for (const [top, prior] of undo) {
    const restored = prior.map((w) => registerOf(w, regs.get(w[0])));
    for (const path of [...regs.keys()]) if (path === top || isPathWithin(path, top)) regs.delete(path);
    for (const [path, reg] of restored) regs.set(path, reg);
  }
  const out = materialize(regs, book);
  return { data: orderLike(out.data, after.data), clocks: out.clocks };
}

/** Checks an undo read from a token; anything malformed is `invalid_payload`. */
export function checkUndo(value: unknown): UndoEntry[] {
  if (!Array.isArray(value))
    throw new SyncError("invalid_payload", "The change decrypted, but its undo is not a list.");
  for (const entry of value) {
    if (
      !Array.isArray(entry) ||
      entry.length !== 2 ||
      typeof entry[0] !== "string" ||
      splitPath(entry[0]) === undefined
    )
      throw new SyncError("invalid_payload", "The change decrypted, but an undo entry is not [path, registers].");
    checkWrites(entry[1]);
  }
  return value as UndoEntry[];
}

function registerOf(w: RegisterWrite, held: Register | undefined): [string, Register] {
  const [path, clock, kind] = w;
  if (kind === "patch") {
    return [path, { clock, kind: "leaf", value: patchValue(held?.kind === "leaf" ? held.value : undefined, w[3]) }];
  }
  return [path, { clock, kind, value: kind === "leaf" ? ((w[3] as Json | undefined) ?? null) : null }];
}

/** The highest place on `path` that is not a container in `before`: where the write's effect is contained. */
function topOf(before: Stamped, path: string, book: RuleBook): string {
  const segments = splitPath(path)!;
  let node: Json = before.data;
  let info = nodeInfo(book, [], undefined);
  let at = "";
  for (let i = 0; i < segments.length; i++) {
    if (info.atomic || kindOfValue(node, info) === "leaf") return at;
    const child = childOf(node, info, segments[i]!);
    at = childPath(at, segments[i]!);
    if (child === undefined) return at;
    info = nodeInfo(book, segments.slice(0, i + 1), info.rule);
    node = child;
  }
  return at;
}

/** Every register `before` holds at or below `top`, as `expand` would give them; a leaf the write patched as a patch back. */
function priorRegisters(
  before: Stamped,
  top: string,
  book: RuleBook,
  write: RegisterWrite | undefined,
): RegisterWrite[] {
  const clocks = before.clocks;
  const clockAt = (p: string, inherited: string) => (Object.hasOwn(clocks, p) ? clocks[p]! : inherited);
  const segments = splitPath(top)!;
  let node: Json | undefined = before.data;
  let info = nodeInfo(book, [], undefined);
  let parentRule: (typeof info)["rule"] | undefined;
  let at = "";
  let inherited = MIN_HLC;
  for (let i = 0; i < segments.length && node !== undefined; i++) {
    inherited = clockAt(at, inherited);
    parentRule = info.rule;
    node = childOf(node, info, segments[i]!);
    info = nodeInfo(book, segments.slice(0, i + 1), info.rule);
    at = childPath(at, segments[i]!);
  }
  const regs: Registers = new Map();
  if (node === undefined) {
    // Absent: at most a tombstone here (anything that survived below would keep it present).
    return Object.hasOwn(clocks, top) ? [[top, clocks[top]!, "tomb"]] : [];
  }
  const clockOf = (p: string) => (Object.hasOwn(clocks, p) ? clocks[p] : undefined);
  registerValue(
    regs,
    book,
    node,
    top,
    segments,
    segments.length === 0 ? undefined : parentRule,
    { clockOf },
    inherited,
  );
  if (kindOfValue(node, info) !== "leaf") {
    // Tombstones below a container: clock entries with no node.
    for (const p of Object.keys(clocks)) {
      if ((p === top || isPathWithin(p, top)) && !regs.has(p))
        regs.set(p, { clock: clocks[p]!, kind: "tomb", value: null });
    }
  }
  return [...regs].map(([p, r]): RegisterWrite => {
    if (r.kind !== "leaf") return [p, r.clock, r.kind];
    const back = write !== undefined && p === top ? patchBack(r, write) : null;
    return back === null ? [p, r.clock, "leaf", r.value] : [p, r.clock, "patch", back];
  });
}

/**
 * The prior leaf as a patch of the value the write leaves, when the write patched it and wins
 * (a later clock) and the patch is the smaller: a turn added to a long conversation undoes as
 * "drop the last turn", not the whole conversation again.
 */
function patchBack(prior: Register, write: RegisterWrite): ValuePatch | null {
  if (write[2] !== "patch" || compareHlc(write[1], prior.clock) <= 0) return null;
  let after: Json;
  try {
    after = patchValue(prior.value, write[3]);
  } catch {
    return null;
  }
  const back = diffValue(after, prior.value);
  if (back === null || JSON.stringify(back).length > JSON.stringify(prior.value).length * PATCH_SHARE) return null;
  return back;
}
