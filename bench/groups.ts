/** The bench groups `npm run bench` runs, in order: which module, which export, how long it may take. */

import type { BenchRow } from "./rows.ts";

export interface BenchGroup {
  name: "crypto" | "server" | "wire" | "changes" | "latency" | "scale" | "design";
  /** Module path relative to bench/. */
  file: string;
  exportName: string;
  /** Wall-clock budget; past it the group is stopped and reported missing. */
  timeoutMs: number;
}

export type GroupRunner = () => Promise<BenchRow[]>;

// A run takes about 8 minutes here (design adds 2); budgets are the ceilings, and the runner also caps the sum at 9.5 minutes.
export const GROUPS: readonly BenchGroup[] = [
  { name: "crypto", file: "crypto.ts", exportName: "runCryptoBench", timeoutMs: 150_000 },
  { name: "server", file: "server.ts", exportName: "runServerBench", timeoutMs: 380_000 },
  { name: "wire", file: "wire.ts", exportName: "runWireBench", timeoutMs: 60_000 },
  { name: "changes", file: "changes.ts", exportName: "runChangesBench", timeoutMs: 300_000 },
  { name: "latency", file: "latency.ts", exportName: "runLatencyBench", timeoutMs: 90_000 },
  { name: "scale", file: "scale.ts", exportName: "runScaleBench", timeoutMs: 120_000 },
  { name: "design", file: "design.ts", exportName: "runDesignBench", timeoutMs: 200_000 },
];
