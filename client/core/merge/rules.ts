/** Merge rules: which paths of a document merge as appended records or as never-decreasing counters instead of last-writer-wins. */

import { escapeSegment, splitPath } from "./json-path.ts";

/**
 * - `lww`: the later write by HLC wins (the default for every path).
 * - `append`: the value is a list of records, objects with a unique string or number `id`; two lists
 *   merge as the union by id, ordered by each record's own time. A record is replaced whole, by clock.
 * - `max`: a number that never goes back: two numbers merge to the larger, and once a path holds a
 *   number no merge lowers or removes it, not a deletion or non-number written there, nor the
 *   deletion of an object above it. Use it for counters that only grow; it makes them permanent.
 */
export type MergeRule = "lww" | "append" | "max";

/** Path patterns (JSON pointer; `*` matches exactly one segment) mapped to rules. */
export type MergeRules = Record<string, MergeRule>;

/**
 * Defaults for the default document's Project-AI shape (docs/PYTHON-DEVICES.md: AI persona,
 * memory with conversation history and knowledge, user preferences, learning progress):
 * conversation turns and learned items are records that both devices may add to, and progress
 * counters only grow. Everything else (preferences, persona traits) is last-writer-wins per key.
 */
export const PROJECT_AI_RULES: MergeRules = Object.freeze({
  "/conversation_history": "append",
  "/memory/conversations": "append",
  "/memory/conversation_history": "append",
  "/memory/knowledge_base/*": "append",
  "/learning/completed_courses": "append",
  "/learning_progress/completed_courses": "append",
  "/learning/progress/*": "max",
  "/learning_progress/progress/*": "max",
  "/ai_persona/interaction_count": "max",
  "/ai_persona/total_interactions": "max",
});

/**
 * Project-AI's state split into named documents, one per top-level section of the default
 * document, merges by the same rules as the default document does: each section's rules from
 * PROJECT_AI_RULES, re-rooted at the document. `conversation_history` is a document holding the
 * turn list itself. A document not named here (`preferences` among them) is last-writer-wins per key.
 */
export const PROJECT_AI_DOCUMENT_RULES: Readonly<Record<string, MergeRules>> = Object.freeze({
  default: PROJECT_AI_RULES,
  ...sectionRules(PROJECT_AI_RULES),
});

/**
 * The rules a document merges by when neither this device nor the document declares any.
 *
 * @example defaultRulesFor("memory") // { "/conversations": "append", ... }
 */
export function defaultRulesFor(doc: string): MergeRules {
  return Object.hasOwn(PROJECT_AI_DOCUMENT_RULES, doc) ? PROJECT_AI_DOCUMENT_RULES[doc]! : {};
}

function sectionRules(rules: MergeRules): Record<string, MergeRules> {
  const out: Record<string, MergeRules> = {};
  for (const [pattern, rule] of Object.entries(rules)) {
    const [section, ...rest] = splitPath(pattern) ?? [];
    if (section === undefined || section === "*") continue;
    out[section] ??= {};
    out[section][rest.map((s) => `/${escapeSegment(s)}`).join("")] = rule;
  }
  for (const doc of Object.keys(out)) Object.freeze(out[doc]);
  return out;
}

const RULES: ReadonlySet<string> = new Set(["lww", "append", "max"]);

/** RFC 6901: `~` only as `~0` or `~1`. */
const POINTER = /^(?:\/(?:[^~/]|~[01])*)*$/;

/**
 * Checks merge rules that come from outside the program (a rules file, another device's
 * envelope): an object of JSON-pointer patterns to `lww`, `append` or `max`. Throws a TypeError
 * naming the first problem.
 *
 * @example checkMergeRules(JSON.parse(text)) // { "/turns": "append" }
 */
export function checkMergeRules(value: unknown): MergeRules {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new TypeError("merge rules must be a JSON object of path patterns to rules");
  for (const [pattern, rule] of Object.entries(value)) {
    if (!POINTER.test(pattern))
      throw new TypeError(
        `merge rule path ${JSON.stringify(pattern)} is not a JSON pointer ("" or "/a/b", with ~0 and ~1 the only escapes; * matches one segment)`,
      );
    if (typeof rule !== "string" || !RULES.has(rule))
      throw new TypeError(
        `merge rule for ${JSON.stringify(pattern)} must be lww, append or max, got ${JSON.stringify(rule)}`,
      );
  }
  return value as MergeRules;
}

/** True when `value` passes `checkMergeRules`. */
export function isMergeRules(value: unknown): value is MergeRules {
  try {
    checkMergeRules(value);
    return true;
  } catch {
    return false;
  }
}

interface CompiledRule {
  segments: string[];
  wildcards: number;
  pattern: string;
  rule: MergeRule;
}

/** Rules compiled once per merge; `ruleAt` answers for a path given as segments. */
export class RuleBook {
  readonly #byLength = new Map<number, CompiledRule[]>();

  constructor(rules: MergeRules = {}) {
    for (const [pattern, rule] of Object.entries(rules)) {
      const segments = splitPath(pattern);
      if (segments === undefined)
        throw new TypeError(`merge rule path must be "" or start with "/": ${JSON.stringify(pattern)}`);
      if (!RULES.has(rule))
        throw new TypeError(`merge rule for ${pattern} must be lww, append or max, got ${JSON.stringify(rule)}`);
      const compiled = { segments, wildcards: segments.filter((s) => s === "*").length, pattern, rule };
      const list = this.#byLength.get(segments.length) ?? [];
      list.push(compiled);
      this.#byLength.set(segments.length, list);
    }
    // The most specific pattern (fewest wildcards) decides; equal ones by pattern text, so the order rules were written in never matters.
    for (const list of this.#byLength.values()) {
      list.sort((a, b) => a.wildcards - b.wildcards || (a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : 0));
    }
  }

  ruleAt(segments: readonly string[]): MergeRule {
    const candidates = this.#byLength.get(segments.length);
    if (!candidates) return "lww";
    for (const candidate of candidates) {
      if (candidate.segments.every((s, i) => s === "*" || s === segments[i])) return candidate.rule;
    }
    return "lww";
  }
}
