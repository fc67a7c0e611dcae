/**
 * A client process killed in the middle of a sync (SIGKILL at a random moment, again and again) and
 * started again loses nothing it had acknowledged: every edit it printed as synced is on the server
 * after the last restart, no change was applied twice, its queue is empty, and every record of its
 * file store is still whole. Another device edits the same document between the kills.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsonObject } from "../../client/core/merge/json-value.ts";
import { createNodeSyncManager, FileStore } from "../../client/node/index.ts";
import { seededRandom } from "../support/fault-proxy.ts";
import { freshDataDir, freshKey, freshUser } from "../support/sync-clients.ts";
import { startWorkerServer, type WorkerServer } from "../support/worker-server.ts";
import { lostEdit } from "./support/doc-model.ts";
import { repeatedWrites, serverView } from "./support/server-view.ts";
import { SimDevice } from "./support/sim-device.ts";
import { bySoak, seedFor } from "./support/soak-mode.ts";

const CHILD = fileURLToPath(new URL("./support/sync-child.ts", import.meta.url));
const SEED = seedFor(0x4b11_1ed);

let server: WorkerServer;
beforeAll(async () => {
  server = await startWorkerServer({ vars: { HISTORY_RETENTION: "100000" } });
});
afterAll(async () => {
  await server?.stop();
});

/** Runs the child until `killAfterMs` past its start-up, then SIGKILLs it; returns what it acknowledged. */
async function runUntilKilled(args: string[], killAfterMs: number): Promise<Array<[string, string]>> {
  const child = spawn(process.execPath, ["--experimental-strip-types", "--no-warnings", CHILD, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const acks: Array<[string, string]> = [];
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  createInterface({ input: child.stdout }).on("line", (line) => {
    if (line === "ready") setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    const ack = /^ack (\S+)=(\S+)$/.exec(line);
    if (ack !== null) acks.push([ack[1]!, ack[2]!]);
  });
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_, sig) => resolve(sig)));
  if (signal !== "SIGKILL") throw new Error(`the sync process ended by itself (seed ${SEED}):\n${stderr}`);
  return acks;
}

describe("a client process killed mid-sync", () => {
  it(
    "loses nothing it had acknowledged once started again",
    async () => {
      const random = seededRandom(SEED);
      const [username, key, dataDir] = [freshUser("killed"), freshKey(), freshDataDir()];
      const appFile = join(dataDir, "..", `${username}-app.json`);
      const other = await SimDevice.create({ url: server.url, username, key, id: "bystander", skewMs: 0 });
      const acked = new Map<string, string>();
      const cycles = bySoak(6, 40);
      for (let cycle = 0; cycle < cycles; cycle++) {
        // Kills land anywhere from start-up to a few syncs in.
        const acks = await runUntilKilled(
          [server.url, username, key, "laptop", dataDir, appFile],
          Math.floor(random() * 500),
        );
        for (const [name, value] of acks) acked.set(name, value);
        other.apply({ kind: "set", doc: "notes", path: [`p${cycle}`] });
        expect(await other.sync("notes")).toBe("synced");
      }
      expect(acked.size).toBeGreaterThan(0);

      // Started again, with its saved copy: one sync settles whatever the last kill interrupted.
      const manager = await createNodeSyncManager({ url: server.url, key, deviceId: "laptop", dataDir, env: {} });
      const saved = JSON.parse(readFileSync(appFile, "utf8")) as { notes: JsonObject };
      const { data } = await manager.bidirectionalSync(username, saved.notes, { doc: "notes" });
      expect(await manager.pendingChanges(username)).toEqual([]);
      const notes = data as JsonObject;
      for (const [name, value] of acked) expect([name, notes[name]]).toEqual([name, value]);

      const view = await serverView(server.url, username, key);
      const current = await view.current("notes");
      expect(current?.envelope.data).toEqual(notes);
      for (const edit of other.acked) expect(lostEdit(edit, notes, current?.envelope.sync?.clocks ?? {})).toBeNull();
      expect(repeatedWrites(await view.everyVersion())).toEqual([]);
      const store = new FileStore(dataDir);
      for (const storeKey of await store.keys("")) expect(await store.get(storeKey)).toBeDefined();
    },
    bySoak(90_000, 600_000),
  );
});
