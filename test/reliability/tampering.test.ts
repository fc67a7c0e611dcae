/**
 * A hostile server, played by a proxy that rewrites the Worker's answers: a bit flipped anywhere in
 * a stored token, a token sealed with another key, a truncated token, an older version replayed
 * (under its own number or the current one), and two devices shown diverging histories. The client
 * reports each with a SyncError code and merges nothing: its stored state of the document is
 * unchanged, and once the server is honest again the same sync succeeds.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deriveAuthToken } from "../../client/core/crypto/credential.ts";
import { encodeEnvelope, pythonTimestamp } from "../../client/core/wire/envelope.ts";
import { SyncError, type SyncErrorCode } from "../../client/core/errors.ts";
import { Fernet } from "../../client/core/crypto/fernet.ts";
import { ApiClient } from "../../client/core/wire/api-client.ts";
import { decodeFrames, encodeFrames, type Frame } from "../../client/core/protocol/change-frames.ts";
import { startFaultProxy, type Exchange, type FaultProxy } from "../support/fault-proxy.ts";
import { freshKey, freshUser } from "../support/sync-clients.ts";
import { startWorkerServer, type WorkerServer } from "../support/worker-server.ts";
import { SimDevice } from "./support/sim-device.ts";
import { bySoak, seedFor } from "./support/soak-mode.ts";

const DOC_READ = /^\/v1\/users\/[^/]+\/docs\/notes$/;
const CHANGES_READ = /^\/v1\/users\/[^/]+\/changes$/;

/** Whole reads (`GET .../docs/notes`, incremental off) or the changes feed (`GET .../changes`). */
let incremental = false;

let server: WorkerServer;
let other: WorkerServer;
let proxy: FaultProxy;
beforeAll(async () => {
  [server, other] = await Promise.all([startWorkerServer(), startWorkerServer()]);
  proxy = await startFaultProxy(server.url, { seed: 1, share: 0 });
});
afterAll(async () => {
  await proxy?.stop();
  await Promise.all([server?.stop(), other?.stop()]);
});

/**
 * Document reads answered 200 get `change` applied to their token (and headers): the whole read's
 * body, or each token of `notes` in the changes feed (`frame` says which entry it is).
 */
function onDocumentReads(change: (token: Uint8Array, exchange: Exchange, frame?: Frame) => Uint8Array): void {
  proxy.rewrite = (exchange, body) => {
    if (exchange.method !== "GET" || exchange.status !== 200) return undefined;
    const path = exchange.path.split("?")[0]!;
    if (!incremental) return DOC_READ.test(path) ? change(body, exchange) : undefined;
    if (!CHANGES_READ.test(path)) return undefined;
    const frames = decodeFrames(body).map((f) =>
      f.header.doc === "notes" && f.token !== null ? { ...f, token: change(f.token, exchange, f) } : f,
    );
    return encodeFrames(frames);
  };
}

/** The feed's answer replaced: `frames` (and headers) instead of what the Worker answered. */
function onChangesReads(answer: (frames: Frame[], exchange: Exchange) => Frame[]): void {
  proxy.rewrite = (exchange, body) =>
    exchange.method === "GET" && exchange.status === 200 && CHANGES_READ.test(exchange.path.split("?")[0]!)
      ? encodeFrames(answer(decodeFrames(body), exchange))
      : undefined;
}

/** What a device keeps of a document, less the error it last met. */
async function kept(device: SimDevice): Promise<unknown> {
  const { lastError: _, ...rest } = await device.docState("notes");
  return rest;
}

/** A writer with a few versions of `notes`, and a reader behind the proxy that has synced them. */
async function scene(versions: number) {
  const [username, key] = [freshUser("tamper"), freshKey()];
  const extra = { incremental };
  const writer = await SimDevice.create({ url: server.url, username, key, id: "writer", skewMs: 0, extra });
  const reader = await SimDevice.create({ url: proxy.url, username, key, id: "reader", skewMs: 0, extra });
  for (let i = 0; i < versions; i++) {
    writer.apply({ kind: "set", doc: "notes", path: [`k${i}`] });
    expect(await writer.sync("notes")).toBe("synced");
    expect(await reader.sync("notes")).toBe("synced");
  }
  writer.apply({ kind: "set", doc: "notes", path: ["latest"] });
  expect(await writer.sync("notes")).toBe("synced");
  const api = new ApiClient({
    baseUrl: server.url,
    deviceId: "inspector",
    token: () => deriveAuthToken(key, username),
  });
  /** Version n's token bytes as the Worker stores them, read around the proxy. */
  const versionBytes = async (n: number) => (await api.getVersion(username, "notes", n))!.bytes;
  return { username, key, writer, reader, versionBytes };
}

/** The reader's next sync must fail with `code`, keep its state, and succeed once the server is honest. */
async function expectRefused(reader: SimDevice, code: SyncErrorCode): Promise<void> {
  reader.apply({ kind: "set", doc: "notes", path: ["local"] });
  const before = await kept(reader);
  const error = await reader.manager.bidirectionalSync(reader.username, reader.data("notes"), { doc: "notes" }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SyncError);
  expect((error as SyncError).code).toBe(code);
  expect((error as SyncError).message).toContain("Nothing was merged");
  expect(await kept(reader)).toEqual(before);
  proxy.rewrite = null;
  proxy.upstream = server.url;
}

describe.each([
  ["whole reads", false],
  ["the changes feed", true],
])("through %s", (_, feed) => {
  beforeAll(() => {
    incremental = feed;
  });

  describe("a tampered token", () => {
    it("with any one bit flipped is reported as wrong_key and merged nowhere", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
          fc.nat(7),
          async (where, bit) => {
            const { reader } = await scene(1);
            onDocumentReads((body) => {
              const out = body.slice();
              const at = Math.floor(where * out.length);
              out[at] = out[at]! ^ (1 << bit);
              return out;
            });
            await expectRefused(reader, "wrong_key");
            expect(await reader.sync("notes")).toBe("synced");
            expect(reader.data("notes")).toMatchObject({ latest: expect.any(String), local: expect.any(String) });
          },
        ),
        { numRuns: bySoak(25, 100), seed: seedFor(0xb17_f11b), endOnFailure: true },
      );
    });

    it("cut short at any length is reported as wrong_key", async () => {
      await fc.assert(
        fc.asyncProperty(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), async (keep) => {
          const { reader } = await scene(1);
          // An empty frame body is a malformed answer (server_error), not a token: the feed keeps one byte.
          onDocumentReads((body) => body.slice(0, Math.max(incremental ? 1 : 0, Math.floor(keep * body.length))));
          await expectRefused(reader, "wrong_key");
        }),
        { numRuns: bySoak(10, 50), seed: seedFor(0x7a_c4ed), endOnFailure: true },
      );
    });

    it("sealed with another key, envelope and all, is reported as wrong_key", async () => {
      const { username, reader } = await scene(2);
      const forged = await (await Fernet.create(freshKey())).encrypt(
        await encodeEnvelope(
          { username, device_id: "writer", timestamp: pythonTimestamp(Date.now()), data: { owned: true } },
          { compress: false },
        ),
      );
      onDocumentReads(() => forged);
      await expectRefused(reader, "wrong_key");
    });
  });

  describe("a server replaying history", () => {
    it("under the older version's number is reported as rollback_detected", async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 2, max: 5 }), fc.nat(), async (versions, pick) => {
          const { reader, versionBytes } = await scene(versions);
          const replayed = 1 + (pick % (versions - 1));
          const old = await versionBytes(replayed);
          if (incremental) {
            // The feed's replay: an answer that ends below the head the device saw, as an older state of the server would.
            onChangesReads((_, exchange) => {
              Object.assign(exchange.headers, { "x-sync-head": String(replayed) });
              return [];
            });
          } else {
            onDocumentReads((_, exchange) => {
              Object.assign(exchange.headers, { etag: `"${replayed}"`, "x-sync-version": String(replayed) });
              return old;
            });
          }
          await expectRefused(reader, "rollback_detected");
        }),
        { numRuns: bySoak(8, 30), seed: seedFor(0x011d_e4), endOnFailure: true },
      );
    });

    it("under the number the device already saw is reported as fork_detected", async () => {
      const { reader, writer, versionBytes } = await scene(3);
      expect(await reader.sync("notes")).toBe("synced");
      const seen = (await reader.docState("notes")).server!.version;
      writer.apply({ kind: "set", doc: "notes", path: ["later"] });
      expect(await writer.sync("notes")).toBe("synced");
      const old = await versionBytes(1);
      if (incremental) {
        // The feed shows version `seen` again, with other bytes.
        onChangesReads((frames) =>
          frames.map((f, i) => (i === 0 ? { header: { ...f.header, version: seen }, token: old } : f)),
        );
      } else {
        onDocumentReads((_, exchange) => {
          Object.assign(exchange.headers, { etag: `"${seen}"`, "x-sync-version": String(seen) });
          return old;
        });
      }
      await expectRefused(reader, "fork_detected");
    });

    it("shown as another history to a device is reported, never merged", async () => {
      await fc.assert(
        // As many versions there as the reader saw would be answered 304: it keeps its own copy.
        fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 5 }), async (seen, elsewhere) => {
          fc.pre(elsewhere !== seen);
          const { username, key, reader } = await scene(seen);
          // The same user and key on another server, written by another device: a diverging history.
          const stranger = await SimDevice.create({
            url: other.url,
            username,
            key,
            id: "stranger",
            skewMs: 0,
            extra: { incremental },
          });
          for (let i = 0; i < elsewhere; i++) {
            stranger.apply({ kind: "set", doc: "notes", path: [`s${i}`] });
            expect(await stranger.sync("notes")).toBe("synced");
          }
          proxy.upstream = other.url;
          // Fewer versions there than the reader saw: a rollback; otherwise a fork.
          await expectRefused(reader, elsewhere < seen ? "rollback_detected" : "fork_detected");
        }),
        { numRuns: bySoak(6, 20), seed: seedFor(0xf0_4c), endOnFailure: true },
      );
    });
  });
});
