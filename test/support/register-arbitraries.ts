/**
 * fast-check arbitraries for the register model's properties (register-writes, undo-writes): small
 * JSON values over a few keys, so generated edits collide on the same paths often.
 */
import fc from "fast-check";
import type { Json } from "../../client/core/merge/json-value.ts";
import type { MergeRules } from "../../client/core/merge/merge.ts";

/** An append list at /log and max counters under /count. */
export const RULES: MergeRules = { "/log": "append", "/count/*": "max" };
export const key = fc.constantFrom("a", "b", "c", "log", "count");
export const leaf: fc.Arbitrary<Json> = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom("x", "y", null, true),
);
export const value: fc.Arbitrary<Json> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: "small" },
    leaf,
    fc.array(tie("node"), { maxLength: 3 }),
    fc.dictionary(key, tie("node"), { maxKeys: 3 }),
  ),
})).node as fc.Arbitrary<Json>;
