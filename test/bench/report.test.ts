import { describe, expect, it } from "vitest";
import { formatTable, meetsTarget, toResultsDocument } from "../../bench/report.ts";
import { missingRow, row } from "../../bench/rows.ts";
import { pythonJsonDumps } from "../../bench/seed-protocol.ts";

const meta = { date: "2026-01-01T00:00:00.000Z", node: "v22", cpus: 2, seconds: 1 };

describe("bench rows and the results writer", () => {
  it("computes the ratio as value over baseline, and null when either is missing", () => {
    expect(row({ id: "x.a", value: 30, unit: "MB/s", baseline: 40, better: "higher" }).ratio).toBe(0.75);
    expect(row({ id: "x.b", value: 30, unit: "MB/s", baseline: null, better: "higher" }).ratio).toBeNull();
    expect(row({ id: "x.c", value: null, unit: "MB/s", baseline: 40, better: "higher" }).ratio).toBeNull();
  });

  it("judges a target by the row's direction", () => {
    expect(meetsTarget(row({ id: "x.a", value: 7, unit: "", baseline: 10, target: 0.6, better: "higher" }))).toBe(true);
    expect(meetsTarget(row({ id: "x.b", value: 5, unit: "", baseline: 10, target: 0.6, better: "higher" }))).toBe(
      false,
    );
    expect(meetsTarget(row({ id: "x.c", value: 5, unit: "", baseline: 10, target: 0.4, better: "lower" }))).toBe(false);
    expect(meetsTarget(row({ id: "x.d", value: 5, unit: "", baseline: 10, better: "lower" }))).toBeNull();
  });

  it("writes the issue's schema, leaving target out where there is none and keeping missing rows", () => {
    const doc = toResultsDocument(
      [
        row({
          id: "wire.ours.full-push.1mb",
          value: 330_000,
          unit: "bytes",
          baseline: 1_000_000,
          target: 0.4,
          better: "lower",
        }),
        row({ id: "server.r2-read.1k.c16.rps", value: 900, unit: "req/s", baseline: 1000, better: "higher" }),
        missingRow("crypto.python.encrypt.1k", "MB/s", "higher", "python3 not found"),
      ],
      meta,
    );
    const parsed = JSON.parse(JSON.stringify(doc)) as typeof doc;
    expect(Object.keys(parsed)).toEqual(["rows", "meta"]);
    expect(Object.keys(parsed.rows[0]!)).toEqual(["id", "value", "unit", "baseline", "ratio", "target", "better"]);
    expect(parsed.rows[0]!.ratio).toBe(0.33);
    expect(parsed.rows[1]).not.toHaveProperty("target");
    expect(parsed.rows[2]).toMatchObject({ value: null, ratio: null, missing: "python3 not found" });
  });

  it("prints every row in the table, with its verdict or why it is missing", () => {
    const table = formatTable([
      row({
        id: "server.download.1k.c16.rps",
        value: 500,
        unit: "req/s",
        baseline: 1000,
        target: 0.6,
        better: "higher",
      }),
      missingRow("latency.all", "", "higher", "bench/latency.ts is not there"),
    ]);
    const lines = table.split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/^server\.download\.1k\.c16\.rps\s+500\s+req\/s\s+1000\s+0\.500\s+≥ 0\.6\s+NO/);
    expect(lines[3]).toMatch(/^latency\.all .*missing\s+bench\/latency\.ts is not there$/);
  });
});

describe("the Python module's json.dumps", () => {
  it("writes Python's separators and ASCII escapes", () => {
    expect(pythonJsonDumps({ a: [1, "é"], b: { c: null, d: true } })).toBe(
      '{"a": [1, "\\u00e9"], "b": {"c": null, "d": true}}',
    );
  });
});
