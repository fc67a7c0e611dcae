/**
 * `npm run demo`: two devices, desktop and mobile, sharing one Fernet key, go through an
 * upload, a download, a concurrent edit merged, the device list and a rollback, against the Worker
 * at CLOUD_SYNC_URL (default http://127.0.0.1:8787), or a local Worker started for the demo and
 * stopped after it when none answers there.
 *
 * Usage: node --experimental-strip-types scripts/demo.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { generateKey } from "../client/core/crypto/fernet-key.ts";
import { jsonEqual } from "../client/core/merge/json-value.ts";
import type { SyncManager } from "../client/core/manager.ts";
import type { Json } from "../client/core/merge/merge.ts";
import { createNodeSyncManager } from "../client/node/index.ts";

const DEFAULT_URL = "http://127.0.0.1:8787";

export interface DemoResult {
  username: string;
  /** What both devices hold after the concurrent edit was merged. */
  merged: Json;
  /** What both devices hold after the rollback. */
  restored: Json;
  devices: string[];
}

/** Plays the demo against `url`, printing each step through `log`. */
export async function runDemo(url: string, log: (line: string) => void = console.log): Promise<DemoResult> {
  const key = generateKey();
  const username = `demo-${Math.random().toString(36).slice(2, 8)}`;
  const folders: string[] = [];
  const device = async (id: string, name: string): Promise<SyncManager> => {
    const dataDir = mkdtempSync(join(tmpdir(), `cloud-sync-demo-${id}-`));
    folders.push(dataDir);
    return createNodeSyncManager({
      url,
      key,
      deviceId: id,
      deviceName: name,
      platform: name === "Desktop" ? "linux" : "android",
      dataDir,
    });
  };
  const show = (data: Json | null) => JSON.stringify(data);
  try {
    const desktop = await device("desktop-01", "Desktop");
    const mobile = await device("mobile-01", "Mobile");
    log(
      `User ${username}; desktop and mobile share one Fernet key, which never leaves them (the server stores ciphertext only).`,
    );

    log("\n1. Desktop uploads its state");
    let onDesktop: Json = {
      preferences: { theme: "dark", language: "en" },
      ai_persona: { curiosity: 0.8, empathy: 0.9 },
      conversation_history: [{ id: "t1", timestamp: "2025-01-01T09:00:00", text: "Hello from the desktop" }],
    };
    const uploaded = await desktop.syncUpload(username, onDesktop);
    log(`   desktop -> version ${uploaded.version}: ${show(onDesktop)}`);

    log("\n2. Mobile downloads it");
    const downloaded = await mobile.syncDownload(username);
    // Syncing what it downloaded makes it the mobile's merge base (the manager's way of adopting a download).
    let onMobile = (await mobile.bidirectionalSync(username, downloaded ?? {})).data;
    log(`   mobile  <- ${show(onMobile)}`);

    log("\n3. Both edit at the same time, then sync");
    onDesktop = edit(onDesktop, (d) => {
      d.preferences.theme = "light";
      d.conversation_history.push({ id: "t2", timestamp: "2025-01-01T09:05:00", text: "Desktop: switched to light" });
    });
    onMobile = edit(onMobile, (d) => {
      d.ai_persona.empathy = 0.95;
      d.conversation_history.push({ id: "t3", timestamp: "2025-01-01T09:06:00", text: "Mobile: more empathy" });
    });
    log('   desktop: preferences.theme = "light", adds conversation turn t2');
    log("   mobile:  ai_persona.empathy = 0.95, adds conversation turn t3");
    const first = await desktop.bidirectionalSync(username, onDesktop);
    onDesktop = first.data;
    log(`   desktop syncs -> version ${first.version}`);
    const second = await mobile.bidirectionalSync(username, onMobile);
    onMobile = second.data;
    log(`   mobile syncs, merging both edits -> version ${second.version}: ${show(onMobile)}`);
    const third = await desktop.bidirectionalSync(username, onDesktop);
    onDesktop = third.data;
    log(`   desktop syncs and receives the merge: ${show(onDesktop)}`);
    log(`   both devices hold the same data: ${jsonEqual(onDesktop, onMobile) ? "yes" : "NO"}`);
    const merged = onDesktop;

    log(`\n4. Devices of ${username}`);
    await desktop.registerDevice(username);
    await mobile.registerDevice(username);
    const devices = await desktop.listDevices(username);
    for (const d of devices)
      log(
        `   ${d.device_id.padEnd(12)} ${String(d.name).padEnd(8)} ${String(d.platform).padEnd(8)} last sync ${d.last_sync ?? "never"}`,
      );

    log("\n5. History and rollback");
    const versions = await desktop.listVersions(username);
    log(`   versions, newest first: ${versions.map((v) => `${v.version} (${v.device_id})`).join(", ")}`);
    const rolled = await desktop.rollback(username, { version: 1 });
    log(`   desktop rolls back to version 1 -> version ${rolled.version}: ${show(rolled.data)}`);
    onDesktop = (await desktop.bidirectionalSync(username, onDesktop)).data;
    onMobile = (await mobile.bidirectionalSync(username, onMobile)).data;
    log(`   mobile syncs and gets the restored state: ${show(onMobile)}`);
    log(`   both devices hold the same data: ${jsonEqual(onDesktop, onMobile) ? "yes" : "NO"}`);

    await desktop.deleteAccount(username);
    log(`\nDone; the demo account ${username} was deleted.`);
    return { username, merged, restored: onMobile, devices: devices.map((d) => d.device_id) };
  } finally {
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  }
}

interface DemoState {
  preferences: Record<string, Json>;
  ai_persona: Record<string, Json>;
  conversation_history: Json[];
}

/** A changed deep copy, as an application would hold its next state. */
function edit(data: Json, change: (draft: DemoState) => void): Json {
  const draft = structuredClone(data) as unknown as DemoState;
  change(draft);
  return draft as unknown as Json;
}

/** True when a cloud-sync Worker answers `GET /` at `url`. */
export async function workerAnswers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url.replace(/\/+$/, "")}/`, { signal: AbortSignal.timeout(2_000) });
    const body = (await res.json()) as { service?: unknown };
    return res.ok && typeof body.service === "string";
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const wanted = process.env["CLOUD_SYNC_URL"] || DEFAULT_URL;
  let url = wanted;
  let stop: (() => Promise<void>) | null = null;
  if (await workerAnswers(wanted)) {
    console.log(`Using the Worker at ${wanted}.`);
  } else {
    // Offline machines: wrangler would otherwise try to fetch the `cf` object from Cloudflare (as `npm start` avoids).
    process.env["CLOUDFLARE_CF_FETCH_ENABLED"] ??= "false";
    // Loaded only when needed: it pulls in wrangler.
    const { startWorkerServer } = await import("../test/support/worker-server.ts");
    const server = await startWorkerServer();
    url = server.url;
    stop = () => server.stop();
    console.log(`No Worker answers at ${wanted}: started a local one at ${url} (stopped at the end).`);
  }
  try {
    await runDemo(url);
  } finally {
    await stop?.();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((error: unknown) => {
    console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
