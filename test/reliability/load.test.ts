/**
 * The load soak in short form (scripts/soak.ts runs the long one: 50 devices for 60 s): ten devices
 * of two users for five seconds against the local Worker. No request fails except by a lost race
 * or a rate limit, every device converges, and every stored version decrypts. No timing is asserted.
 */
import { describe, expect, it } from "vitest";
import { runSoak } from "../../scripts/soak.ts";

describe("ten devices syncing at once for five seconds", () => {
  it("see no errors but rate limits, converge and leave only tokens that decrypt", async () => {
    const report = await runSoak({ devices: 10, seconds: 5, seed: 0x10ad });
    expect(report.requests).toBeGreaterThan(0);
    expect([report.errors, report.byStatus]).toEqual([0, report.byStatus]);
    expect(
      Object.keys(report.failedOperations).filter((code) => code !== "conflict" && code !== "rate_limited"),
    ).toEqual([]);
    expect(report.converged).toBe(true);
    expect(report.versionsDecrypted).toBeGreaterThan(0);
  });
});
