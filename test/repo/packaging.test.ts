import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const outdir = mkdtempSync(join(tmpdir(), "cloud-sync-dist-"));
type Module = Record<string, unknown>;
let core: Module;
let node: Module;
let browser: Module;

beforeAll(() => {
  // The published shape: what `npm run build` writes (declarations are checked by tsc elsewhere).
  execFileSync(process.execPath, [join(root, "scripts/build.mjs"), "--outdir", outdir, "--no-types"], {
    stdio: "pipe",
  });
});

async function load(file: string): Promise<Module> {
  return (await import(pathToFileURL(join(outdir, file)).href)) as Module;
}

describe("the built package", () => {
  beforeAll(async () => {
    [core, node, browser] = await Promise.all([load("core.mjs"), load("node.mjs"), load("browser.mjs")]);
  });

  it("exports the manager, errors, Fernet and ports from the core entry", () => {
    for (const name of [
      "SyncManager",
      "SyncError",
      "isSyncError",
      "Fernet",
      "MultiFernet",
      "generateKey",
      "MemoryStore",
      "ApiClient",
      "merge",
      "resolveConflict",
      "pythonTimestamp",
    ]) {
      expect(core[name], name).toBeDefined();
    }
    expect(core["SyncSession"]).toBeUndefined();
    expect(core["UserSession"]).toBeUndefined();
  });

  it("exports the Node edges, sharing the core's classes rather than copies", async () => {
    for (const name of [
      "createNodeSyncManager",
      "FileStore",
      "proxyFetch",
      "nodeCryptoBackend",
      "nodeMachineInfo",
      "defaultDataDir",
    ]) {
      expect(node[name], name).toBeDefined();
    }
    const create = node["createNodeSyncManager"] as (o: object) => Promise<object>;
    const manager = await create({
      url: "http://127.0.0.1:9",
      key: (core["generateKey"] as () => string)(),
      deviceId: "packaging",
      dataDir: mkdtempSync(join(tmpdir(), "cloud-sync-pkg-")),
      env: {},
    });
    expect(manager).toBeInstanceOf(core["SyncManager"] as new () => object);
    const error = await (manager as { syncDownload(u: string): Promise<unknown> })
      .syncDownload("alice")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(core["SyncError"] as new () => object);
  });

  it("exports the IndexedDB store and the persisted device id from the browser entry", () => {
    expect(browser["IndexedDBStore"]).toBeDefined();
    expect(browser["persistedDeviceId"]).toBeDefined();
    expect(browser["createBrowserSyncManager"]).toBeDefined();
  });

  it("keeps node: modules out of the core and browser entries and their chunks", () => {
    const reachable = new Set<string>();
    const visit = (file: string) => {
      if (reachable.has(file)) return;
      reachable.add(file);
      const text = readFileSync(join(outdir, file), "utf8");
      for (const [, spec] of text.matchAll(/from\s*"(\.\/[^"]+|\.\.\/[^"]+)"/g)) visit(join(file, "..", spec!));
    };
    visit("core.mjs");
    visit("browser.mjs");
    visit("cloud-sync.browser.mjs");
    for (const file of reachable) {
      const text = readFileSync(join(outdir, file), "utf8");
      expect(text, file).not.toMatch(/from\s*"node:|require\("node:|from\s*"undici"/);
    }
    expect(readdirSync(join(outdir, "chunks")).length).toBeGreaterThan(0);
  });

  it("declares every package the built files import as a runtime dependency", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
    };
    const imported = new Set<string>();
    for (const file of readdirSync(outdir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".mjs"))) {
      const text = readFileSync(join(outdir, file), "utf8");
      for (const [, spec] of [
        ...text.matchAll(/\bfrom\s*"([^"]+)"/g),
        ...text.matchAll(/\bimport\s*\(\s*"([^"]+)"\s*\)/g),
      ]) {
        if (!spec!.startsWith(".") && !spec!.startsWith("node:")) imported.add(spec!);
      }
    }
    // An installed copy of the package gets dependencies only: a devDependency import would fail there.
    expect([...imported].sort()).toEqual(["undici"]);
    expect(Object.keys(pkg.dependencies ?? {}).sort()).toEqual([...imported].sort());
  });
});
