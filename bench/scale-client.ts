/**
 * Child process for the scale.* rows: one client syncing a state of the given size (device A pushes
 * every document, then a new device B pulls them), timed, with the peak memory of each half.
 * Run by bench/scale.ts.
 *
 * Usage (IPC child): scale-client.ts <origin> <megabytes> <repeats>
 */

import { createAccount, onDevice } from "./accounts.ts";
import { DocumentDevice, splitState } from "./document-device.ts";
import { peakResidentBytes, residentBytes, resetPeak } from "./proc-memory.ts";
import { generateState, oneTurn } from "./state-generator.ts";

export interface PhaseMemory {
  /** RSS just before the phase (the state is already in memory), null without /proc. */
  rssBeforeBytes: number | null;
  peakRssBytes: number | null;
  peakHeapBytes: number;
}

export interface ScaleClientReport {
  plaintextBytes: number;
  /** Milliseconds of each repeat: push by A plus pull by B. */
  syncMs: number[];
  /** The phase of the last repeat that grew RSS the most. */
  push: PhaseMemory;
  pull: PhaseMemory;
  /** After the last repeat: A appends one ~300 B record and B syncs it in. */
  change: { ms: number; fullMs: number; memory: PhaseMemory };
}

const [origin, mbText, repeatsText] = process.argv.slice(2);
if (origin === undefined || process.send === undefined)
  throw new Error("usage: scale-client.ts <origin> <megabytes> <repeats> (IPC child)");
const mb = Number(mbText);
const repeats = Number(repeatsText ?? "1");
const gc = (globalThis as { gc?: () => void }).gc;

/** Runs `phase` and reports its time and peak memory over what was resident when it began. */
async function measured(phase: () => Promise<unknown>): Promise<{ ms: number; memory: PhaseMemory }> {
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

async function syncOnce(docs: ReturnType<typeof splitState>, username: string, withChange = false) {
  const account = await createAccount(origin!, username, "aaaaaaaaaaaaaaaa");
  const a = await DocumentDevice.create(origin!, account);
  const b = await DocumentDevice.create(origin!, onDevice(account, "bbbbbbbbbbbbbbbb"));
  try {
    const push = await measured(() => a.push(docs));
    const pull = await measured(() => b.pull(docs.keys()));
    const run = { ms: push.ms + pull.ms, push: push.memory, pull: pull.memory };
    if (!withChange) return { ...run, change: null };
    // One record appended by the application (it says what it added), and the other device syncing it in.
    const change = await measured(async () => {
      await a.append("memory", "/conversations", {
        id: "scale-appended",
        started_at: oneTurn(1).timestamp,
        title: "appended",
        turns: [{ ...oneTurn(1) }],
      });
      await b.pull(docs.keys());
    });
    return { ...run, change: { ms: change.ms, fullMs: run.ms, memory: change.memory } };
  } finally {
    await a.close();
    await b.close();
  }
}

const state = generateState({ bytes: mb * 1_000_000, seed: 42 });
const plaintextBytes = Buffer.byteLength(JSON.stringify(state));
const docs = splitState(state);
// Warm up module loading, the JIT and the connection pool on a small state first.
await syncOnce(splitState(generateState({ bytes: 64 * 1024, seed: 7 })), `scale-warm-${mb}`);

const runs = [];
for (let i = 0; i < repeats; i++) runs.push(await syncOnce(docs, `scale-${mb}mb-${i}`, i === repeats - 1));
const last = runs[runs.length - 1]!;
const report: ScaleClientReport = {
  plaintextBytes,
  syncMs: runs.map((r) => r.ms),
  push: last.push,
  pull: last.pull,
  change: last.change!,
};
process.send(report, () => process.exit(0));
