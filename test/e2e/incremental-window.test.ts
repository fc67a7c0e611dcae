/**
 * History inside the default 30-day window, end to end against the Worker in workerd: once the
 * writer compacts, the window's whole base is folded (each change carries its undo), so the
 * account holds one whole copy of the document, and still every version restores exactly.
 */
import { describe, expect, it } from "vitest";
import { canonicalJson, type Json, type JsonObject } from "../../client/core/merge/json-value.ts";
import { freshKey, freshUser, manager } from "../support/sync-clients.ts";
import { useWorkerServer } from "../support/use-worker-server.ts";

const server = useWorkerServer({ vars: { RATE_LIMITS: "off" } });

function turn(id: string, i: number): JsonObject {
  return { id, timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), text: `${id} ${"x".repeat(200)}` };
}

describe("history inside the window", () => {
  it("folds the whole base into the snapshot and rebuilds every version from it exactly", async () => {
    const [user, key] = [freshUser("inc-window"), freshKey()];
    const laptop = await manager(server.url, { key, deviceId: "laptop" });
    const phone = await manager(server.url, { key, deviceId: "phone" });
    const seen = new Map<number, string>();
    const keep = async (version: number) => {
      const data = (await laptop.downloadDocuments(user, ["memory"]))["memory"];
      seen.set(version, canonicalJson(data as Json));
    };
    const start = { title: "memory", conversations: Array.from({ length: 20 }, (_, i) => turn(`start-${i}`, i)) };
    const first = await laptop.bidirectionalSync(user, start, { doc: "memory" });
    await keep(first.version!);
    for (let i = 0; i < 24; i++) {
      // Appends, with now and then a key overwritten and a record deleted (a merge's own change).
      const done =
        i % 8 === 3
          ? await laptop.set(user, "memory", "/title", `title ${i}`)
          : await laptop.append(user, "memory", "/conversations", turn(`more-${i}`, 100 + i));
      await keep(done.version);
      if (i % 8 === 6) {
        const data = (await laptop.downloadDocuments(user, ["memory"]))["memory"] as JsonObject;
        const fewer = {
          ...data,
          conversations: (data["conversations"] as JsonObject[]).filter((c) => c["id"] !== `start-${i}`),
        };
        const synced = await laptop.bidirectionalSync(user, fewer, { doc: "memory" });
        await keep(synced.version!);
      }
    }
    const history = await phone.listVersions(user, { doc: "memory" });
    expect(history.some((v) => v.snapshot === true)).toBe(true);
    // The window's base holds no content any more: its place, writer and time stay in the history.
    expect(history.at(-1)).toMatchObject({ version: 1, kind: "folded", device_id: "laptop" });
    expect(history.at(-1)!.size).toBeLessThan(16);
    expect(history[0]!.version).toBe(Math.max(...seen.keys()));

    // Every version, the folded base included, reads back as it was written, on another device.
    for (const [version, expected] of seen) {
      const got = await phone.getVersion(user, { doc: "memory", version });
      expect(canonicalJson(got.data), `version ${version}`).toBe(expected);
    }
    // And the base restores: its content becomes the newest version everywhere.
    const restored = await phone.rollback(user, { doc: "memory", version: 1 });
    expect(canonicalJson(restored.data)).toBe(seen.get(1));
    const onLaptop = (await laptop.downloadDocuments(user, ["memory"]))["memory"];
    expect(canonicalJson(onLaptop as Json)).toBe(seen.get(1));
  });

  it("refuses to rebuild a folded version through a change served in another's place", async () => {
    const [user, key] = [freshUser("inc-window-tamper"), freshKey()];
    const laptop = await manager(server.url, { key, deviceId: "laptop" });
    const start = { conversations: Array.from({ length: 20 }, (_, i) => turn(`start-${i}`, i)) };
    await laptop.bidirectionalSync(user, start, { doc: "memory" });
    for (let i = 0; i < 12; i++) await laptop.append(user, "memory", "/conversations", turn(`more-${i}`, 100 + i));
    expect((await laptop.listVersions(user, { doc: "memory" })).at(-1)?.kind).toBe("folded");
    // A server that answers version 3 with version 4's token: sealed by the user, but for another place.
    const versions = `/v1/users/${user}/docs/memory/versions/`;
    const phone = await manager(server.url, {
      key,
      deviceId: "phone",
      fetch: async (url, init) => {
        const path = new URL(url).pathname;
        return fetch(path === `${versions}3` ? url.replace(`${versions}3`, `${versions}4`) : url, init);
      },
    });
    const error = await phone.getVersion(user, { doc: "memory", version: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "tamper_detected" });
    // Through the honest server the same version reads back.
    const honest = await manager(server.url, { key, deviceId: "tablet" });
    expect(
      ((await honest.getVersion(user, { doc: "memory", version: 1 })).data as JsonObject)["conversations"],
    ).toEqual(start.conversations);
  });
});
