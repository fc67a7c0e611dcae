/**
 * wire.* rows: bytes that cross the network, counted each way by a loopback TCP proxy
 * (request and response, headers included), to sync a realistic Project-AI state of about 1 and
 * 10 MB, and to sync one changed preference, with the Python module's hex protocol and with ours. Baseline:
 * the state's plaintext JSON; for one appended turn (ours only), the 4 KB budget of a small change.
 */

import { startWorkerServer } from "../test/support/worker-server.ts";
import { createAccount, onDevice } from "./accounts.ts";
import { startCountingProxy } from "./counting-proxy.ts";
import { DocumentDevice, splitState } from "./document-device.ts";
import { row, type BenchRow } from "./rows.ts";
import { seedDownload, seedUpload } from "./seed-protocol.ts";
import { generateState, oneTurn, withOnePreferenceChanged, withTurnAppended } from "./state-generator.ts";

const SIZES_MB = [1, 10] as const;
const SEED = 42;
// The targets (README, Performance), as shares of the plaintext state.
const FULL_SYNC_TARGET = 0.4;
const CHANGE_TARGET = 0.01;

type Step = "full-push" | "full-pull" | "change-push" | "change-pull" | "append-push" | "append-pull";
const STEP_NOTES: Record<Step, string> = {
  "full-push": "device A uploads its whole state",
  "full-pull": "new device B downloads the whole state (seed: JSON answer gzip-encoded, as requests accepts)",
  "change-push": "A uploads after one preference changed",
  "change-pull": "B fetches that change",
  "append-push": "A syncs after one ~300 B turn was appended to its newest conversation (one record of memory)",
  "append-pull": "B syncs that turn in",
};
/** A small change's budget on the wire, each way and headers included (README, Performance). */
const APPEND_BUDGET = 4096;

export async function runWireBench(): Promise<BenchRow[]> {
  const server = await startWorkerServer({ vars: { RATE_LIMITS: "off" } });
  const proxy = await startCountingProxy(server.url);
  try {
    const rows: BenchRow[] = [];
    for (const mb of SIZES_MB) {
      const state = generateState({ bytes: mb * 1_000_000, seed: SEED });
      const changed = withOnePreferenceChanged(state);
      const plaintext = Buffer.byteLength(JSON.stringify(state));
      const measure = async (protocol: "seed" | "ours", step: Step, action: () => Promise<unknown>) => {
        proxy.take();
        await action();
        const { up, down } = proxy.take();
        const append = step.startsWith("append");
        const target =
          protocol === "seed"
            ? {}
            : { target: append ? 1 : step.startsWith("full") ? FULL_SYNC_TARGET : CHANGE_TARGET };
        rows.push(
          row({
            id: `wire.${protocol}.${step}.${mb}mb`,
            value: up + down,
            unit: "bytes",
            baseline: append ? APPEND_BUDGET : plaintext,
            better: "lower",
            ...target,
            note: `${STEP_NOTES[step]}; ${up} up + ${down} down`,
          }),
        );
      };

      console.error(`[wire] seed protocol, ${mb} MB`);
      const seedA = await createAccount(server.url, `wire-seed-${mb}`, "aaaaaaaaaaaaaaaa");
      const seedB = onDevice(seedA, "bbbbbbbbbbbbbbbb");
      // The Python module has one document: every sync moves the whole state, hex of a base64 token.
      await measure("seed", "full-push", () => seedUpload(proxy.url, seedA, state));
      await measure("seed", "full-pull", () => seedDownload(proxy.url, seedB));
      await measure("seed", "change-push", () => seedUpload(proxy.url, seedA, changed));
      await measure("seed", "change-pull", () => seedDownload(proxy.url, seedB));

      console.error(`[wire] our protocol, ${mb} MB`);
      const oursA = await createAccount(server.url, `wire-ours-${mb}`, "aaaaaaaaaaaaaaaa");
      const deviceA = await DocumentDevice.create(proxy.url, oursA);
      const deviceB = await DocumentDevice.create(proxy.url, onDevice(oursA, "bbbbbbbbbbbbbbbb"));
      const names = [...splitState(state).keys()];
      try {
        await measure("ours", "full-push", () => deviceA.push(splitState(state)));
        await measure("ours", "full-pull", () => deviceB.pull(names));
        await measure("ours", "change-push", () => deviceA.push(splitState(changed)));
        await measure("ours", "change-pull", () => deviceB.pull(names));
        const appended = withTurnAppended(changed, oneTurn(1));
        await measure("ours", "append-push", () => deviceA.push(splitState(appended)));
        await measure("ours", "append-pull", () => deviceB.pull(names));
      } finally {
        await deviceA.close();
        await deviceB.close();
      }
    }
    return rows;
  } finally {
    await proxy.stop();
    await server.stop();
  }
}
