import { describe, expect, it } from "vitest";
import { MemoryStore } from "../../../../client/core/ports.ts";
import {
  clearUser,
  emptyDocState,
  listDocStates,
  loadUserMeta,
  markServer,
  markSynced,
  moveBase,
  saveUserMeta,
  serverData,
} from "../../../../client/core/sync/state.ts";
import { loadDoc, saveDoc } from "../../../../client/core/sync/state-journal.ts";

const s1 = { data: { a: 1 }, clocks: { "/a": "h1" } };
const s2 = { data: { a: 2 }, clocks: { "/a": "h2" } };

describe("document state", () => {
  it("stores the server's copy only when it differs from the base", () => {
    const state = emptyDocState();
    markSynced(state, s1, 1, "hash1");
    expect(state.server).toEqual({ version: 1, hash: "hash1", data: null });
    expect(serverData(state)).toEqual(s1);
    markServer(state, s2, 2, "hash2");
    expect(state.server?.data).toEqual(s2);
    markServer(state, { data: { a: 1 }, clocks: { "/a": "h1" } }, 3, "hash3");
    expect(state.server?.data).toBeNull();
  });

  it("keeps the server's copy when the application moves ahead of it", () => {
    const state = emptyDocState();
    markSynced(state, s1, 1, "hash1");
    moveBase(state, s2);
    expect(state.base).toEqual(s2);
    expect(serverData(state)).toEqual(s1);
  });

  it("persists per user and document, and forgets a user whole", async () => {
    const store = new MemoryStore();
    const state = emptyDocState();
    markSynced(state, s1, 1, "h");
    await saveDoc(store, "alice", "default", state, undefined);
    await saveDoc(store, "alice", "notes", emptyDocState(), undefined);
    await saveUserMeta(store, "alice", { ...(await loadUserMeta(store, "alice")), counter: 4 });
    await saveDoc(store, "bob", "default", emptyDocState(), undefined);
    expect((await loadDoc(store, "alice", "default")).state).toEqual(state);
    expect(await listDocStates(store, "alice")).toEqual(["default", "notes"]);
    expect((await loadUserMeta(store, "alice")).counter).toBe(4);
    await clearUser(store, "alice");
    expect(await listDocStates(store, "alice")).toEqual([]);
    expect((await loadUserMeta(store, "alice")).counter).toBe(0);
    expect(await listDocStates(store, "bob")).toEqual(["default"]);
  });
});
