/**
 * Child process for the scale.* rows: one client syncing a state of the given size (device A pushes
 * every document, then a new device B pulls them), timed, with the peak memory of each half.
 * Run by bench/scale.ts.
 *
 * Usage (IPC child): scale-client.ts <origin> <megabytes> <repeats>
 */

import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createAccount, onDevice, type BenchAccount } from "./accounts.ts";
import { DocumentDevice, splitState } from "./document-device.ts";
import { measured, type PhaseMemory } from "./measured-phase.ts";
import type { DeviceMessage } from "./scale-device.ts";
import { generateState, oneTurn } from "./state-generator.ts";

export interface ScaleClientReport {
  plaintextBytes: number;
  /** Milliseconds of each repeat: push by A plus pull by B. */
  syncMs: number[];
  /** The phase of the last repeat that grew RSS the most. */
  push: PhaseMemory;
  pull: PhaseMemory;
  /** After the last repeat: A appends one ~300 B record and another device (its own process) syncs it in. */
  change: { ms: number; fullMs: number; memory: PhaseMemory };
}

const [origin, mbText, repeatsText] = process.argv.slice(2);
if (origin === undefined || process.send === undefined)
  throw new Error("usage: scale-client.ts <origin> <megabytes> <repeats> (IPC child)");
const mb = Number(mbText);
const repeats = Number(repeatsText ?? "1");

/** Device A pushes every document, then a new device B pulls them; B is closed and gone after. */
async function fullSync(a: DocumentDevice, account: BenchAccount, docs: ReturnType<typeof splitState>) {
  const b = await DocumentDevice.create(origin!, onDevice(account, "bbbbbbbbbbbbbbbb"));
  try {
    const push = await measured(() => a.push(docs));
    const pull = await measured(() => b.pull(docs.keys()));
    return { ms: push.ms + pull.ms, push: push.memory, pull: pull.memory };
  } finally {
    await b.close();
  }
}

async function syncOnce(docs: ReturnType<typeof splitState>, username: string, withChange = false) {
  const account = await createAccount(origin!, username, "aaaaaaaaaaaaaaaa");
  const a = await DocumentDevice.create(origin!, account);
  try {
    const run = await fullSync(a, account, docs);
    if (!withChange) return { ...run, change: null };
    // The change: A's application appends one record (saying what it added), and another device,
    // in its own process holding the state as after any sync, takes it in. Each device is measured
    // in its own process, as each runs on its own machine.
    const other = await startDevice(account, [...docs.keys()]);
    const append = await measured(() =>
      a.append("memory", "/conversations", {
        id: "scale-appended",
        started_at: oneTurn(1).timestamp,
        title: "appended",
        turns: [{ ...oneTurn(1) }],
      }),
    );
    const take = await other.sync();
    const heavier = take.memory.peakHeapBytes > append.memory.peakHeapBytes ? take.memory : append.memory;
    return { ...run, change: { ms: append.ms + take.ms, fullMs: run.ms, memory: heavier } };
  } finally {
    await a.close();
  }
}

/** Starts another device of `account` in its own process, synced once; `sync()` measures its next sync. */
async function startDevice(account: BenchAccount, docs: string[]) {
  const config = { username: account.username, deviceId: "cccccccccccccccc", key: account.key, docs };
  const child = fork(fileURLToPath(new URL("scale-device.ts", import.meta.url)), [origin!, JSON.stringify(config)], {
    execArgv: process.execArgv,
    stdio: ["ignore", 2, 2, "ipc"],
  });
  const next = () =>
    new Promise<DeviceMessage>((resolve, reject) => {
      child.once("message", (m) => resolve(m as DeviceMessage));
      child.once("exit", (code) => reject(new Error(`the other device exited with ${code}`)));
    });
  await next();
  return {
    sync: async (): Promise<{ ms: number; memory: PhaseMemory }> => {
      const answer = next();
      child.send("sync");
      const m = await answer;
      if (!("ms" in m)) throw new Error("the other device answered out of turn");
      return m;
    },
  };
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
