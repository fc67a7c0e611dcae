/** The seeded PRNG shared by the fault proxy, the crash tests and the bench's state generator. */
import { describe, expect, it } from "vitest";
import { seededRandom } from "../support/seeded-random.ts";

describe("seededRandom", () => {
  it("gives mulberry32's sequence, so a seed names the same run everywhere", () => {
    const random = seededRandom(1);
    expect([random(), random(), random()]).toEqual([0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
  });

  it("repeats for the same seed, differs for another, and stays in [0, 1)", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const fromA = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(fromA);
    expect(Array.from({ length: 1000 }, () => c())).not.toEqual(fromA);
    expect(fromA.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it("reads the seed as an unsigned 32-bit integer", () => {
    expect(seededRandom(2 ** 32 + 1)()).toBe(seededRandom(1)());
  });
});
