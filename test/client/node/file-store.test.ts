import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeSegment, defaultDataDir, encodeSegment, FileStore } from "../../../client/node/file-store.ts";

function freshStore(): FileStore {
  return new FileStore(mkdtempSync(join(tmpdir(), "cloud-sync-store-")));
}

describe("FileStore", () => {
  it("keeps values across instances on the same directory", async () => {
    const store = freshStore();
    await store.set("users/alice/meta", { counter: 3, nested: { list: [1, "two"] } });
    expect(await new FileStore(store.dir).get("users/alice/meta")).toEqual({
      counter: 3,
      nested: { list: [1, "two"] },
    });
  });

  it("returns undefined for a missing key and deletes quietly", async () => {
    const store = freshStore();
    expect(await store.get("users/nobody/meta")).toBeUndefined();
    await store.delete("users/nobody/meta");
    await store.set("a", 1);
    await store.delete("a");
    expect(await store.get("a")).toBeUndefined();
  });

  it("replaces a value whole and leaves no temporary file behind", async () => {
    const store = freshStore();
    await store.set("users/alice/docs/default", { big: "x".repeat(100_000) });
    await Promise.all([1, 2, 3, 4].map((n) => store.set("users/alice/docs/default", { n })));
    const value = (await store.get("users/alice/docs/default")) as { n: number };
    expect([1, 2, 3, 4]).toContain(value.n);
    const folder = join(store.dir, "users", "alice", "docs");
    expect(readdirSync(folder)).toEqual(["default.json"]);
    expect(JSON.parse(readFileSync(join(folder, "default.json"), "utf8"))).toEqual(value);
  });

  it("writes files readable by their owner only", async () => {
    const store = freshStore();
    await store.set("users/alice/meta", {});
    expect(statSync(join(store.dir, "users", "alice", "meta.json")).mode & 0o777).toBe(0o600);
  });

  it("lists keys under a prefix in order, keeping upper case and @ apart from lower case", async () => {
    const store = freshStore();
    for (const key of [
      "users/Alice/meta",
      "users/alice/meta",
      "users/alice/queue/000000000002",
      "users/alice/queue/000000000001",
      "users/bob+x@y.z/meta",
    ]) {
      await store.set(key, key);
    }
    expect(await store.keys("users/alice/queue/")).toEqual([
      "users/alice/queue/000000000001",
      "users/alice/queue/000000000002",
    ]);
    expect(await store.keys("users/A")).toEqual(["users/Alice/meta"]);
    expect(await store.keys("users/bob")).toEqual(["users/bob+x@y.z/meta"]);
    expect(await store.get("users/Alice/meta")).toBe("users/Alice/meta");
    expect(await store.keys("nothing/")).toEqual([]);
    expect((await store.keys("")).length).toBe(5);
  });

  it("refuses keys that could leave the data directory", async () => {
    const store = freshStore();
    for (const key of ["../x", "users/../../x", "", "a//b", "a/./b", "a\\b"]) {
      await expect(store.set(key, 1)).rejects.toThrow(TypeError);
    }
  });

  it("escapes every character outside a-z 0-9 . _ - in file names, reversibly", () => {
    expect(encodeSegment("Alice@x+y")).toBe("%41lice%40x%2By");
    expect(decodeSegment(encodeSegment("Alice@x+y"))).toBe("Alice@x+y");
  });
});

describe("defaultDataDir", () => {
  it("prefers CLOUD_SYNC_DATA_DIR, then the platform's per-user data folder", () => {
    expect(defaultDataDir({ CLOUD_SYNC_DATA_DIR: "/data" }, "linux", "/home/u")).toBe("/data");
    expect(defaultDataDir({}, "linux", "/home/u")).toBe("/home/u/.local/share/cloud-sync");
    expect(defaultDataDir({ XDG_DATA_HOME: "/xdg" }, "linux", "/home/u")).toBe("/xdg/cloud-sync");
    expect(defaultDataDir({}, "darwin", "/Users/u")).toBe("/Users/u/Library/Application Support/cloud-sync");
  });
});
