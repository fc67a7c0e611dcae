/**
 * Rows after many small changes: a device appends 1,000 records of about 300 bytes to the memory
 * of a 10 MB Project-AI state, one sync each (the application saying what it added), as a user
 * talking to the assistant for weeks does. Then a new device downloads everything (bytes on the
 * wire against the state's plaintext), and the server's stored bytes for the user are compared
 * with the same state stored compactly (one whole version per document, in a fresh account).
 */

import type { Json } from "../client/core/merge/json-value.ts";
import { startWorkerServer } from "../test/support/worker-server.ts";
import { createAccount, onDevice, type BenchAccount } from "./accounts.ts";
import { startCountingProxy } from "./counting-proxy.ts";
import { DocumentDevice, splitState } from "./document-device.ts";
import { row, type BenchRow } from "./rows.ts";
import { generateState, oneTurn } from "./state-generator.ts";

const CHANGES = 1000;
const FULL_PULL_TARGET = 0.4;
const STORAGE_TARGET = 2;

/** A new conversation of one ~300 B turn: one record of the memory's `conversations` list. */
function conversation(n: number): Json {
  const turn = oneTurn(n);
  return { id: `added-${n}`, started_at: turn.timestamp, title: `Added ${n}`, turns: [{ ...turn }] };
}

async function storedBytes(origin: string, account: BenchAccount): Promise<number> {
  const res = await fetch(`${origin}/v1/users/${account.username}`, { headers: account.headers });
  if (!res.ok) throw new Error(`account read answered ${res.status}`);
  const info = (await res.json()) as { stored_bytes?: number };
  if (info.stored_bytes === undefined) throw new Error("the account read has no stored_bytes");
  return info.stored_bytes;
}

export async function runChangesBench(): Promise<BenchRow[]> {
  const server = await startWorkerServer({ vars: { RATE_LIMITS: "off" } });
  const proxy = await startCountingProxy(server.url);
  try {
    const state = generateState({ bytes: 10_000_000, seed: 42 });
    const docs = splitState(state);
    const account = await createAccount(server.url, "changes-1000");
    const writer = await DocumentDevice.create(proxy.url, account);
    const reader = await DocumentDevice.create(proxy.url, onDevice(account, "bbbbbbbbbbbbbbbb"));
    try {
      await writer.push(docs);
      await reader.pull(docs.keys());
      proxy.take();
      const t0 = performance.now();
      let readerBytes = 0;
      for (let n = 1; n <= CHANGES; n++) {
        await writer.append("memory", "/conversations", conversation(n));
        // Every hundredth change, the other device syncs: what it costs it per change.
        if (n % 100 === 0) {
          proxy.take(); // the writer's bytes so far: not the reader's
          await reader.pull(docs.keys());
          const read = proxy.take();
          readerBytes += read.up + read.down;
        }
      }
      const appendMs = (performance.now() - t0) / CHANGES;
      console.error(`[changes] ${CHANGES} appends, ${appendMs.toFixed(0)} ms each on average`);

      const newcomer = await DocumentDevice.create(proxy.url, onDevice(account, "cccccccccccccccc"));
      let pulled: Map<string, Json | null>;
      proxy.take();
      try {
        pulled = await newcomer.pull(docs.keys());
      } finally {
        await newcomer.close();
      }
      const { up, down } = proxy.take();
      const live = new Map([...pulled].map(([doc, data]) => [doc, data ?? {}] as const));
      const plaintext = Buffer.byteLength(JSON.stringify(Object.fromEntries(live)));
      const stored = await storedBytes(server.url, account);

      const fresh = await createAccount(server.url, "changes-compact");
      const compactor = await DocumentDevice.create(server.url, fresh);
      try {
        await compactor.push(live);
      } finally {
        await compactor.close();
      }
      const compact = await storedBytes(server.url, fresh);
      return [
        row({
          id: "wire.ours.full-pull-after-1000-changes.10mb",
          value: up + down,
          unit: "bytes",
          baseline: plaintext,
          target: FULL_PULL_TARGET,
          better: "lower",
          note: `a new device downloads every document after ${CHANGES} appended records (compacted by the writer as the server asked); ${up} up + ${down} down`,
        }),
        row({
          id: "scale.storage.after-1000-changes.10mb",
          value: stored,
          unit: "bytes",
          baseline: compact,
          target: STORAGE_TARGET,
          better: "lower",
          note: `stored for the user (R2 entries and snapshots, and the index's inline copies) against the same state as one whole version per document; ${appendMs.toFixed(0)} ms per append on the writer, ${Math.round(readerBytes / CHANGES)} B per change on a device syncing every 100`,
        }),
      ];
    } finally {
      await writer.close();
      await reader.close();
    }
  } finally {
    await proxy.stop();
    await server.stop();
  }
}
