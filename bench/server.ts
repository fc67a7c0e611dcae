/**
 * server.* rows: requests per second and p50/p99 latency of authenticated document
 * downloads and uploads through the product Worker in workerd, each measured beside the baseline
 * Worker (constant answer, bare R2) in the same run, on loopback with autocannon.
 */

import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import autocannon, { type AutocannonClient, type AutocannonRequest, type AutocannonResult } from "autocannon";
import { startWorkerServer, type WorkerServer } from "../test/support/worker-server.ts";
import { createAccount, putDocument, type BenchAccount } from "./accounts.ts";
import { row, type BenchRow } from "./rows.ts";

/**
 * Each row interleaves its targets (the constant answer, ours, bare R2, for downloads a bare list)
 * this many times, a slice each, and keeps the medians: more for the rows with a target, since
 * slices here differ by a fifth or more.
 */
const ROUNDS = 5;
const ROUNDS_WITHOUT_TARGET = 3;
const SLICE_SECONDS = 2;
const WARM_ROUNDS = 3;
const SIZES = [
  { label: "1k", bytes: 1024 },
  { label: "64k", bytes: 64 * 1024 },
] as const;
const CONNECTIONS = [16, 64] as const;
const MAX_CONNECTIONS = 64;
const BASELINE_CONFIG = fileURLToPath(new URL("baseline-worker/wrangler.toml", import.meta.url));
// The targets (README, Performance), as ratios of the constant answer's rate at 1 KiB.
const TARGETS = { download: 0.6, upload: 0.3 } as const;
const OP_NOTES = {
  download: "GET of the current version, a user per connection; baseline = constant answer",
  upload:
    "PUT with If-Match (compare-and-swap, as the client writes), a user per connection; baseline = constant answer",
} as const;
/** Above this share of non-2xx answers a rate says nothing about the product: the row is reported missing. */
const MAX_FAILED_SHARE = 0.01;

type Op = "download" | "upload";
type Size = (typeof SIZES)[number];

/** Builds connection i's request: each connection plays one device of its own user. */
type RequestFactory = (connection: number) => AutocannonRequest;

interface Target {
  origin: string;
  requestFor: RequestFactory;
  /** Runs before each slice, untimed. */
  beforeSlice?: () => Promise<void>;
}

export async function runServerBench(): Promise<BenchRow[]> {
  // The rate limiters are off here: locally each limiter call is a Durable Object round trip with
  // a SQLite write. One context row (rateLimitedUploads) measures uploads with the default.
  const product = await startWorkerServer({ vars: { RATE_LIMITS: "off" } });
  let baseline: WorkerServer | undefined;
  try {
    baseline = await startWorkerServer({ config: BASELINE_CONFIG });
    const accounts = await Promise.all(
      Array.from({ length: MAX_CONNECTIONS }, (_, i) => createAccount(product.url, `bench-${i}`)),
    );
    const bodies = new Map<Size["label"], Buffer>();
    for (const size of SIZES) {
      // A real token over random plaintext of the document's size; the server never looks inside,
      // so every user may send the same bytes without changing what it does.
      const token = await accounts[0]!.fernet.encrypt(randomBytes(size.bytes));
      bodies.set(size.label, Buffer.from(token));
      await Promise.all(
        accounts.map((a, i) =>
          Promise.all([
            putDocument(product.url, a, `dl-${size.label}`, token),
            fetch(`${baseline!.url}/r2/dl-${size.label}-${i}`, {
              method: "PUT",
              body: token as Uint8Array<ArrayBuffer>,
            }).then((r) => r.arrayBuffer()),
          ]),
        ),
      );
    }

    // Warm both runtimes (isolates, R2 files, JIT) before anything is timed: a few slices each, as
    // the product's larger code path keeps getting faster for longer than a constant answer does.
    const warm = SIZES[0];
    for (let round = 0; round < WARM_ROUNDS; round++) {
      await load(baseline.url, 16, constant("download", warm, bodies));
      await load(product.url, 16, productRequests(product.url, "download", warm, 16, accounts, bodies).requestFor);
      await load(baseline.url, 16, bareR2("download", warm, bodies));
    }

    const rows: BenchRow[] = [];
    for (const op of ["download", "upload"] as const) {
      for (const size of SIZES) {
        for (const connections of CONNECTIONS) {
          const name = `${op}.${size.label}.c${connections}`;
          console.error(`[server] ${name}`);
          const targets: Partial<Record<keyof Measured, Target>> = {
            base: { origin: baseline.url, requestFor: constant(op, size, bodies) },
            ours: productRequests(product.url, op, size, connections, accounts, bodies),
            r2: { origin: baseline.url, requestFor: bareR2(op, size, bodies) },
            ...(op === "download" ? { r2List: { origin: baseline.url, requestFor: bareR2List(size, bodies) } } : {}),
          };
          const slices = await interleaved(targets, connections, size.label === "1k" ? ROUNDS : ROUNDS_WITHOUT_TARGET);
          const r2List = slices.r2List.length === 0 ? {} : { r2List: combine(slices.r2List) };
          const spread = roundRatios(slices.ours, slices.base);
          rows.push(
            ...rowsFor(
              op,
              size,
              connections,
              { base: combine(slices.base), ours: combine(slices.ours), r2: combine(slices.r2), ...r2List },
              spread,
            ),
          );
        }
      }
    }
    rows.push(await changesSince(product.url, baseline.url, accounts.slice(0, CONTEXT_CONNECTIONS), bodies));
    rows.push(await uploadWithListeners(product.url, baseline.url, accounts.slice(0, CONTEXT_CONNECTIONS), bodies));
    rows.push(await rateLimitedUploads(baseline.url, bodies));
    return rows;
  } finally {
    await baseline?.stop();
    await product.stop();
  }
}

/** The cursor read's target, as a share of the constant answer's rate (README, Performance). */
const CHANGES_SINCE_TARGET = 0.6;

/** The context rows (listening, rate-limited) compare with upload.1k.c16. */
const CONTEXT_CONNECTIONS = 16;

/**
 * The incremental read: `GET /v1/users/:u/changes?after=<head - 1>`, each user's newest entry (a 1
 * KiB token, inline) from the account's index, against the constant answer of the same size.
 */
async function changesSince(
  origin: string,
  baselineOrigin: string,
  accounts: BenchAccount[],
  bodies: Map<string, Buffer>,
): Promise<BenchRow> {
  const size = SIZES[0];
  console.error(`[server] changes-since.${size.label}.c${CONTEXT_CONNECTIONS}`);
  const heads = await Promise.all(
    accounts.map(async (account) => {
      const res = await fetch(`${origin}/v1/users/${account.username}/changes?after=0`, { headers: account.headers });
      await res.arrayBuffer();
      return Number(res.headers.get("x-sync-head"));
    }),
  );
  const ours: Target = {
    origin,
    requestFor: (i) => ({
      method: "GET",
      path: `/v1/users/${accounts[i]!.username}/changes?after=${heads[i]! - 1}`,
      setupRequest: (request) => ({ ...request, headers: { ...accounts[i]!.headers } }),
    }),
  };
  const slices = await interleaved(
    { base: { origin: baselineOrigin, requestFor: constant("download", size, bodies) }, ours },
    CONTEXT_CONNECTIONS,
    ROUNDS,
  );
  const sample = combine(slices.ours);
  const failure = failedReason(sample);
  const baseRate = combine(slices.base).rps;
  return row({
    id: `server.changes-since.${size.label}.c${CONTEXT_CONNECTIONS}.rps`,
    value: failure === null ? sample.rps : null,
    ...(failure === null ? {} : { missing: failure }),
    unit: "req/s",
    baseline: baseRate,
    target: CHANGES_SINCE_TARGET,
    better: "higher",
    note: `a cursor read answering the user's newest entry (1 KiB, inline in the hub's index); p50 ${sample.p50} ms, p99 ${sample.p99} ms`,
  });
}

/** Uploads while every user has a device listening on its live socket, so each write is announced. For context. */
async function uploadWithListeners(
  origin: string,
  baselineOrigin: string,
  accounts: BenchAccount[],
  bodies: Map<string, Buffer>,
): Promise<BenchRow> {
  const sockets = await Promise.all(accounts.map((a) => openListener(origin, a)));
  try {
    return await uploadContextRow(
      "listening",
      "with a device of each user listening on its live socket (every write announced)",
      origin,
      baselineOrigin,
      accounts,
      bodies,
    );
  } finally {
    for (const socket of sockets) socket.close(1000, "bench done");
  }
}

/** Uploads through a product Worker of its own with RATE_LIMITS at its default (`writes`). For context. */
async function rateLimitedUploads(baselineOrigin: string, bodies: Map<string, Buffer>): Promise<BenchRow> {
  const limited = await startWorkerServer();
  try {
    const accounts = await Promise.all(
      Array.from({ length: CONTEXT_CONNECTIONS }, (_, i) => createAccount(limited.url, `bench-limited-${i}`)),
    );
    const note =
      "with RATE_LIMITS at its default (writes): each write also counts against its user's limiter, locally a Durable Object call";
    return await uploadContextRow("rate-limited", note, limited.url, baselineOrigin, accounts, bodies, { warm: true });
  } finally {
    await limited.stop();
  }
}

/** A 1 KiB upload row at 16 connections for context: `variant` names what differs from upload.1k.c16. */
async function uploadContextRow(
  variant: string,
  what: string,
  origin: string,
  baselineOrigin: string,
  accounts: BenchAccount[],
  bodies: Map<string, Buffer>,
  options: { warm?: boolean } = {},
): Promise<BenchRow> {
  const size = SIZES[0];
  console.error(`[server] upload.${size.label}.c${CONTEXT_CONNECTIONS}.${variant}`);
  const ours = productRequests(origin, "upload", size, CONTEXT_CONNECTIONS, accounts, bodies, variant);
  // A server of its own starts cold: one untimed slice first, as the main rows had their warm-up.
  if (options.warm === true) {
    await ours.beforeSlice?.();
    await load(origin, CONTEXT_CONNECTIONS, ours.requestFor);
  }
  const slices = await interleaved(
    { base: { origin: baselineOrigin, requestFor: constant("upload", size, bodies) }, ours },
    CONTEXT_CONNECTIONS,
    ROUNDS,
  );
  return contextRow(
    `server.upload.${size.label}.c${CONTEXT_CONNECTIONS}.${variant}.rps`,
    combine(slices.ours),
    combine(slices.base).rps,
    `as upload.1k.c16, ${what}`,
  );
}

/** A device of `account` on the live route, open (announcements are received and dropped). */
function openListener(origin: string, account: BenchAccount): Promise<WebSocket> {
  const url = `${origin.replace(/^http/, "ws")}/v1/users/${account.username}/live?device_id=bench-listener`;
  const socket = new WebSocket(url, ["cloud-sync.v1", `bearer.${account.token}`]);
  return new Promise((resolve, reject) => {
    socket.addEventListener("open", () => resolve(socket), { once: true });
    socket.addEventListener("error", () => reject(new Error(`live socket for ${account.username} failed to open`)), {
      once: true,
    });
  });
}

/**
 * Runs `rounds` rounds of one slice per target, in a fixed order within each round, so load from
 * anything else on the shared machine hits all targets alike.
 */
async function interleaved(
  targets: Partial<Record<keyof Measured, Target>>,
  connections: number,
  rounds: number,
): Promise<Record<keyof Measured, Sample[]>> {
  const slices: Record<keyof Measured, Sample[]> = { base: [], ours: [], r2: [], r2List: [] };
  for (let round = 0; round < rounds; round++) {
    for (const key of ["base", "ours", "r2", "r2List"] as const) {
      const target = targets[key];
      if (target === undefined) continue;
      await target.beforeSlice?.();
      slices[key].push(await load(target.origin, connections, target.requestFor));
    }
  }
  return slices;
}

/** One slice's figures, or their medians over the rounds. */
interface Sample {
  rps: number;
  p50: number;
  p99: number;
  completed: number;
  failed: { non2xx: number; errors: number; timeouts: number };
}

interface Measured {
  base: Sample;
  ours: Sample;
  r2: Sample;
  /** Downloads only: a bare R2 list plus a body from memory. */
  r2List?: Sample;
}

function combine(samples: Sample[]): Sample {
  const median = (pick: (s: Sample) => number) => {
    const sorted = samples.map(pick).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  };
  const sum = (pick: (s: Sample) => number) => samples.reduce((a, s) => a + pick(s), 0);
  return {
    rps: median((s) => s.rps),
    p50: median((s) => s.p50),
    p99: median((s) => s.p99),
    completed: sum((s) => s.completed),
    failed: {
      non2xx: sum((s) => s.failed.non2xx),
      errors: sum((s) => s.failed.errors),
      timeouts: sum((s) => s.failed.timeouts),
    },
  };
}

/**
 * The lowest and highest ratio of one round's slices (ours over the baseline's slice just before
 * it): how far a single round strays from the median this row reports.
 */
function roundRatios(ours: Sample[], base: Sample[]): { min: number; max: number } {
  const ratios = ours.map((s, i) => s.rps / base[i]!.rps);
  return { min: Math.min(...ratios), max: Math.max(...ratios) };
}

function rowsFor(
  op: Op,
  size: Size,
  connections: number,
  { base, ours, r2, r2List }: Measured,
  spread: { min: number; max: number },
): BenchRow[] {
  const name = `${op}.${size.label}.c${connections}`;
  const target = size.label === "1k" ? { target: TARGETS[op] } : {};
  const failure = failedReason(ours);
  const baseRate = base.rps;
  const measured = <T extends object>(fields: T) =>
    failure === null ? fields : { ...fields, value: null, missing: failure };
  return [
    row(
      measured({
        id: `server.${name}.rps`,
        value: ours.rps,
        unit: "req/s",
        baseline: baseRate,
        better: "higher" as const,
        ...target,
        note: `${OP_NOTES[op]}; single rounds ${spread.min.toFixed(2)} to ${spread.max.toFixed(2)}`,
      }),
    ),
    row(
      measured({ id: `server.${name}.p50`, value: ours.p50, unit: "ms", baseline: base.p50, better: "lower" as const }),
    ),
    row(
      measured({ id: `server.${name}.p99`, value: ours.p99, unit: "ms", baseline: base.p99, better: "lower" as const }),
    ),
    contextRow(
      `server.${op === "download" ? "r2-read" : "r2-write"}.${size.label}.c${connections}.rps`,
      r2,
      baseRate,
      "bare R2 Worker, for context",
    ),
    ...(r2List === undefined
      ? []
      : [
          contextRow(
            `server.r2-list.${size.label}.c${connections}.rps`,
            r2List,
            baseRate,
            "bare R2 list of one key, body from memory: a versioned download's floor, for context",
          ),
        ]),
  ];
}

/** A rate row without a target, reported missing when too many of its requests failed. */
function contextRow(id: string, sample: Sample, baselineRate: number, note: string): BenchRow {
  const failure = failedReason(sample);
  return row({
    id,
    value: failure === null ? sample.rps : null,
    unit: "req/s",
    baseline: baselineRate,
    better: "higher",
    note,
    ...(failure === null ? {} : { missing: failure }),
  });
}

function failedReason({ completed, failed }: Sample): string | null {
  const failures = failed.non2xx + failed.errors + failed.timeouts;
  const total = completed + failures;
  if (total === 0) return "no request completed";
  if (failures / total > MAX_FAILED_SHARE) {
    return `${failures} of ${total} requests failed (non-2xx ${failed.non2xx}, errors ${failed.errors}, timeouts ${failed.timeouts})`;
  }
  return null;
}

/** The product's routes, as our client calls them: GET a document; PUT with compare-and-swap on the version. */
function productRequests(
  origin: string,
  op: Op,
  size: Size,
  connections: number,
  accounts: BenchAccount[],
  bodies: Map<string, Buffer>,
  variant = "",
): Target {
  const doc =
    op === "download" ? `dl-${size.label}` : `up-${size.label}-c${connections}${variant === "" ? "" : `-${variant}`}`;
  const path = (account: BenchAccount) => `/v1/users/${account.username}/docs/${doc}`;
  if (op === "download") {
    return {
      origin,
      requestFor: (i) => ({
        method: "GET",
        path: path(accounts[i]!),
        setupRequest: (request) => ({ ...request, headers: { ...accounts[i]!.headers } }),
      }),
    };
  }
  // A fresh document per row: the first write is a create (If-None-Match: *), every later one carries
  // If-Match with the version the previous answer gave, exactly as a device writes.
  const versions: Array<number | null> = accounts.map(() => null);
  return {
    origin,
    // A slice ends with writes in flight whose answers are never read: learn where each document got to.
    beforeSlice: async () => {
      await Promise.all(
        accounts.slice(0, connections).map(async (account, i) => {
          const res = await fetch(`${origin}${path(account)}`, { method: "HEAD", headers: account.headers });
          versions[i] = res.status === 200 ? Number(res.headers.get("etag")?.replaceAll('"', "")) : null;
        }),
      );
    },
    requestFor: (i) => ({
      method: "PUT",
      path: path(accounts[i]!),
      body: bodies.get(size.label)!,
      setupRequest: (request) => ({
        ...request,
        headers: {
          ...accounts[i]!.headers,
          "content-type": "application/octet-stream",
          ...(versions[i] === null ? { "if-none-match": "*" } : { "if-match": `"${versions[i]}"` }),
        },
      }),
      onResponse: (status, body, _context, headers) => {
        if (status === 200 || status === 201) versions[i] = (JSON.parse(body) as { version: number }).version;
        else if (status === 412 && headers["etag"] !== undefined)
          versions[i] = Number(headers["etag"].replaceAll('"', ""));
      },
    }),
  };
}

/** The bare-list baseline: what a download must do at least when versions live under their own keys. */
function bareR2List(size: Size, bodies: Map<string, Buffer>): RequestFactory {
  return (i) => baselineRequest("GET", `/r2-list/dl-${size.label}-${i}/${bodies.get(size.label)!.length}`);
}

/** The constant-answer baseline: requests of the same size as the product's, no logic behind them. */
function constant(op: Op, size: Size, bodies: Map<string, Buffer>): RequestFactory {
  const body = bodies.get(size.label)!;
  return () =>
    op === "download" ? baselineRequest("GET", `/const/${body.length}`) : baselineRequest("PUT", "/const", body);
}

/** The bare-R2 baseline: one object per connection, read or overwritten. */
function bareR2(op: Op, size: Size, bodies: Map<string, Buffer>): RequestFactory {
  return (i) =>
    op === "download"
      ? baselineRequest("GET", `/r2/dl-${size.label}-${i}`)
      : baselineRequest("PUT", `/r2/up-${size.label}-${i}`, bodies.get(size.label)!);
}

// Same header bytes as the product's requests, and a per-request rebuild like its uploads' CAS
// headers, so the load generator (on the same two cores) spends the same on every target.
const LOOKALIKE_HEADERS = {
  authorization: `Bearer ${"x".repeat(43)}`,
  "x-device-id": "bench-device-a",
  "content-type": "application/octet-stream",
  "if-match": '"1"',
};

// autocannon writes a request's content-length into the headers object it is handed: each request
// gets a copy, or a PUT's length would ride along on later GETs sharing the object (and hang them).
function baselineRequest(method: "GET" | "PUT", path: string, body?: Buffer): AutocannonRequest {
  return {
    method,
    path,
    ...(body === undefined ? {} : { body }),
    setupRequest: (request) => ({ ...request, headers: { ...LOOKALIKE_HEADERS } }),
  };
}

/** Runs autocannon for one slice; connection i gets the request the factory builds for i. */
async function load(origin: string, connections: number, requestFor: RequestFactory): Promise<Sample> {
  let next = 0;
  const result: AutocannonResult = await autocannon({
    url: origin,
    connections,
    duration: SLICE_SECONDS,
    timeout: 10,
    setupClient: (client: AutocannonClient) => client.setRequests([requestFor(next++)]),
  });
  return {
    rps: result["2xx"] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    completed: result["2xx"],
    failed: { non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts },
  };
}
