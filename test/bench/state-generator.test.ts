import { describe, expect, it } from "vitest";
import { splitState } from "../../bench/document-device.ts";
import { generateState, withOnePreferenceChanged } from "../../bench/state-generator.ts";

const size = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

describe("the bench's Project-AI state generator", () => {
  it("generates the same state for the same seed and size", () => {
    expect(JSON.stringify(generateState({ bytes: 200_000, seed: 3 }))).toBe(
      JSON.stringify(generateState({ bytes: 200_000, seed: 3 })),
    );
  });

  it("generates a different state for a different seed", () => {
    expect(JSON.stringify(generateState({ bytes: 50_000, seed: 3 }))).not.toBe(
      JSON.stringify(generateState({ bytes: 50_000, seed: 4 })),
    );
  });

  it("reaches the requested JSON size, overshooting by less than one turn", () => {
    for (const bytes of [50_000, 300_000, 1_000_000]) {
      const actual = size(generateState({ bytes, seed: 1 }));
      expect(actual).toBeGreaterThanOrEqual(bytes);
      expect(actual - bytes).toBeLessThan(2_000);
    }
  });

  it("holds preferences, a persona, learning progress and thousands of conversation turns at 1 MB", () => {
    const state = generateState({ bytes: 1_000_000 });
    const turns = state.memory.conversations.flatMap((c) => c.turns);
    expect(Object.keys(state.preferences)).toContain("theme");
    expect(state.ai_persona).toHaveProperty("personality.curiosity");
    expect(Object.keys(state.learning.topics).length).toBeGreaterThan(5);
    expect(turns.length).toBeGreaterThan(2_000);
    expect(state.ai_persona["interaction_count"]).toBe(turns.length);
    expect(new Set(turns.map((t) => t.role))).toEqual(new Set(["user", "assistant"]));
  });

  it("changes exactly one preference and nothing else", () => {
    const state = generateState({ bytes: 20_000 });
    const changed = withOnePreferenceChanged(state);
    expect(changed.preferences["theme"]).not.toBe(state.preferences["theme"]);
    expect({ ...changed, preferences: { ...changed.preferences, theme: state.preferences["theme"] } }).toEqual(state);
  });

  it("rejects a size under 4 KiB with a RangeError", () => {
    expect(() => generateState({ bytes: 100 })).toThrow(RangeError);
  });

  it("splits a state into one document per top-level object, with valid document names", () => {
    const docs = splitState(generateState({ bytes: 20_000 }));
    expect([...docs.keys()].sort()).toEqual(["ai-persona", "learning", "memory", "meta", "preferences"]);
    for (const name of docs.keys()) expect(name).toMatch(/^[a-z0-9][a-z0-9._-]{0,63}$/);
    expect(docs.get("meta")).toHaveProperty("timestamp");
  });
});
