/**
 * scale.* rows: how the time of a full sync grows from 1 to 10 to 50 MB of state, and
 * the peak memory of the Worker (workerd's RSS from /proc) and of the client (a child process)
 * while syncing 50 MB.
 */

import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startWorkerServer } from "../test/support/worker-server.ts";
import { MB, descendantsNamed, peakResidentBytes, residentBytes, resetPeak } from "./proc-memory.ts";
import { row, type BenchRow } from "./rows.ts";
import type { ScaleClientReport } from "./scale-client.ts";

/** Sizes in MB and how many timed repeats each gets (the small one is noisiest). */
const RUNS = [
  { mb: 1, repeats: 3 },
  { mb: 10, repeats: 1 },
  { mb: 50, repeats: 1 },
] as const;
/** The target (README, Performance): time per MB at 50 MB over time per MB at 1 MB, 1.5 at most. */
const GROWTH_TARGET = 1.5;
/** A Worker gets 128 MB; "well inside" read as at most half of it for the sync's growth. */
const WORKER_LIMIT_MB = 128;
const WORKER_TARGET = 0.5;
const SAMPLE_MS = 20;
const PHASE_NOTES = { push: "device A uploading every document", pull: "new device B downloading them" } as const;

interface RunResult {
  mb: number;
  client: ScaleClientReport;
  workerIdleBytes: number | null;
  workerPeakBytes: number | null;
}

export async function runScaleBench(): Promise<BenchRow[]> {
  const server = await startWorkerServer({ vars: { RATE_LIMITS: "off" } });
  try {
    const workerd = descendantsNamed(process.pid, "workerd");
    const results: RunResult[] = [];
    for (const { mb, repeats } of RUNS) {
      console.error(`[scale] ${mb} MB`);
      results.push(await measureRun(server.url, workerd, mb, repeats));
    }
    return toRows(results, workerd.length);
  } finally {
    await server.stop();
  }
}

async function measureRun(origin: string, workerd: number[], mb: number, repeats: number): Promise<RunResult> {
  const total = (read: (pid: number) => number | null) => {
    const values = workerd.map(read);
    return values.length === 0 || values.some((v) => v === null) ? null : values.reduce((a: number, b) => a + b!, 0);
  };
  // The kernel's high-water mark catches peaks between samples; sampling covers systems where it cannot be reset.
  const canReset = workerd.length > 0 && workerd.every(resetPeak);
  const workerIdleBytes = total(residentBytes);
  let sampledPeak = workerIdleBytes ?? 0;
  const sampler = setInterval(() => (sampledPeak = Math.max(sampledPeak, total(residentBytes) ?? 0)), SAMPLE_MS);
  try {
    const client = await runClient(origin, mb, repeats);
    const hwm = canReset ? total(peakResidentBytes) : null;
    return {
      mb,
      client,
      workerIdleBytes,
      workerPeakBytes: workerIdleBytes === null ? null : Math.max(sampledPeak, hwm ?? 0),
    };
  } finally {
    clearInterval(sampler);
  }
}

function runClient(origin: string, mb: number, repeats: number): Promise<ScaleClientReport> {
  return new Promise((resolve, reject) => {
    const child = fork(
      fileURLToPath(new URL("scale-client.ts", import.meta.url)),
      [origin, String(mb), String(repeats)],
      {
        execArgv: [...process.execArgv, "--expose-gc"],
        stdio: ["ignore", 2, 2, "ipc"],
      },
    );
    let report: ScaleClientReport | undefined;
    child.on("message", (m) => (report = m as ScaleClientReport));
    child.on("error", reject);
    child.on("exit", (code) =>
      report ? resolve(report) : reject(new Error(`scale client for ${mb} MB exited with ${code}`)),
    );
  });
}

function secondsPerMb(r: RunResult): number {
  const sorted = [...r.client.syncMs].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return median / 1000 / (r.client.plaintextBytes / 1_000_000);
}

/** One appended record's sync against a full sync, and its peak heap against the state (README, Performance). */
const CHANGE_TIME_TARGET = 0.2;
const CHANGE_HEAP_TARGET = 2.5;

function toRows(results: RunResult[], workerdCount: number): BenchRow[] {
  const first = results[0]!;
  const last = results[results.length - 1]!;
  const rows = results.map((r) =>
    row({
      id: `scale.sync-time.${r.mb}mb`,
      value: secondsPerMb(r),
      unit: "s/MB",
      baseline: r === first ? null : secondsPerMb(first),
      better: "lower",
      ...(r === last ? { target: GROWTH_TARGET } : {}),
      note: `push by A + pull by new device B, median of ${r.client.syncMs.length}: ${r.client.syncMs.map((ms) => (ms / 1000).toFixed(2)).join(", ")} s`,
    }),
  );
  const mbOf = (bytes: number) => Math.round((bytes / MB) * 10) / 10;
  const stateMb = mbOf(last.client.plaintextBytes);
  if (last.workerPeakBytes === null || last.workerIdleBytes === null) {
    rows.push({
      id: `scale.worker.rss-growth.${last.mb}mb`,
      value: null,
      unit: "MB",
      baseline: WORKER_LIMIT_MB,
      ratio: null,
      target: WORKER_TARGET,
      better: "lower",
      missing: workerdCount === 0 ? "no workerd process found below the bench" : "/proc not readable",
    });
  } else {
    rows.push(
      row({
        id: `scale.worker.rss-growth.${last.mb}mb`,
        value: mbOf(last.workerPeakBytes - last.workerIdleBytes),
        unit: "MB",
        baseline: WORKER_LIMIT_MB,
        target: WORKER_TARGET,
        better: "lower",
        note: `${workerdCount} workerd process(es): peak RSS ${mbOf(last.workerPeakBytes)} MB over ${mbOf(last.workerIdleBytes)} MB idle, local R2 included; baseline = Worker memory limit`,
      }),
    );
  }
  const change = last.client.change;
  rows.push(
    row({
      id: `scale.change-sync-time.${last.mb}mb`,
      value: Math.round(change.ms),
      unit: "ms",
      baseline: Math.round(change.fullMs),
      target: CHANGE_TIME_TARGET,
      better: "lower",
      note: "A appends one ~300 B record (append API) and another device, in its own process, syncs it in; baseline = the same run's full sync (push by A + pull by B)",
    }),
    row({
      id: `scale.client.change-sync.peak-heap.${last.mb}mb`,
      value: mbOf(change.memory.peakHeapBytes),
      unit: "MB",
      baseline: stateMb,
      target: CHANGE_HEAP_TARGET,
      better: "lower",
      note: "V8 heapUsed of the heavier of the two devices' processes over its part of that change sync (its application's state and its sync state included), sampled every 5 ms; baseline = state size",
    }),
  );
  for (const phase of ["push", "pull"] as const) {
    const { rssBeforeBytes, peakRssBytes, peakHeapBytes } = last.client[phase];
    const id = `scale.client.${phase}.rss-growth.${last.mb}mb`;
    rows.push(
      rssBeforeBytes === null || peakRssBytes === null
        ? {
            id,
            value: null,
            unit: "MB",
            baseline: stateMb,
            ratio: null,
            better: "lower",
            missing: "/proc not readable",
          }
        : row({
            id,
            value: mbOf(peakRssBytes - rssBeforeBytes),
            unit: "MB",
            baseline: stateMb,
            better: "lower",
            note: `${PHASE_NOTES[phase]}: peak RSS ${mbOf(peakRssBytes)} MB over ${mbOf(rssBeforeBytes)} MB before; baseline = state size`,
          }),
      row({
        id: `scale.client.${phase}.peak-heap.${last.mb}mb`,
        value: mbOf(peakHeapBytes),
        unit: "MB",
        baseline: stateMb,
        better: "lower",
        note: "V8 heapUsed (the state itself included), sampled every 5 ms; baseline = state size",
      }),
    );
  }
  return rows;
}
