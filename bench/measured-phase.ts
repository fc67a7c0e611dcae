/** Time and peak memory of one phase of a bench process (the scale rows' client and device processes). */

import { peakResidentBytes, residentBytes, resetPeak } from "./proc-memory.ts";

export interface PhaseMemory {
  /** RSS just before the phase (the state is already in memory), null without /proc. */
  rssBeforeBytes: number | null;
  peakRssBytes: number | null;
  peakHeapBytes: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Runs `phase` and reports its time and peak memory over what was resident when it began. */
export async function measured(phase: () => Promise<unknown>): Promise<{ ms: number; memory: PhaseMemory }> {
  gc?.();
  const rssBeforeBytes = residentBytes(process.pid);
  const canReset = resetPeak(process.pid);
  let peakHeapBytes = process.memoryUsage().heapUsed;
  let peakSampled = rssBeforeBytes ?? 0;
  const sampler = setInterval(() => {
    peakHeapBytes = Math.max(peakHeapBytes, process.memoryUsage().heapUsed);
    peakSampled = Math.max(peakSampled, residentBytes(process.pid) ?? 0);
  }, 5);
  const t0 = performance.now();
  try {
    await phase();
  } finally {
    clearInterval(sampler);
  }
  const ms = performance.now() - t0;
  peakHeapBytes = Math.max(peakHeapBytes, process.memoryUsage().heapUsed);
  const hwm = canReset ? peakResidentBytes(process.pid) : null;
  return {
    ms,
    memory: {
      rssBeforeBytes,
      peakRssBytes: rssBeforeBytes === null ? null : Math.max(peakSampled, hwm ?? 0),
      peakHeapBytes,
    },
  };
}
