/** Merge rules: which paths of a document merge as appended records or as never-decreasing counters instead of last-writer-wins. */

import { splitPath } from "./json-path.ts";

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
 * Defaults for the default document's Project-AI shape (the seed's CLOUD_SYNC.md: AI persona,
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

const RULES: ReadonlySet<string> = new Set(["lww", "append", "max"]);

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
