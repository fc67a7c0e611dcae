import { describe, expect, it } from "vitest";
import { clockReport, ServerClock } from "../../../../client/core/sync/clock-skew.ts";
import { emptyUserMeta } from "../../../../client/core/sync/state.ts";

describe("ServerClock", () => {
  it("measures the local clock against the server's whole-second Date", () => {
    const clock = new ServerClock(null);
    expect(clock.snapshot()).toBeNull();
    clock.observe(Date.UTC(2025, 0, 1, 10), Date.UTC(2025, 0, 1, 10, 5, 0, 500));
    expect(clock.snapshot()).toEqual({ skewMs: 300_000, at: "2025-01-01T10:05:00.500Z" });
  });

  it("corrects the HLC only beyond the noise of whole-second dates", () => {
    const clock = new ServerClock({ skewMs: 1500, at: "x" });
    expect(clock.offsetMs()).toBe(0);
    clock.observe(0, 90_500);
    expect(clock.offsetMs()).toBe(-90_000);
  });
});

describe("clockReport", () => {
  it("names every device off by more than a minute, this one included, and no other", () => {
    const meta = emptyUserMeta();
    meta.names = { phone: "Phone", python: "Old laptop" };
    meta.peers = {
      phone: { skewMs: -61_000, at: "t1" },
      python: { skewMs: 59_000, at: "t2" },
      laptop: { skewMs: 999_000, at: "t3" },
    };
    const report = clockReport("laptop", "Laptop", { skewMs: 120_400, at: "t0" }, meta);
    expect(report.thisDevice).toEqual({ skewSeconds: 120, checkedAt: "t0" });
    expect(report.offByMoreThanAMinute).toEqual([
      { deviceId: "laptop", name: "Laptop", skewSeconds: 120, thisDevice: true, observedAt: "t0" },
      { deviceId: "phone", name: "Phone", skewSeconds: -61, thisDevice: false, observedAt: "t1" },
    ]);
  });

  it("reports nothing before the first answer from the server", () => {
    expect(clockReport("laptop", null, null, emptyUserMeta())).toEqual({ thisDevice: null, offByMoreThanAMinute: [] });
  });
});
