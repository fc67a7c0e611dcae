/**
 * design.* rows: the two candidate transports for incremental sync, measured side by side in one
 * workerd (bench/design-worker/): (a) a change log in R2 only, (b) a per-user SQLite Durable Object
 * as sequencer and index. For users pre-filled with N small changes across 20 documents: "everything
 * after my cursor" when idle and k behind, and the write of one change; each rate a ratio to the
 * constant-answer Worker (bench/baseline-worker) answering the same number of bytes in the same run,
 * and the R2 operations each request made, by billing class, as the design Worker reports them.
 */

import { fileURLToPath } from "node:url";
import autocannon, { type AutocannonClient, type AutocannonRequest, type AutocannonResult } from "autocannon";
import { startWorkerServer, type WorkerServer } from "../test/support/worker-server.ts";
import { countR2Ops, decodeFrames, frameSize, type R2Call } from "./design-worker/change-log.ts";
import { row, type BenchRow } from "./rows.ts";

const DESIGN_CONFIG = fileURLToPath(new URL("design-worker/wrangler.toml", import.meta.url));
const BASELINE_CONFIG = fileURLToPath(new URL("baseline-worker/wrangler.toml", import.meta.url));

/** What each reading user holds: the issue's N = 1000 changes of ~300 bytes across 20 documents. */
const CHANGES = 1000;
const DOCUMENTS = 20;
const CHANGE_BYTES = 300;
/** Reading users: two connections each, so a user's Durable Object sees concurrent requests too. */
const USERS = 8;
const CONNECTIONS = 16;
const ROUNDS = 3;
const SLICE_SECONDS = 2;
const WARM_SECONDS = 1;
/** Above this share of non-2xx answers a rate says nothing about the design: the row is reported missing. */
const MAX_FAILED_SHARE = 0.01;
// Every seeded document name ("doc-00".."doc-19") has the same length, so every frame has this size.
const FRAME_BYTES = frameSize("doc-00", CHANGE_BYTES);

const DESIGNS = [
  { label: "r2", path: "a" },
  { label: "do-sqlite", path: "b" },
] as const;
type Design = (typeof DESIGNS)[number];

/** The read cases: how far behind the head the reader's cursor is (0: idle, nothing new). */
const READS = [
  { label: "idle", behind: 0 },
  { label: "k1", behind: 1 },
  { label: "k10", behind: 10 },
  { label: "k100", behind: 100 },
] as const;

const NOTES = {
  read: (behind: number) =>
    behind === 0
      ? "idle: cursor at the head, nothing to send; baseline = constant answer of 0 bytes"
      : `cursor ${behind} behind: ${behind} framed changes (${behind * FRAME_BYTES} bytes); baseline = constant answer of as many bytes`,
  write: `one ${CHANGE_BYTES}-byte change stored as the user's next number, a user per connection; baseline = constant PUT`,
} as const;

type RequestFactory = (connection: number) => AutocannonRequest;

interface Sample {
  rps: number;
  p50: number;
  completed: number;
  failures: number;
}

interface Case {
  id: string;
  note: string;
  base: RequestFactory;
  designs: Record<Design["label"], RequestFactory>;
}

export async function runDesignBench(): Promise<BenchRow[]> {
  const design = await startWorkerServer({ config: DESIGN_CONFIG });
  let baseline: WorkerServer | undefined;
  try {
    baseline = await startWorkerServer({ config: BASELINE_CONFIG });
    for (let u = 0; u < USERS; u++) {
      const res = await fetch(`${design.url}/seed/r${u}?n=${CHANGES}&docs=${DOCUMENTS}&bytes=${CHANGE_BYTES}`, {
        method: "POST",
      });
      if (!res.ok) throw new Error(`seeding user r${u} failed: ${res.status} ${await res.text()}`);
    }
    const cases = buildCases();
    const rows: BenchRow[] = await operationRows(design.url);

    // Warm both runtimes (isolates, R2 files, SQLite pages, JIT) before anything is timed.
    for (const c of cases) {
      await load(baseline.url, c.base, WARM_SECONDS);
      for (const d of DESIGNS) await load(design.url, c.designs[d.label], WARM_SECONDS);
    }

    for (const c of cases) {
      console.error(`[design] ${c.id}`);
      const base: Sample[] = [];
      const measured: Record<Design["label"], Sample[]> = { r2: [], "do-sqlite": [] };
      // Interleaved, a slice each per round, so load from anything else on the machine hits all alike.
      for (let round = 0; round < ROUNDS; round++) {
        base.push(await load(baseline.url, c.base, SLICE_SECONDS));
        for (const d of DESIGNS) measured[d.label].push(await load(design.url, c.designs[d.label], SLICE_SECONDS));
      }
      const baseSample = median(base);
      for (const d of DESIGNS)
        rows.push(...rateRows(`${c.id}.${d.label}.c${CONNECTIONS}`, measured[d.label], baseSample, c.note));
    }
    return rows;
  } finally {
    await baseline?.stop();
    await design.stop();
  }
}

function buildCases(): Case[] {
  const reads: Case[] = READS.map(({ label, behind }) => ({
    id: `design.changes-since.${label}`,
    note: NOTES.read(behind),
    base: () => lookalike("GET", `/const/${behind * FRAME_BYTES}`),
    designs: {
      r2: (i) => lookalike("GET", `/a/changes/r${i % USERS}?after=${CHANGES - behind}`),
      "do-sqlite": (i) => lookalike("GET", `/b/changes/r${i % USERS}?after=${CHANGES - behind}`),
    },
  }));
  const body = Buffer.alloc(CHANGE_BYTES, 0x61);
  const write = (d: Design): RequestFactory => {
    return (i) => lookalike("PUT", `/${d.path}/change/w${i}/doc-${String(i % DOCUMENTS).padStart(2, "0")}`, body);
  };
  return [
    ...reads,
    {
      id: "design.write-change",
      note: NOTES.write,
      base: () => lookalike("PUT", "/const", body),
      designs: { r2: write(DESIGNS[0]), "do-sqlite": write(DESIGNS[1]) },
    },
  ];
}

// Same header bytes on every target, so the load generator (on the same cores) spends alike.
const LOOKALIKE_HEADERS = { authorization: `Bearer ${"x".repeat(43)}`, "x-device-id": "bench-device-a" };

function lookalike(method: "GET" | "PUT", path: string, body?: Buffer): AutocannonRequest {
  return {
    method,
    path,
    ...(body === undefined ? {} : { body }),
    // A fresh object each time: autocannon writes a PUT's content-length into the headers it is given.
    setupRequest: (request) => ({ ...request, headers: { ...LOOKALIKE_HEADERS } }),
  };
}

/**
 * One probe per case and design, before the load: checks the answer (k changes, in order, of the
 * seeded size) and turns the R2 calls the Worker reports making into Class A / Class B rows.
 */
async function operationRows(origin: string): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const opRows = (id: string, calls: R2Call[], what: string) => {
    const { classA, classB } = countR2Ops(calls);
    const note = `${what}; R2 calls: ${summarize(calls)}`;
    return [
      row({ id: `${id}.r2-class-a`, value: classA, unit: "ops/req", baseline: null, better: "lower", note }),
      row({ id: `${id}.r2-class-b`, value: classB, unit: "ops/req", baseline: null, better: "lower", note }),
    ];
  };
  for (const { label, behind } of READS) {
    for (const d of DESIGNS) {
      const res = await fetch(`${origin}/${d.path}/changes/r0?after=${CHANGES - behind}`);
      const changes = decodeFrames(new Uint8Array(await res.arrayBuffer()));
      const inOrder = changes.every((c, i) => c.seq === CHANGES - behind + 1 + i && c.body.length === CHANGE_BYTES);
      if (res.status !== 200 || changes.length !== behind || !inOrder) {
        throw new Error(
          `${d.label} answered ${res.status} with ${changes.length} changes for a cursor ${behind} behind`,
        );
      }
      const rowsRead = res.headers.get("x-sql-rows-read");
      const what = rowsRead === null ? "per request" : `per request; SQLite rows read: ${rowsRead}`;
      rows.push(...opRows(`design.changes-since.${label}.${d.label}`, callsOf(res), what));
    }
  }
  for (const d of DESIGNS) {
    // The first write of an isolate finds the head (a list in (a)); every later one is what a device pays.
    const first = await fetch(`${origin}/${d.path}/change/probe/doc-00`, { method: "PUT", body: "x" });
    const steady = await fetch(`${origin}/${d.path}/change/probe/doc-00`, { method: "PUT", body: "x" });
    if (!first.ok || !steady.ok || steady.headers.get("x-seq") !== "2") {
      throw new Error(
        `${d.label} write answered ${first.status}, ${steady.status} (seq ${steady.headers.get("x-seq")})`,
      );
    }
    const rowsWritten = steady.headers.get("x-sql-rows-written");
    const what = `per write after the isolate's first (first: ${summarize(callsOf(first))})${rowsWritten === null ? "" : `; SQLite rows written: ${rowsWritten}`}`;
    rows.push(...opRows(`design.write-change.${d.label}`, callsOf(steady), what));
  }
  return rows;
}

function callsOf(res: Response): R2Call[] {
  const header = res.headers.get("x-r2-calls") ?? "";
  return header === "" ? [] : (header.split(",") as R2Call[]);
}

/** "list + 10 get", or "none". */
function summarize(calls: R2Call[]): string {
  const counts = new Map<R2Call, number>();
  for (const call of calls) counts.set(call, (counts.get(call) ?? 0) + 1);
  if (counts.size === 0) return "none";
  return [...counts].map(([call, n]) => (n === 1 ? call : `${n} ${call}`)).join(" + ");
}

function rateRows(id: string, samples: Sample[], base: Sample, note: string): BenchRow[] {
  const ours = median(samples);
  const completed = samples.reduce((a, s) => a + s.completed, 0);
  const failures = samples.reduce((a, s) => a + s.failures, 0);
  const total = completed + failures;
  const missing =
    total === 0
      ? "no request completed"
      : failures / total > MAX_FAILED_SHARE
        ? `${failures} of ${total} requests failed`
        : null;
  const measured = (fields: Omit<BenchRow, "ratio">) =>
    row(missing === null ? fields : { ...fields, value: null, missing });
  return [
    measured({ id: `${id}.rps`, value: ours.rps, unit: "req/s", baseline: base.rps, better: "higher", note }),
    measured({ id: `${id}.p50`, value: ours.p50, unit: "ms", baseline: base.p50, better: "lower" }),
  ];
}

function median(samples: Sample[]): Sample {
  const mid = <T>(values: T[], by: (v: T) => number) => values.map(by).sort((a, b) => a - b)[values.length >> 1]!;
  return {
    rps: mid(samples, (s) => s.rps),
    p50: mid(samples, (s) => s.p50),
    completed: samples.reduce((a, s) => a + s.completed, 0),
    failures: samples.reduce((a, s) => a + s.failures, 0),
  };
}

/** Runs autocannon for one slice; connection i gets the request the factory builds for i. */
async function load(origin: string, requestFor: RequestFactory, seconds: number): Promise<Sample> {
  let next = 0;
  const result: AutocannonResult = await autocannon({
    url: origin,
    connections: CONNECTIONS,
    duration: seconds,
    timeout: 10,
    setupClient: (client: AutocannonClient) => client.setRequests([requestFor(next++)]),
  });
  return {
    rps: result["2xx"] / result.duration,
    p50: result.latency.p50,
    completed: result["2xx"],
    failures: result.non2xx + result.errors + result.timeouts,
  };
}
