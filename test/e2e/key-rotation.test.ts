import { describe, expect, it } from "vitest";
import { deriveAuthToken } from "../../client/core/crypto/credential.ts";
import { Fernet } from "../../client/core/crypto/fernet.ts";
import { freshKey, freshUser, manager, recordingFetch, type WireCall } from "../support/sync-clients.ts";
import { useWorkerServer } from "../support/use-worker-server.ts";

const server = useWorkerServer();

describe("rotateKey", () => {
  it("re-encrypts every document under the new key and moves the credential to it", async () => {
    const [user, oldKey, newKey] = [freshUser(), freshKey(), freshKey()];
    const laptop = await manager(server.url, { key: oldKey, deviceId: "laptop" });
    await laptop.syncUpload(user, { theme: "dark" });
    await laptop.syncUpload(user, { turns: 2 }, { doc: "memory" });
    const phone = await manager(server.url, { key: oldKey, deviceId: "phone" });
    expect(await phone.syncDownload(user)).toEqual({ theme: "dark" });

    const rotated = await laptop.rotateKey(user, newKey);
    expect(rotated.documents.sort((a, b) => a.doc.localeCompare(b.doc))).toEqual([
      { doc: "default", version: 2 },
      { doc: "memory", version: 2 },
    ]);

    // The current tokens open with the new key alone; the old credential is refused.
    const newFernet = await Fernet.create(newKey);
    const token = await deriveAuthToken(newKey, user);
    for (const doc of ["default", "memory"]) {
      const res = await fetch(`${server.url}/v1/users/${user}/docs/${doc}`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      await expect(newFernet.decrypt(new Uint8Array(await res.arrayBuffer()))).resolves.toBeInstanceOf(Uint8Array);
    }
    await expect(phone.syncDownload(user)).rejects.toMatchObject({ code: "unauthorized" });

    const newPhone = await manager(server.url, { key: newKey, deviceId: "phone" });
    expect(await newPhone.syncDownload(user)).toEqual({ theme: "dark" });
    expect(await newPhone.syncDownload(user, { doc: "memory" })).toEqual({ turns: 2 });
    expect((await laptop.bidirectionalSync(user, { theme: "light" })).data).toEqual({ theme: "light" });
  });

  it("keeps history from before the rotation readable with both keys, and names the key without them", async () => {
    const [user, oldKey, newKey] = [freshUser(), freshKey(), freshKey()];
    const laptop = await manager(server.url, { key: oldKey, deviceId: "laptop" });
    await laptop.syncUpload(user, { era: "old" });
    await laptop.rotateKey(user, newKey);
    expect((await laptop.getVersion(user, { version: 1 })).data).toEqual({ era: "old" });
    const both = await manager(server.url, { key: [newKey, oldKey], deviceId: "tablet" });
    expect((await both.getVersion(user, { version: 1 })).data).toEqual({ era: "old" });
    const newOnly = await manager(server.url, { key: newKey, deviceId: "phone" });
    await expect(newOnly.getVersion(user, { version: 1 })).rejects.toMatchObject({ code: "wrong_key" });
    expect(await newOnly.syncDownload(user)).toEqual({ era: "old" });
  });

  it("moves the credential before writing any re-encrypted version, so the old key opens nothing meanwhile", async () => {
    const [user, oldKey, newKey, calls] = [freshUser(), freshKey(), freshKey(), [] as WireCall[]];
    const laptop = await manager(server.url, { key: oldKey, deviceId: "laptop", fetch: recordingFetch(calls) });
    await laptop.syncUpload(user, { theme: "dark" });
    await laptop.syncUpload(user, { turns: 2 }, { doc: "memory" });
    calls.length = 0;
    await laptop.rotateKey(user, newKey);
    const moved = calls.findIndex((c) => c.method === "PUT" && c.path.endsWith("/credential"));
    const firstWrite = calls.findIndex((c) => c.method === "PUT" && c.path.includes("/docs/"));
    expect(calls[moved]).toMatchObject({ status: 204 });
    expect(firstWrite).toBeGreaterThan(moved);
    // A thief's copy of the old key is refused from the moment the credential moved.
    const thief = await manager(server.url, { key: oldKey, deviceId: "thief" });
    await expect(thief.syncUpload(user, { stolen: true })).rejects.toMatchObject({ code: "unauthorized" });
  });

  it("refuses a malformed new key before touching the server", async () => {
    const laptop = await manager(server.url, { key: freshKey(), deviceId: "laptop" });
    await expect(laptop.rotateKey(freshUser(), "not-a-key")).rejects.toMatchObject({ code: "invalid_key" });
  });
});
