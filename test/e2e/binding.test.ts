/**
 * The token binding against the Worker in workerd over real HTTP: what someone holding only the
 * bearer token (not the key) can still do with the server's own routes, moving or copying stored
 * tokens, and what every device then does: refuse (`tamper_detected`), merging and writing nothing.
 * Also: a gap over pruned versions is reported, data written by the previous release (tokens
 * without a binding) stays readable, and history shows the device sealed inside each token.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deriveAuthToken } from "../../client/core/crypto/credential.ts";
import { Fernet } from "../../client/core/crypto/fernet.ts";
import type { SyncManager } from "../../client/core/manager.ts";
import { ApiClient } from "../../client/core/wire/api-client.ts";
import { encodeEnvelope, pythonTimestamp, type Envelope } from "../../client/core/wire/envelope.ts";
import { tokenHash } from "../../client/core/sync/integrity.ts";
import { freshKey, freshUser, manager } from "../support/sync-clients.ts";
import { startWorkerServer, type WorkerServer } from "../support/worker-server.ts";
import { failure } from "../support/sync-failure.ts";

let server: WorkerServer;
let pruning: WorkerServer;
beforeAll(async () => {
  [server, pruning] = await Promise.all([startWorkerServer(), startWorkerServer({ vars: { HISTORY_RETENTION: "2" } })]);
});
afterAll(async () => {
  await Promise.all([server.stop(), pruning.stop()]);
});

/** Someone who has the bearer token (a leaked credential, a hostile server operator) but not the key. */
function tokenHolder(url: string, key: string, user: string, deviceId = "attacker"): ApiClient {
  return new ApiClient({ baseUrl: url, deviceId, token: () => deriveAuthToken(key, user) });
}

/** What a device keeps between syncs, less the error it last met: refusing must leave it as it was. */
async function kept(device: SyncManager, user: string): Promise<unknown> {
  const { lastError: _, ...status } = (await device.getSyncStatus(user)).documents[0]!;
  return status;
}

describe("a restored old token", () => {
  it("refuses a restored old token as the current version, on every device, and writes nothing", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const laptop = await manager(server.url, { key, deviceId: "laptop" });
    const phone = await manager(server.url, { key, deviceId: "phone" });
    await laptop.syncUpload(user, { balance: 100, note: "old" });
    expect((await phone.bidirectionalSync(user, { balance: 100, note: "old" })).data).toEqual({
      balance: 100,
      note: "old",
    });
    expect((await phone.bidirectionalSync(user, { balance: 5, note: "new" })).version).toBe(2);
    expect((await laptop.bidirectionalSync(user, { balance: 100, note: "old" })).data).toEqual({
      balance: 5,
      note: "new",
    });

    const holder = tokenHolder(server.url, key, user);
    // The server-side restore route is gone: it would copy an old token under a new number.
    const route = await fetch(`${server.url}/v1/users/${user}/docs/default/versions/1/restore`, {
      method: "POST",
      headers: { Authorization: `Bearer ${await deriveAuthToken(key, user)}`, "X-Device-Id": "attacker" },
    });
    expect(route.status).toBe(404);
    // The same copy by hand: version 1's bytes written again as version 3.
    const old = (await holder.getVersion(user, "default", 1))!.bytes;
    expect(await holder.putDocument(user, "default", old, { ifMatch: 2 })).toMatchObject({ ok: true });

    for (const [device, data] of [
      [laptop, { balance: 5, note: "new" }],
      [phone, { balance: 5, note: "new" }],
    ] as const) {
      const before = await kept(device, user);
      const error = await failure(device.bidirectionalSync(user, data));
      expect(error.code).toBe("tamper_detected");
      expect(error.message).toContain('served document "default"');
      expect(error.message).toContain('as version 3, but the token says it is version 1 of document "default"');
      expect(error.message).toContain("Nothing was merged");
      expect(await kept(device, user)).toEqual(before);
    }
    expect((await holder.listVersions(user, "default")).map((v) => v.version)).toEqual([3, 2, 1]);
  });

  it("still restores through the client: the old content becomes a new version on top of the current one", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const laptop = await manager(server.url, { key, deviceId: "laptop" });
    const phone = await manager(server.url, { key, deviceId: "phone" });
    await laptop.syncUpload(user, { balance: 100, note: "old" });
    await phone.bidirectionalSync(user, { balance: 100, note: "old" });
    await phone.bidirectionalSync(user, { balance: 5, note: "new" });
    expect(await laptop.rollback(user, { version: 1 })).toMatchObject({ version: 3, restoredFrom: 1 });
    expect((await phone.bidirectionalSync(user, { balance: 5, note: "new" })).data).toEqual({
      balance: 100,
      note: "old",
    });
  });
});

describe("a token of another document", () => {
  it("refuses a token of another document served under this name", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const device = await manager(server.url, { key, deviceId: "laptop" });
    await device.syncUpload(user, { keys: "secret" }, { doc: "other" });
    await device.syncUpload(user, { mine: 1 });
    const holder = tokenHolder(server.url, key, user);
    const foreign = (await holder.getDocument(user, "other")) as { bytes: Uint8Array };
    expect(await holder.putDocument(user, "default", foreign.bytes, { ifMatch: 1 })).toMatchObject({ ok: true });
    const fresh = await manager(server.url, { key, deviceId: "fresh" });
    for (const reader of [device, fresh]) {
      const error = await failure(reader.syncDownload(user));
      expect(error.code).toBe("tamper_detected");
      expect(error.message).toContain('the token says it is version 1 of document "other"');
    }
  });

  it("refuses another document's token written after a delete, and writes nothing on top of it", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const device = await manager(server.url, { key, deviceId: "laptop" });
    await device.syncUpload(user, { keys: "foreign" }, { doc: "other" });
    await device.syncUpload(user, { mine: 1 });
    await device.syncUpload(user, { mine: 2 });
    const holder = tokenHolder(server.url, key, user);
    const foreign = (await holder.getDocument(user, "other")) as { bytes: Uint8Array };
    await holder.deleteDocument(user, "default");
    expect(await holder.putDocument(user, "default", foreign.bytes, { ifNoneMatch: "*" })).toMatchObject({
      ok: true,
      info: { version: 4 },
    });
    const error = await failure(device.bidirectionalSync(user, { mine: 2, more: true }));
    expect(error.code).toBe("tamper_detected");
    expect((await holder.listVersions(user, "default")).map((v) => v.version)).toEqual([4]);
  });
});

describe("a gap in the history", () => {
  it("reports a gap over a pruned predecessor as unverifiable", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const laptop = await manager(pruning.url, { key, deviceId: "laptop" });
    const phone = await manager(pruning.url, { key, deviceId: "phone" });
    await laptop.bidirectionalSync(user, { step: 0 });
    for (let step = 1; step <= 6; step++) await phone.bidirectionalSync(user, { step });
    // Versions 2 to 5 lie between what the laptop saw (1) and the current one (7); retention keeps 6 and 7.
    expect((await laptop.bidirectionalSync(user, { step: 0 })).data).toEqual({ step: 6 });
    const [status] = (await laptop.getSyncStatus(user)).documents;
    expect(status?.unverifiedHistory).toMatchObject({ from: 1, to: 7, at: expect.any(String) });
    const [checked] = (await phone.getSyncStatus(user)).documents;
    expect(checked?.unverifiedHistory).toBeNull();
  });

  it("refuses a token without a binding after a pruned gap as unverifiable_history", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const laptop = await manager(pruning.url, { key, deviceId: "laptop" });
    await laptop.syncUpload(user, { step: 0 });
    const old = await previousRelease(pruning.url, key, user, "old-device");
    let base = await tokenHash(((await old.api.getDocument(user, "default")) as { bytes: Uint8Array }).bytes);
    for (let step = 1; step <= 4; step++) base = await old.write({ step }, base, step);
    const error = await failure(laptop.syncDownload(user));
    expect(error.code).toBe("unverifiable_history");
    expect(error.message).toContain("Version 5 of");
    expect(error.message).toContain("versions 2 to 4 before it can no longer be read");
  });
});

/**
 * A device of the previous release: it seals `{username, device_id, timestamp, data, sync}` with a
 * `sync` that has `base` but no `doc` or `version`, and writes without `X-Sync-Version`.
 */
async function previousRelease(url: string, key: string, user: string, deviceId: string) {
  const fernet = await Fernet.create(key);
  const api = tokenHolder(url, key, user, deviceId);
  let counter = 0;
  return {
    api,
    /** Writes `data` on top of the version whose hash is `base` (version `after`, 0 for none); returns its hash. */
    async write(data: Envelope["data"], base: string | null, after: number): Promise<string> {
      counter += 1;
      const envelope: Envelope = {
        username: user,
        device_id: deviceId,
        timestamp: pythonTimestamp(Date.now()),
        data,
        sync: {
          v: 1,
          base,
          counter,
          hlc: `${String(Date.now()).padStart(13, "0")}:0000:${deviceId}`,
          clocks: { "": `${String(Date.now()).padStart(13, "0")}:0000:${deviceId}` },
        },
      };
      const bytes = await fernet.encrypt(await encodeEnvelope(envelope, { compress: false }));
      const outcome = await api.putDocument(
        user,
        "default",
        bytes,
        after === 0 ? { ifNoneMatch: "*" } : { ifMatch: after },
      );
      expect(outcome.ok).toBe(true);
      return tokenHash(bytes);
    },
  };
}

describe("data written by the previous release", () => {
  it("reads tokens without a binding as a first read and as versions that chain, and binds its next write", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const old = await previousRelease(server.url, key, user, "old-laptop");
    const first = await old.write({ a: 1 }, null, 0);
    const upgraded = await manager(server.url, { key, deviceId: "upgraded" });
    expect(await upgraded.syncDownload(user)).toEqual({ a: 1 });
    // The old device keeps writing for a while: its next version chains onto what the upgraded one saw.
    await old.write({ a: 1, b: 2 }, first, 1);
    expect((await upgraded.bidirectionalSync(user, { a: 1 })).data).toEqual({ a: 1, b: 2 });
    expect((await upgraded.bidirectionalSync(user, { a: 1, b: 2, c: 3 })).version).toBe(3);
    const written = await upgraded.getVersion(user, { version: 3 });
    expect(written.data).toEqual({ a: 1, b: 2, c: 3 });
    const raw = (await old.api.getVersion(user, "default", 3))!.bytes;
    const sealed = JSON.parse(new TextDecoder().decode(await (await Fernet.create(key)).decrypt(raw))) as Envelope;
    expect(sealed.sync).toMatchObject({ doc: "default", version: 3, base: expect.any(String) });
    // A device new to the document reads the whole mixed history.
    expect(await (await manager(server.url, { key, deviceId: "new" })).syncDownload(user)).toEqual({
      a: 1,
      b: 2,
      c: 3,
    });
  });

  it("refuses an unbound token replayed as a later version that does not chain", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const old = await previousRelease(server.url, key, user, "old-laptop");
    const first = await old.write({ balance: 100 }, null, 0);
    await old.write({ balance: 5 }, first, 1);
    const device = await manager(server.url, { key, deviceId: "upgraded" });
    expect(await device.syncDownload(user)).toEqual({ balance: 5 });
    const replay = (await old.api.getVersion(user, "default", 1))!.bytes;
    expect(await old.api.putDocument(user, "default", replay, { ifMatch: 2 })).toMatchObject({ ok: true });
    const error = await failure(device.syncDownload(user));
    expect(error.code).toBe("fork_detected");
  });
});

describe("who wrote a version", () => {
  it("shows the envelope's device id, not X-Device-Id, in history", async () => {
    const [user, key] = [freshUser(), freshKey()];
    const phone = await manager(server.url, { key, deviceId: "phone" });
    await phone.syncUpload(user, { from: "phone" });
    // A bearer-token holder writes a stored token again, claiming to be the owner's laptop.
    const holder = tokenHolder(server.url, key, user, "owners-laptop");
    const stored = (await holder.getVersion(user, "default", 1))!.bytes;
    expect(await holder.putDocument(user, "default", stored, { ifMatch: 1 })).toMatchObject({ ok: true });
    const history = await phone.listVersions(user);
    expect(history.map((v) => [v.version, v.device_id, v.envelope_device_id, v.device_mismatch])).toEqual([
      [2, "owners-laptop", "phone", true],
      [1, "phone", "phone", false],
    ]);
  });
});
