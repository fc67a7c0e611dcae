/** Renders bench rows as the stdout table and as the `bench/results.json` document (README, Performance). */

import type { BenchRow } from "./rows.ts";

export interface ResultsMeta {
  date: string;
  node: string;
  cpus: number;
  seconds: number;
}

export interface ResultsDocument {
  rows: BenchRow[];
  meta: ResultsMeta;
}

/** Whether a row reaches its target: null when it has none or no ratio to judge. */
export function meetsTarget(row: BenchRow): boolean | null {
  if (row.target === undefined || row.ratio === null) return null;
  return row.better === "higher" ? row.ratio >= row.target : row.ratio <= row.target;
}

/** The results document with the field order; `target` stays absent where there is none. */
export function toResultsDocument(rows: readonly BenchRow[], meta: ResultsMeta): ResultsDocument {
  return {
    rows: rows.map((r) => ({
      id: r.id,
      value: r.value,
      unit: r.unit,
      baseline: r.baseline,
      ratio: r.ratio === null ? null : Number(r.ratio.toPrecision(4)),
      ...(r.target === undefined ? {} : { target: r.target }),
      better: r.better,
      ...(r.note === undefined ? {} : { note: r.note }),
      ...(r.missing === undefined ? {} : { missing: r.missing }),
    })),
    meta,
  };
}

/** A fixed-width text table: one line per row, with a verdict column and any note or missing reason. */
export function formatTable(rows: readonly BenchRow[]): string {
  const header = ["id", "value", "unit", "baseline", "ratio", "target", "ok", "note"];
  const lines = rows.map((r) => {
    const verdict = meetsTarget(r);
    return [
      r.id,
      r.value === null ? "—" : formatNumber(r.value),
      r.unit,
      r.baseline === null ? "—" : formatNumber(r.baseline),
      r.ratio === null ? "—" : formatNumber(r.ratio),
      r.target === undefined ? "" : `${r.better === "higher" ? "≥" : "≤"} ${r.target}`,
      verdict === null ? (r.missing === undefined ? "" : "missing") : verdict ? "yes" : "NO",
      r.missing ?? r.note ?? "",
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  // The note column is last and left unpadded so long reasons do not widen every line.
  const render = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [render(header), render(widths.map((w) => "-".repeat(w))), ...lines.map(render)].join("\n");
}

/** Three significant digits, without exponent notation for the ranges benches produce. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  if (abs >= 1000) return Math.round(x).toString();
  if (abs === 0) return "0";
  const digits = Math.max(0, 2 - Math.floor(Math.log10(abs)));
  return x.toFixed(Math.min(digits, 6));
}
