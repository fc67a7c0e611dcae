/** The dashboard's line diff, on its own (pure TypeScript, no DOM). */
import { describe, expect, it } from "vitest";
import { lineDiff, MAX_DIFF_LINES } from "../../app/line-diff.ts";

const render = (lines: ReturnType<typeof lineDiff>) =>
  lines?.map((l) => `${l.kind === "added" ? "+" : l.kind === "removed" ? "-" : " "}${l.text}`);

describe("lineDiff", () => {
  it("marks a changed line as removed then added between kept lines", () => {
    expect(render(lineDiff("a\nb\nc", "a\nx\nc"))).toEqual([" a", "-b", "+x", " c"]);
  });

  it("keeps the longest common subsequence when lines move", () => {
    expect(render(lineDiff("a\nb\nc\nd", "b\nc\nd\na"))).toEqual(["-a", " b", " c", " d", "+a"]);
  });

  it("reports identical texts as all kept", () => {
    expect(lineDiff("x\ny", "x\ny")?.every((l) => l.kind === "same")).toBe(true);
  });

  it("treats an empty text as one empty line", () => {
    expect(render(lineDiff("", "a\nb"))).toEqual(["-", "+a", "+b"]);
  });

  it("declines texts longer than the limit instead of building a huge table", () => {
    const long = Array.from({ length: MAX_DIFF_LINES + 1 }, (_, i) => String(i)).join("\n");
    expect(lineDiff(long, "a")).toBeNull();
  });

  it("reconstructs both sides from its output", () => {
    const before = "one\ntwo\nthree\nfour\nfive";
    const after = "zero\none\nthree\nfour\n4.5\nfive";
    const diff = lineDiff(before, after) ?? [];
    expect(
      diff
        .filter((l) => l.kind !== "added")
        .map((l) => l.text)
        .join("\n"),
    ).toBe(before);
    expect(
      diff
        .filter((l) => l.kind !== "removed")
        .map((l) => l.text)
        .join("\n"),
    ).toBe(after);
  });
});
