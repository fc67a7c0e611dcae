import { describe, expect, it } from "vitest";
import {
  changeKey,
  countR2Ops,
  decodeFrames,
  encodeFrames,
  frameSize,
  listStartAfter,
  mapBounded,
  parseChangeKey,
} from "../../bench/design-worker/change-log.ts";

describe("the design bench's change log", () => {
  it("keys changes so that R2's lexicographic order is the sequence order", () => {
    const keys = [2, 10, 1, 999_999].map((seq) => changeKey("alice", seq, "memory"));
    expect([...keys].sort()).toEqual([1, 2, 10, 999_999].map((seq) => changeKey("alice", seq, "memory")));
    expect(changeKey("alice", 7, "notes")).toBe("u/alice/c/000000000007/notes");
  });

  it("starts a listing after every document of the cursor's change and before the next change", () => {
    const after = listStartAfter("alice", 7);
    for (const doc of ["a", "default", "zz-z.9_"]) expect(changeKey("alice", 7, doc) < after).toBe(true);
    expect(changeKey("alice", 8, "0") > after).toBe(true);
    expect(listStartAfter("alice", 0) < changeKey("alice", 1, "0")).toBe(true);
  });

  it("refuses a sequence number or cursor outside what twelve digits hold", () => {
    expect(() => changeKey("alice", 0, "memory")).toThrow(new RangeError("sequence out of range: 0"));
    expect(() => changeKey("alice", 10 ** 12, "memory")).toThrow(RangeError);
    expect(() => listStartAfter("alice", -1)).toThrow(new RangeError("cursor out of range: -1"));
  });

  it("reads the sequence and document back from a key, and nothing from another user's or a malformed key", () => {
    expect(parseChangeKey("alice", changeKey("alice", 42, "memory"))).toEqual({ seq: 42, doc: "memory" });
    expect(parseChangeKey("bob", changeKey("alice", 42, "memory"))).toBeNull();
    expect(parseChangeKey("alice", "u/alice/c/42/memory")).toBeNull();
    expect(parseChangeKey("alice", "u/alice/c/000000000042/")).toBeNull();
  });

  it("frames changes so that decoding returns them in order, byte for byte", () => {
    const changes = [
      { seq: 1, doc: "memory", body: new Uint8Array([1, 2, 3]) },
      { seq: 2, doc: "default", body: new Uint8Array(0) },
      { seq: 300, doc: "notes", body: new Uint8Array(1000).fill(7) },
    ];
    const bytes = encodeFrames(changes);
    expect(bytes.length).toBe(changes.reduce((sum, c) => sum + frameSize(c.doc, c.body.length), 0));
    expect(decodeFrames(bytes)).toEqual(changes);
    expect(decodeFrames(encodeFrames([]))).toEqual([]);
  });

  it("refuses a truncated answer instead of returning the changes before the cut", () => {
    const bytes = encodeFrames([
      { seq: 1, doc: "memory", body: new Uint8Array(10) },
      { seq: 2, doc: "memory", body: new Uint8Array(10) },
    ]);
    expect(() => decodeFrames(bytes.subarray(0, bytes.length - 1))).toThrow(
      new RangeError(`truncated frame body at byte ${frameSize("memory", 10)}`),
    );
    expect(() => decodeFrames(bytes.subarray(0, 3))).toThrow(new RangeError("truncated frame header at byte 0"));
  });

  it("counts list and put as Class A, get and head as Class B, and delete as neither", () => {
    expect(countR2Ops([])).toEqual({ classA: 0, classB: 0 });
    expect(countR2Ops(["list", "get", "get", "put", "head", "delete"])).toEqual({ classA: 2, classB: 3 });
  });

  it("runs at most the given number of calls at once and keeps the items' order", async () => {
    let open = 0;
    let most = 0;
    const results = await mapBounded([5, 1, 4, 2, 3, 0, 6, 8, 7], 3, async (n) => {
      open++;
      most = Math.max(most, open);
      await new Promise((resolve) => setTimeout(resolve, n));
      open--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30, 0, 60, 80, 70]);
    expect(most).toBe(3);
    await expect(mapBounded([1], 0, async (n) => n)).rejects.toThrow(
      new RangeError("limit must be a positive integer: 0"),
    );
  });
});
