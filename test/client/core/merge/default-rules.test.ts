/** Project-AI's default rules per well-known document, and the checks on rules that come from outside. */
import { describe, expect, it } from "vitest";
import { HybridLogicalClock, type Json, type MergeRules } from "../../../../client/core/index.ts";
import { latestClock, merge, stamp } from "../../../../client/core/merge/merge.ts";
import {
  checkMergeRules,
  defaultRulesFor,
  PROJECT_AI_DOCUMENT_RULES,
  PROJECT_AI_RULES,
} from "../../../../client/core/merge/rules.ts";

const T0 = Date.UTC(2025, 0, 1, 10, 0, 0);

/** Two devices that synced `data`, each appending to it, then merged both ways. */
function appendOnBoth(data: Json, rules: MergeRules, edit: (data: Json, who: string) => Json): Json {
  const a = new HybridLogicalClock("device-a", { now: () => T0 });
  const b = new HybridLogicalClock("device-b", { now: () => T0 });
  const base = stamp(null, data, a.tick(), rules);
  b.observe(latestClock(base));
  const x = stamp(base, edit(structuredClone(data), "a"), a.tick(), rules);
  const y = stamp(base, edit(structuredClone(data), "b"), b.tick(), rules);
  const xy = merge(base, x, y, rules);
  expect(merge(base, y, x, rules).data).toEqual(xy.data);
  return xy.data;
}

const turn = (id: string, second: number) => ({ id, role: "user", content: id, timestamp: T0 / 1000 + second });

describe("PROJECT_AI_DOCUMENT_RULES", () => {
  it("gives each named document the default document's rules for the section of the same name", () => {
    expect(PROJECT_AI_DOCUMENT_RULES).toEqual({
      default: PROJECT_AI_RULES,
      conversation_history: { "": "append" },
      memory: { "/conversations": "append", "/conversation_history": "append", "/knowledge_base/*": "append" },
      learning: { "/completed_courses": "append", "/progress/*": "max" },
      learning_progress: { "/completed_courses": "append", "/progress/*": "max" },
      ai_persona: { "/interaction_count": "max", "/total_interactions": "max" },
    });
  });

  it("leaves preferences and documents it does not know last-writer-wins everywhere", () => {
    expect(defaultRulesFor("preferences")).toEqual({});
    expect(defaultRulesFor("notes")).toEqual({});
    expect(defaultRulesFor("toString")).toEqual({});
    expect(defaultRulesFor("default")).toBe(PROJECT_AI_RULES);
  });

  it("keeps the turns two devices appended to the memory document at once, in time order", () => {
    const memory = { conversations: [turn("t1", 1)], preferences_seen: true };
    const merged = appendOnBoth(memory, defaultRulesFor("memory"), (data, who) => {
      (data as { conversations: Json[] }).conversations.push(turn(who, who === "a" ? 3 : 2));
      return data;
    });
    expect(merged).toEqual({ conversations: [turn("t1", 1), turn("b", 2), turn("a", 3)], preferences_seen: true });
  });

  it("merges a conversation_history document, a list of turns at its root, as records", () => {
    const merged = appendOnBoth([turn("t1", 1)], defaultRulesFor("conversation_history"), (data, who) => [
      ...(data as Json[]),
      turn(who, who === "a" ? 2 : 3),
    ]);
    expect(merged).toEqual([turn("t1", 1), turn("a", 2), turn("b", 3)]);
  });

  it("never lowers a learning document's progress counter", () => {
    const merged = appendOnBoth({ progress: { algebra: 3 } }, defaultRulesFor("learning"), (_data, who) => ({
      progress: { algebra: who === "a" ? 5 : 4 },
    }));
    expect(merged).toEqual({ progress: { algebra: 5 } });
  });
});

describe("checkMergeRules", () => {
  it("returns rules whose paths are JSON pointers and whose rules are lww, append or max", () => {
    const rules = { "": "lww", "/turns": "append", "/progress/*": "max", "/a~0b/c~1d": "lww" };
    expect(checkMergeRules(rules)).toBe(rules);
  });

  it("refuses anything else with a TypeError naming the first problem", () => {
    expect(() => checkMergeRules([])).toThrow(/must be a JSON object/);
    expect(() => checkMergeRules("x")).toThrow(TypeError);
    expect(() => checkMergeRules({ "/t": "LWW" })).toThrow('merge rule for "/t" must be lww, append or max, got "LWW"');
    expect(() => checkMergeRules({ t: "lww" })).toThrow(/merge rule path "t" is not a JSON pointer/);
    expect(() => checkMergeRules({ "/t~": "lww" })).toThrow(/merge rule path "\/t~" is not a JSON pointer/);
  });
});
