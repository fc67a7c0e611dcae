/**
 * server.* rows (issue 4 §2): requests per second and p50/p99 latency of authenticated document
 * downloads and uploads through the product Worker in workerd, each measured beside the baseline
 * Worker (constant answer, bare R2) in the same run, on loopback with autocannon.
 */

import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import autocannon, { type AutocannonClient, type AutocannonRequest, type AutocannonResult } from "autocannon";
import { startWorkerServer, type WorkerServer } from "../test/support/worker-server.ts";
import { createAccount, putDocument, type BenchAccount } from "./accounts.ts";
import { row, type BenchRow } from "./rows.ts";

const DURATION_SECONDS = 3;
const SIZES = [
  { label: "1k", bytes: 1024 },
  { label: "64k", bytes: 64 * 1024 },
] as const;
const CONNECTIONS = [16, 64] as const;
const MAX_CONNECTIONS = 64;
const BASELINE_CONFIG = fileURLToPath(new URL("baseline-worker/wrangler.toml", import.meta.url));
// Issue 4 targets, as ratios of the constant answer's rate at 1 KiB.
const TARGETS = { download: 0.6, upload: 0.3 } as const;
/** Above this share of non-2xx answers a rate says nothing about the product: the row is reported missing. */
const MAX_FAILED_SHARE = 0.01;

type Op = "download" | "upload";
type Size = (typeof SIZES)[number];

/** Builds connection i's request: each connection plays one device of its own user. */
type RequestFactory = (connection: number) => AutocannonRequest;

export async function runServerBench(): Promise<BenchRow[]> {
  const product = await startWorkerServer({ vars: { RATE_LIMITS: "off" } });
  let baseline: WorkerServer | undefined;
  try {
    baseline = await startWorkerServer({ config: BASELINE_CONFIG });
    const accounts = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, (_, i) => createAccount(product.url, `bench-${i}`)));
    const bodies = new Map<Size["label"], Buffer>();
    for (const size of SIZES) {
      // A real token over random plaintext of the document's size; the server never looks inside,
      // so every user may send the same bytes without changing what it does.
      const token = await accounts[0]!.fernet.encrypt(randomBytes(size.bytes));
      bodies.set(size.label, Buffer.from(token));
      await Promise.all(accounts.map((a, i) => Promise.all([
        putDocument(product.url, a, `dl-${size.label}`, token),
        fetch(`${baseline!.url}/r2/dl-${size.label}-${i}`, { method: "PUT", body: token as Uint8Array<ArrayBuffer> }).then((r) => r.arrayBuffer()),
      ])));
    }

    // Warm both runtimes (isolates, R2 files, JIT) before anything is timed.
    const warm = SIZES[0];
    await load(baseline.url, 16, constant("download", warm, bodies), 1);
    await load(product.url, 16, productRequests("download", warm, 16, accounts, bodies), 1);
    await load(baseline.url, 16, bareR2("download", warm, bodies), 1);

    const rows: BenchRow[] = [];
    for (const op of ["download", "upload"] as const) {
      for (const size of SIZES) {
        for (const connections of CONNECTIONS) {
          const name = `${op}.${size.label}.c${connections}`;
          console.error(`[server] ${name}`);
          // Interleaved, so drift on the shared machine hits all three alike.
          const base = await load(baseline.url, connections, constant(op, size, bodies));
          const ours = await load(product.url, connections, productRequests(op, size, connections, accounts, bodies));
          const r2 = await load(baseline.url, connections, bareR2(op, size, bodies));
          rows.push(...rowsFor(op, size, connections, { base, ours, r2 }));
        }
      }
    }
    return rows;
  } finally {
    await baseline?.stop();
    await product.stop();
  }
}

interface Measured {
  base: AutocannonResult;
  ours: AutocannonResult;
  r2: AutocannonResult;
}

function rowsFor(op: Op, size: Size, connections: number, { base, ours, r2 }: Measured): BenchRow[] {
  const name = `${op}.${size.label}.c${connections}`;
  const target = size.label === "1k" ? { target: TARGETS[op] } : {};
  const failure = failedReason(ours);
  const baseRate = base.requests.average;
  const measured = <T extends object>(fields: T) => (failure === null ? fields : { ...fields, value: null, missing: failure });
  const r2Failure = failedReason(r2);
  return [
    row(measured({ id: `server.${name}.rps`, value: ours.requests.average, unit: "req/s", baseline: baseRate, better: "higher" as const, ...target })),
    row(measured({ id: `server.${name}.p50`, value: ours.latency.p50, unit: "ms", baseline: base.latency.p50, better: "lower" as const })),
    row(measured({ id: `server.${name}.p99`, value: ours.latency.p99, unit: "ms", baseline: base.latency.p99, better: "lower" as const })),
    row({
      id: `server.${op === "download" ? "r2-read" : "r2-write"}.${size.label}.c${connections}.rps`,
      value: r2Failure === null ? r2.requests.average : null,
      unit: "req/s",
      baseline: baseRate,
      better: "higher",
      note: "bare R2 Worker, for context",
      ...(r2Failure === null ? {} : { missing: r2Failure }),
    }),
  ];
}

function failedReason(result: AutocannonResult): string | null {
  const total = result["2xx"] + result.non2xx + result.errors + result.timeouts;
  const failed = result.non2xx + result.errors + result.timeouts;
  if (total === 0) return "no request completed";
  if (failed / total > MAX_FAILED_SHARE) {
    return `${failed} of ${total} requests failed (non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts})`;
  }
  return null;
}

/** The product's routes, as our client calls them: GET a document; PUT with compare-and-swap on the version. */
function productRequests(op: Op, size: Size, connections: number, accounts: BenchAccount[], bodies: Map<string, Buffer>): RequestFactory {
  return (i) => {
    const account = accounts[i]!;
    if (op === "download") {
      return {
        method: "GET",
        path: `/v1/users/${account.username}/docs/dl-${size.label}`,
        setupRequest: (request) => ({ ...request, headers: account.headers }),
      };
    }
    // A fresh document per row, so the first write is a create (If-None-Match: *) and every later one
    // carries If-Match with the version the previous answer gave, exactly as a device writes.
    let version: number | null = null;
    return {
      method: "PUT",
      path: `/v1/users/${account.username}/docs/up-${size.label}-c${connections}`,
      body: bodies.get(size.label)!,
      setupRequest: (request) => ({
        ...request,
        headers: {
          ...account.headers,
          "content-type": "application/octet-stream",
          ...(version === null ? { "if-none-match": "*" } : { "if-match": `"${version}"` }),
        },
      }),
      onResponse: (status, body, _context, headers) => {
        if (status === 200 || status === 201) version = (JSON.parse(body) as { version: number }).version;
        else if (status === 412 && headers["etag"] !== undefined) version = Number(headers["etag"].replaceAll('"', ""));
      },
    };
  };
}

/** The constant-answer baseline: requests of the same size as the product's, no logic behind them. */
function constant(op: Op, size: Size, bodies: Map<string, Buffer>): RequestFactory {
  const body = bodies.get(size.label)!;
  return () => (op === "download" ? baselineRequest("GET", `/const/${body.length}`) : baselineRequest("PUT", "/const", body));
}

/** The bare-R2 baseline: one object per connection, read or overwritten. */
function bareR2(op: Op, size: Size, bodies: Map<string, Buffer>): RequestFactory {
  return (i) =>
    op === "download" ? baselineRequest("GET", `/r2/dl-${size.label}-${i}`) : baselineRequest("PUT", `/r2/up-${size.label}-${i}`, bodies.get(size.label)!);
}

// Same header bytes as the product's requests, and a per-request rebuild like its uploads' CAS
// headers, so the load generator (on the same two cores) spends the same on every target.
const LOOKALIKE_HEADERS = {
  authorization: `Bearer ${"x".repeat(43)}`,
  "x-device-id": "bench-device-a",
  "content-type": "application/octet-stream",
  "if-match": '"1"',
};

function baselineRequest(method: "GET" | "PUT", path: string, body?: Buffer): AutocannonRequest {
  return { method, path, ...(body === undefined ? {} : { body }), setupRequest: (request) => ({ ...request, headers: LOOKALIKE_HEADERS }) };
}

/** Runs autocannon for a bounded time; connection i gets the request the factory builds for i. */
async function load(origin: string, connections: number, requestFor: RequestFactory, seconds = DURATION_SECONDS): Promise<AutocannonResult> {
  let next = 0;
  return await autocannon({
    url: origin,
    connections,
    duration: seconds,
    timeout: 10,
    setupClient: (client: AutocannonClient) => client.setRequests([requestFor(next++)]),
  });
}
