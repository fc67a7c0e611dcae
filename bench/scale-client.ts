/**
 * Child process for the scale.* rows: one client syncing a state of the given size (device A pushes
 * every document, a new device B pulls them), timed, with its own peak memory. Run by bench/scale.ts.
 *
 * Usage (IPC child): scale-client.ts <origin> <megabytes> <repeats>
 */

import { createAccount, onDevice } from "./accounts.ts";
import { DocumentDevice, splitState } from "./document-device.ts";
import { peakResidentBytes, residentBytes, resetPeak } from "./proc-memory.ts";
import { generateState } from "./state-generator.ts";

export interface ScaleClientReport {
  plaintextBytes: number;
  /** Milliseconds of each repeat: push by A plus pull by B. */
  syncMs: number[];
  rssBeforeBytes: number | null;
  peakRssBytes: number | null;
  peakHeapBytes: number;
}

const [origin, mbText, repeatsText] = process.argv.slice(2);
if (origin === undefined || process.send === undefined) throw new Error("usage: scale-client.ts <origin> <megabytes> <repeats> (IPC child)");
const mb = Number(mbText);
const repeats = Number(repeatsText ?? "1");

async function syncOnce(docs: ReturnType<typeof splitState>, username: string): Promise<number> {
  const account = await createAccount(origin!, username, "aaaaaaaaaaaaaaaa");
  const a = await DocumentDevice.create(origin!, account);
  const b = await DocumentDevice.create(origin!, onDevice(account, "bbbbbbbbbbbbbbbb"));
  try {
    const t0 = performance.now();
    await a.push(docs);
    await b.pull(docs.keys());
    return performance.now() - t0;
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

(globalThis as { gc?: () => void }).gc?.();
const rssBeforeBytes = residentBytes(process.pid);
resetPeak(process.pid);
let peakHeapBytes = 0;
const sampler = setInterval(() => {
  peakHeapBytes = Math.max(peakHeapBytes, process.memoryUsage().heapUsed);
}, 5);
const syncMs: number[] = [];
for (let i = 0; i < repeats; i++) syncMs.push(await syncOnce(docs, `scale-${mb}mb-${i}`));
clearInterval(sampler);
peakHeapBytes = Math.max(peakHeapBytes, process.memoryUsage().heapUsed);

const report: ScaleClientReport = { plaintextBytes, syncMs, rssBeforeBytes, peakRssBytes: peakResidentBytes(process.pid), peakHeapBytes };
process.send(report, () => process.exit(0));
