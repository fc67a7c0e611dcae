/**
 * The load soak (README, Reliability, "load"): simulated devices, five per user, hammer the local Worker for a while
 * with a mix of edits synced both ways, downloads, device listings and history reads, then settle.
 * It reports requests served, errors (anything but a 2xx, a 304, a 404 for a document not written
 * yet, a 412 lost race or a 429), p50/p99 latency, and whether every device converged and every
 * stored version decrypts. `npm run test:soak` runs it at 50 devices for 60 s; the short form is in
 * test/reliability/load.test.ts. Usage: node scripts/soak.ts [devices] [seconds]
 */
import { fileURLToPath } from "node:url";
import { generateKey } from "../client/core/crypto/fernet-key.ts";
import { isSyncError } from "../client/core/errors.ts";
import { jsonEqual } from "../client/core/merge/json-value.ts";
import type { FetchLike } from "../client/core/ports.ts";
import { seededRandom } from "../test/support/fault-proxy.ts";
import { startWorkerServer } from "../test/support/worker-server.ts";
import { serverView } from "../test/reliability/support/server-view.ts";
import { SimDevice, type Op } from "../test/reliability/support/sim-device.ts";

export interface SoakOptions {
  devices: number;
  seconds: number;
  /** A running Worker; a fresh local one is started (and stopped) when absent. */
  url?: string;
  seed?: number;
  log?: (line: string) => void;
}

export interface SoakReport {
  devices: number;
  users: number;
  seconds: number;
  requests: number;
  /** HTTP answers by status, and `network` for requests that got none. */
  byStatus: Record<string, number>;
  /** Requests answered with anything but 2xx, 304, 404 (document not yet written), 412 (lost race) or 429, or not at all. */
  errors: number;
  rateLimited: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Operations run, by kind, and the ones that failed, by SyncError code (`conflict`: a lost race retried 8 times). */
  operations: Record<string, number>;
  failedOperations: Record<string, number>;
  converged: boolean;
  versionsDecrypted: number;
}

const DEVICES_PER_USER = 5;
const DOCS = ["default", "notes"] as const;

/** Counts every request the devices make: status (or `network`) and latency. */
function meter(report: { byStatus: Record<string, number>; latencies: number[] }): FetchLike {
  return async (url, init) => {
    const started = performance.now();
    try {
      const res = await fetch(url, init);
      report.byStatus[res.status] = (report.byStatus[res.status] ?? 0) + 1;
      return res;
    } catch (error) {
      report.byStatus["network"] = (report.byStatus["network"] ?? 0) + 1;
      throw error;
    } finally {
      report.latencies.push(performance.now() - started);
    }
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0
    ? 0
    : Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 10) / 10;
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => undefined);
  const server = options.url === undefined ? await startWorkerServer() : null;
  const url = options.url ?? server!.url;
  const random = seededRandom(options.seed ?? 0x50a_c0de);
  const counts = { byStatus: {} as Record<string, number>, latencies: [] as number[] };
  const operations: Record<string, number> = {};
  const failedOperations: Record<string, number> = {};
  try {
    const users = Array.from({ length: Math.ceil(options.devices / DEVICES_PER_USER) }, (_, i) => ({
      username: `soak${i}-${Date.now().toString(36)}`,
      key: generateKey(),
    }));
    const devices = await Promise.all(
      Array.from({ length: options.devices }, (_, i) => {
        const user = users[Math.floor(i / DEVICES_PER_USER)]!;
        return SimDevice.create({
          url,
          username: user.username,
          key: user.key,
          id: `soak-dev-${i}`,
          skewMs: 0,
          fetch: meter(counts),
        });
      }),
    );
    // Accounts exist before the load, as for devices in use: a first request to a name nobody has
    // claimed is a 401 that the client answers by claiming it, which would count as an error here.
    for (let i = 0; i < devices.length; i += DEVICES_PER_USER) await devices[i]!.manager.claim(devices[i]!.username);
    log(`${devices.length} devices of ${users.length} users against ${url} for ${options.seconds} s`);

    const deadline = Date.now() + options.seconds * 1000;
    const count = (table: Record<string, number>, key: string) => {
      table[key] = (table[key] ?? 0) + 1;
    };
    await Promise.all(
      devices.map(async (device) => {
        while (Date.now() < deadline) {
          const roll = random();
          const doc = DOCS[Math.floor(random() * DOCS.length)]!;
          const kind = roll < 0.45 ? "sync" : roll < 0.7 ? "download" : roll < 0.85 ? "devices" : "history";
          count(operations, kind);
          try {
            if (kind === "sync") {
              device.apply(editFor(doc, random));
              // Lost compare-and-swap races (conflict) and limits are answers, counted, not failures of the test.
              await device.sync(doc, ["conflict", "rate_limited"]);
            } else if (kind === "download") await device.download(doc, ["rate_limited"]);
            else if (kind === "devices") await device.manager.listDevices(device.username);
            else await device.manager.listVersions(device.username, { doc });
          } catch (error) {
            // A history read of a document no device has written yet is a 404: not a failure.
            if (isSyncError(error, "not_found") && kind === "history") continue;
            // Syncs and downloads count their SyncErrors on the device; anything else is counted here.
            if (!isSyncError(error) || kind === "devices" || kind === "history")
              count(failedOperations, isSyncError(error) ? error.code : String(error));
          }
        }
      }),
    );
    for (const d of devices)
      for (const [code, n] of Object.entries(d.errors)) failedOperations[code] = (failedOperations[code] ?? 0) + n;
    log("load over; settling");

    // Everyone syncs every document until a round changes nothing on the server.
    let converged = true;
    let versionsDecrypted = 0;
    for (const user of users) {
      const own = devices.filter((d) => d.username === user.username);
      const view = await serverView(url, user.username, user.key);
      const versions = async () =>
        JSON.stringify((await view.api.listDocuments(user.username)).map((d) => [d.name, d.version]));
      for (let round = 0, before = "", after = await versions(); before !== after && round <= own.length + 2; round++) {
        for (const d of own) for (const doc of DOCS) await d.sync(doc, ["conflict"]);
        [before, after] = [after, await versions()];
      }
      for (const doc of DOCS) {
        const data = (await view.current(doc))?.envelope.data ?? {};
        converged &&= own.every((d) => jsonEqual(d.data(doc), data));
      }
      converged &&= (await Promise.all(own.map((d) => d.pending()))).every((n) => n === 0);
      versionsDecrypted += (await view.everyVersion()).length;
    }

    const sorted = counts.latencies.slice().sort((a, b) => a - b);
    const byStatus = counts.byStatus;
    const tolerated = ["304", "404", "412", "429"];
    const errors = Object.entries(byStatus)
      .filter(([status]) => !(status.startsWith("2") || tolerated.includes(status)))
      .reduce((sum, [, n]) => sum + n, 0);
    return {
      devices: devices.length,
      users: users.length,
      seconds: options.seconds,
      requests: sorted.length,
      byStatus,
      errors,
      rateLimited: byStatus["429"] ?? 0,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      maxMs: percentile(sorted, 1),
      operations,
      failedOperations,
      converged,
      versionsDecrypted,
    };
  } finally {
    await server?.stop();
  }
}

function editFor(doc: string, random: () => number): Op {
  const key = `k${Math.floor(random() * 6)}`;
  if (doc === "notes") return { kind: random() < 0.8 ? "set" : "delete", doc, path: [key] };
  if (random() < 0.3) return { kind: "addRecord", doc, list: "conversation_history" };
  return { kind: "set", doc, path: ["preferences", key] };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [devices = "50", seconds = "60"] = process.argv.slice(2);
  const report = await runSoak({
    devices: Number(devices),
    seconds: Number(seconds),
    log: (line) => console.log(line),
  });
  console.log(JSON.stringify(report, null, 2));
  console.log(
    `soak: ${report.devices} devices, ${report.seconds} s: ${report.requests} requests (${Math.round(report.requests / report.seconds)}/s), ` +
      `${report.errors} errors, ${report.rateLimited} rate-limited, p50 ${report.p50Ms} ms, p99 ${report.p99Ms} ms, ` +
      `converged: ${report.converged}, ${report.versionsDecrypted} stored versions decrypted`,
  );
  if (report.errors > 0 || !report.converged) process.exitCode = 1;
}
