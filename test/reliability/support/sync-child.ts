/**
 * A client process for the kill test: through the Node entry (`createNodeSyncManager`, FileStore),
 * it edits one new key of `notes` after another and syncs each, printing `ack <key>=<value>` once
 * a sync has returned and the application's copy is saved. It runs until it is killed. Usage:
 * node sync-child.ts <url> <username> <key> <device id> <data dir> <application file>
 */
import { randomBytes } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { createNodeSyncManager } from "../../../client/node/index.ts";
import type { JsonObject } from "../../../client/core/merge/json-value.ts";

const [url, username, key, deviceId, dataDir, appFile] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];

interface AppState {
  n: number;
  notes: JsonObject;
}

function load(): AppState {
  try {
    return JSON.parse(readFileSync(appFile, "utf8")) as AppState;
  } catch {
    return { n: 0, notes: {} };
  }
}

/** The application saves its copy as the FileStore does: a whole new file renamed over the old. */
function save(state: AppState): void {
  const temp = `${appFile}.${randomBytes(4).toString("hex")}`;
  writeFileSync(temp, JSON.stringify(state));
  renameSync(temp, appFile);
}

const manager = await createNodeSyncManager({ url, key, deviceId, dataDir, env: {}, timeoutMs: 10_000 });
const run = randomBytes(3).toString("hex");
let state = load();
process.stdout.write("ready\n");
for (;;) {
  const name = `k${state.n + 1}`;
  const value = `${deviceId}-${run}-${state.n + 1}`;
  const result = await manager.bidirectionalSync(username, { ...state.notes, [name]: value }, { doc: "notes" });
  state = { n: state.n + 1, notes: result.data as JsonObject };
  save(state);
  process.stdout.write(`ack ${name}=${value}\n`);
}
