/**
 * Faults between client and Worker: three devices sync through a proxy that drops connections
 * before and after the Worker answered, delays, truncates requests and answers, and answers
 * 500/502/503/429 itself, on a random share of requests. Once it behaves, every device ends with
 * exactly what it would have without faults (each device owns some keys, so the end state is
 * known), shared keys keep every acknowledged edit unless a later one replaced it, no change was
 * applied twice, every queue drains and every stored version decrypts.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JsonObject } from "../../client/core/merge/json-value.ts";
import { FAULT_KINDS, startFaultProxy, type FaultKind } from "../support/fault-proxy.ts";
import { freshKey, freshUser } from "../support/sync-clients.ts";
import { startWorkerServer, type WorkerServer } from "../support/worker-server.ts";
import { leaves } from "./support/doc-model.ts";
import { serverView } from "./support/server-view.ts";
import { settle } from "./support/settle.ts";
import { SimDevice, type Op } from "./support/sim-device.ts";
import { bySoak, seedFor } from "./support/soak-mode.ts";

const HOUR = 3_600_000;
const DOCS = ["default", "notes"] as const;
/** What a sync may answer while the proxy misbehaves, besides `network` (which queues the change). */
const REFUSED = ["rate_limited", "conflict"] as const;

/** An edit, with `own` keys written only by the device making it. */
type Edit = { kind: "own" | "shared"; key: string; remove: boolean } | { kind: "record"; drop: number | null };

type Step =
  | { kind: "edit"; device: number; edit: Edit }
  | { kind: "sync"; device: number; doc: string }
  | { kind: "race"; doc: string }
  | { kind: "download"; device: number; doc: string }
  | { kind: "restart"; device: number };

const device = fc.nat(2);
const doc = fc.constantFrom(...DOCS);
const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    kind: fc.constantFrom("own" as const, "shared" as const),
    key: fc.constantFrom("a", "b", "c"),
    remove: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("record" as const), drop: fc.option(fc.nat(5)) }),
);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("edit" as const), device, edit: editArb }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("sync" as const), device, doc }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("race" as const), doc }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("download" as const), device, doc }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("restart" as const), device }) },
);
const scenarioArb = fc.record({
  proxySeed: fc.integer(),
  share: fc.double({ min: 0.1, max: 0.5, noNaN: true }),
  skews: fc.array(fc.integer({ min: -HOUR, max: HOUR }), { minLength: 3, maxLength: 3 }),
  steps: fc.array(stepArb, { minLength: 8, maxLength: bySoak(30, 60) }),
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function opFor(deviceId: string, edit: Edit): Op {
  if (edit.kind === "record") {
    return edit.drop === null
      ? { kind: "addRecord", doc: "default", list: "conversation_history" }
      : { kind: "dropRecord", doc: "default", list: "conversation_history", pick: edit.drop };
  }
  const key = edit.kind === "own" ? `${deviceId}-${edit.key}` : edit.key;
  return { kind: edit.remove ? "delete" : "set", doc: "notes", path: [key] };
}

/** The leaves of `notes` that belong to `deviceId`. */
function owned(data: JsonObject, deviceId: string): Record<string, unknown> {
  return Object.fromEntries([...leaves(data)].filter(([path]) => path.startsWith(`/${deviceId}-`)));
}

let server: WorkerServer;
const injected = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
beforeAll(async () => {
  // Every version stays readable, so the check for changes applied twice sees the whole history.
  server = await startWorkerServer({ vars: { HISTORY_RETENTION: "100000" }, logLevel: "none" });
});
afterAll(async () => {
  await server?.stop();
});

async function run(scenario: Scenario): Promise<void> {
  const [username, key] = [freshUser("faults"), freshKey()];
  const proxy = await startFaultProxy(server.url, { seed: scenario.proxySeed, share: scenario.share, maxDelayMs: 150 });
  let advance = 0;
  try {
    const devices = await Promise.all(
      scenario.skews.map((skewMs, i) =>
        SimDevice.create({ url: proxy.url, username, key, id: `dev${i}`, skewMs, advance: () => advance }),
      ),
    );
    const at = (i: number) => devices[i % devices.length]!;
    for (const step of scenario.steps) {
      if (step.kind === "edit") at(step.device).apply(opFor(at(step.device).id, step.edit));
      else if (step.kind === "sync") await at(step.device).sync(step.doc, REFUSED);
      else if (step.kind === "race") await Promise.all(devices.map((d) => d.sync(step.doc, REFUSED)));
      else if (step.kind === "download") await at(step.device).download(step.doc, REFUSED);
      else await at(step.device).restart();
    }
    const expected = devices.map((d) => owned(d.data("notes"), d.id));

    proxy.enabled = false;
    // Past any Retry-After the proxy sent: the clients may ask again.
    advance = 120_000;
    const settled = await settle(devices, DOCS, await serverView(server.url, username, key));
    const notes = (settled.get("notes") ?? {}) as JsonObject;
    devices.forEach((d, i) => {
      expect([d.id, owned(notes, d.id)]).toEqual([d.id, expected[i]]);
    });
  } finally {
    for (const k of FAULT_KINDS) injected[k] += proxy.injected[k];
    await proxy.stop();
  }
}

describe("a client behind a faulty network", () => {
  it(
    "ends as without faults once the network behaves, applies nothing twice and drains its queue",
    async () => {
      await fc.assert(fc.asyncProperty(scenarioArb, run), {
        seed: seedFor(0xfa_0175),
        numRuns: bySoak(12, 80),
        endOnFailure: true,
      });
      // The runs above met every kind of fault.
      for (const kind of FAULT_KINDS) expect([kind, injected[kind] > 0]).toEqual([kind, true]);
    },
    bySoak(120_000, 600_000),
  );
});
