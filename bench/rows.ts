/**
 * The shape of one benchmark result row, shared by every bench group (crypto, server, wire,
 * latency, scale, design) and by the runner that prints the table and writes bench/results.json.
 */

export interface BenchRow {
  /** Starts with its group: `crypto.`, `server.`, `wire.`, `latency.`, `scale.`, `design.`. */
  id: string;
  /** The measurement, or null when it could not be taken (then `missing` says why). */
  value: number | null;
  unit: string;
  /** The side-by-side reference measured in the same run, or null when there is none. */
  baseline: number | null;
  /** value / baseline, or null when either is missing. */
  ratio: number | null;
  /** The ratio this row must reach; omitted where there is no target. */
  target?: number;
  better: "higher" | "lower";
  note?: string;
  /** Why the row has no value (a peer that cannot run): reported, never dropped. */
  missing?: string;
}

/** Builds a row, computing `ratio` from value and baseline. */
export function row(fields: Omit<BenchRow, "ratio">): BenchRow {
  const { value, baseline } = fields;
  const ratio = value !== null && baseline !== null && baseline !== 0 ? value / baseline : null;
  return { ...fields, ratio };
}

/** A row for a measurement that could not run, with the reason. */
export function missingRow(
  id: string,
  unit: string,
  better: BenchRow["better"],
  reason: string,
  target?: number,
): BenchRow {
  return {
    id,
    value: null,
    unit,
    baseline: null,
    ratio: null,
    better,
    missing: reason,
    ...(target === undefined ? {} : { target }),
  };
}
