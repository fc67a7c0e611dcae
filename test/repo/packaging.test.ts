/**
 * The published package as a Project-AI developer gets it: `npm pack` of client/ (whose `prepare`
 * builds client/dist), installed offline from the tarball into an empty folder, then used from Node
 * ESM, bundled for browsers and run as `npx cloud-sync`; publint and attw check its published shape.
 *
 * The install is offline: undici, the one dependency, is packed from this repo's node_modules beside
 * the client's tarball (npm's cache holds tarballs but not the registry metadata a range needs).
 * Every npm runs with a clean environment: `npm test` exports npm_config_* values (the repo's own
 * prefix among them) that would otherwise point the install back at this repository.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemNode } from "../support/cli-runner.ts";

const root = resolve(import.meta.dirname, "../..");
const scratch = mkdtempSync(join(tmpdir(), "cloud-sync-pack-"));
const app = join(scratch, "app");
const installed = join(app, "node_modules", "project-ai-cloud-sync");
let tarball: string;

/** PATH without this repo's node_modules/.bin, so `node`, `npm` and `npx` are the machine's, as for a user. */
const env = {
  PATH: (process.env["PATH"] ?? "")
    .split(delimiter)
    .filter((dir) => dir !== "" && !resolve(dir).startsWith(root))
    .join(delimiter),
  HOME: join(scratch, "home"),
  npm_config_cache: join(scratch, "npm-cache"),
  npm_config_update_notifier: "false",
};

function run(command: string, args: readonly string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8", timeout: 60_000 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

beforeAll(() => {
  mkdirSync(env.HOME);
  mkdirSync(app);
  run("npm", ["pack", "--pack-destination", scratch], join(root, "client"));
  run("npm", ["pack", "--ignore-scripts", "--pack-destination", scratch, join(root, "node_modules", "undici")], root);
  const tarballs = readdirSync(scratch).filter((f) => f.endsWith(".tgz"));
  tarball = join(scratch, tarballs.find((f) => f.startsWith("project-ai-cloud-sync-"))!);
  writeFileSync(join(app, "package.json"), JSON.stringify({ private: true, type: "module" }));
  run("npm", ["install", "--offline", "--no-audit", "--no-fund", ...tarballs.map((f) => join(scratch, f))], app);
}, 120_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("npm pack of client/", () => {
  it("ships only the built entries, chunks, CLI and declarations, with README, LICENSE and package.json", () => {
    const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" })
      .split("\n")
      .filter((line) => line !== "" && !line.endsWith("/"))
      .map((line) => line.replace(/^package\//, ""));
    const allowed =
      /^(package\.json|README\.md|LICENSE|dist\/(core|node|browser|cli)\.mjs(\.map)?|dist\/chunks\/[\w-]+\.mjs(\.map)?|dist\/types\/(core|node|browser)\/[\w/-]+\.d\.ts)$/;
    expect(files.filter((file) => !allowed.test(file))).toEqual([]);
    expect(files).toEqual(
      expect.arrayContaining([
        "package.json",
        "README.md",
        "LICENSE",
        "dist/core.mjs",
        "dist/node.mjs",
        "dist/browser.mjs",
        "dist/cli.mjs",
        "dist/types/core/index.d.ts",
        "dist/types/node/index.d.ts",
        "dist/types/browser/index.d.ts",
      ]),
    );
    expect(files.some((file) => file.startsWith("dist/chunks/"))).toBe(true);
    expect(readFileSync(join(root, "client", "LICENSE"), "utf8")).toBe(readFileSync(join(root, "LICENSE"), "utf8"));
  });

  it("passes publint, strict", () => {
    expect(
      run(process.execPath, [join(root, "node_modules/publint/src/cli.js"), "run", tarball, "--strict"], root),
    ).toMatch(/All good!/);
  });

  // ESM only by design ("type": "module", `import` conditions only, Node 20+): the esm-only profile
  // leaves out node10 (TypeScript's legacy resolution, which ignores `exports` and so cannot see the
  // subpaths) and node16 from CommonJS (ESM reached by require: a dynamic import, or require(esm) on
  // Node 20.19+). Every import-side resolution must be clean.
  it("passes attw (are the types wrong) for ESM consumers", () => {
    const attw = join(root, "node_modules/@arethetypeswrong/cli/dist/index.js");
    const flags = ["--profile", "esm-only", "--no-emoji", "--no-color", "--no-summary"];
    const out = run(process.execPath, [attw, tarball, ...flags], root);
    for (const entry of ["project-ai-cloud-sync", "project-ai-cloud-sync/node", "project-ai-cloud-sync/browser"]) {
      expect(out).toContain(`"${entry}"\n\nnode16 (from ESM): OK (ESM)\nbundler: OK`);
    }
  });
});

type Module = Record<string, unknown>;
const load = async (file: string): Promise<Module> =>
  (await import(pathToFileURL(join(installed, "dist", file)).href)) as Module;

describe("the installed package", () => {
  it("works from plain Node ESM: a Fernet round trip and a Node manager sharing the core's classes", () => {
    const script = `
      import { Fernet, SyncError, SyncManager, generateKey } from "project-ai-cloud-sync";
      import { createNodeSyncManager } from "project-ai-cloud-sync/node";
      const key = generateKey();
      const fernet = await Fernet.create(key);
      const token = await fernet.encryptToString("hello from Node");
      const plain = new TextDecoder().decode(await fernet.decrypt(token));
      const other = await Fernet.create(generateKey());
      const wrongKey = await other.decrypt(token).catch((e) => e.code);
      const manager = await createNodeSyncManager({
        url: "http://127.0.0.1:9", key, deviceId: "packaging", dataDir: ${JSON.stringify(join(scratch, "data"))}, env: {},
      });
      const failure = await manager.syncDownload("alice").catch((e) => e);
      console.log(JSON.stringify({
        plain, wrongKey, token: token.slice(0, 6), manager: manager instanceof SyncManager,
        failure: failure instanceof SyncError ? failure.code : String(failure),
      }));`;
    const out = run(systemNode(), ["--input-type=module", "-e", script], app);
    expect(JSON.parse(out)).toEqual({
      plain: "hello from Node",
      wrongKey: "invalid_token",
      token: "gAAAAA",
      manager: true,
      failure: "network",
    });
  });

  it("bundles for browsers from project-ai-cloud-sync/browser with no node: import, and the bundle runs", async () => {
    const result = await build({
      stdin: {
        contents: `
          import { createBrowserSyncManager, IndexedDBStore, persistedDeviceId } from "project-ai-cloud-sync/browser";
          import { Fernet, MemoryStore, generateKey } from "project-ai-cloud-sync";
          export async function roundTrip() {
            const fernet = await Fernet.create(generateKey());
            const text = new TextDecoder().decode(await fernet.decrypt(await fernet.encrypt("hello from a page")));
            const store = new MemoryStore();
            const id = await persistedDeviceId(store);
            return { text, sameId: id === (await persistedDeviceId(store)), entries: [typeof createBrowserSyncManager, typeof IndexedDBStore] };
          }`,
        resolveDir: app,
        sourcefile: "page.ts",
        loader: "ts",
      },
      absWorkingDir: app,
      bundle: true,
      format: "esm",
      platform: "browser",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs).filter((input) => input !== "page.ts");
    expect(inputs.filter((input) => !input.startsWith("node_modules/project-ai-cloud-sync/dist/"))).toEqual([]);
    const text = result.outputFiles[0]!.text;
    expect(text).not.toMatch(/\bfrom\s*["']node:|import\(\s*["']node:|require\(|undici/);
    const file = join(scratch, "page.mjs");
    writeFileSync(file, text);
    const page = (await import(pathToFileURL(file).href)) as { roundTrip(): Promise<unknown> };
    expect(await page.roundTrip()).toEqual({
      text: "hello from a page",
      sameId: true,
      entries: ["function", "function"],
    });
  });

  it("runs as `npx cloud-sync --help` in the installing project", () => {
    const out = run("npx", ["--offline", "cloud-sync", "--help"], app);
    expect(out).toMatch(/^Usage: cloud-sync <command> \[options\]/);
    expect(out).toMatch(/\n {2}keygen /);
  });

  it("exports the manager, errors, Fernet and ports from the core entry", async () => {
    const core = await load("core.mjs");
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

  it("exports the Node edges and the browser store from their entries", async () => {
    const [node, browser] = await Promise.all([load("node.mjs"), load("browser.mjs")]);
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
    for (const name of ["IndexedDBStore", "persistedDeviceId", "createBrowserSyncManager"]) {
      expect(browser[name], name).toBeDefined();
    }
  });

  it("keeps node: modules out of the core and browser entries and their chunks", () => {
    const dist = join(installed, "dist");
    const reachable = new Set<string>();
    const visit = (file: string) => {
      if (reachable.has(file)) return;
      reachable.add(file);
      const text = readFileSync(join(dist, file), "utf8");
      for (const [, spec] of text.matchAll(/from\s*"(\.\/[^"]+|\.\.\/[^"]+)"/g)) visit(join(file, "..", spec!));
    };
    visit("core.mjs");
    visit("browser.mjs");
    for (const file of reachable) {
      const text = readFileSync(join(dist, file), "utf8");
      expect(text, file).not.toMatch(/from\s*"node:|require\("node:|from\s*"undici"/);
    }
    expect([...reachable].some((file) => file.startsWith("chunks/"))).toBe(true);
  });

  it("declares every package the built files import as a runtime dependency, and has undici installed by it", () => {
    const pkg = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
    };
    const imported = new Set<string>();
    const dist = join(installed, "dist");
    for (const file of readdirSync(dist, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".mjs"))) {
      const text = readFileSync(join(dist, file), "utf8");
      for (const [, spec] of [
        ...text.matchAll(/\bfrom\s*"([^"]+)"/g),
        ...text.matchAll(/\bimport\s*\(\s*"([^"]+)"\s*\)/g),
      ]) {
        if (!spec!.startsWith(".") && !spec!.startsWith("node:")) imported.add(spec!);
      }
    }
    // An installed copy gets dependencies only: a devDependency import would fail there.
    expect([...imported].sort()).toEqual(["undici"]);
    expect(Object.keys(pkg.dependencies ?? {}).sort()).toEqual([...imported].sort());
    // `npm ls` exits non-zero on a missing or invalid dependency.
    expect(run("npm", ["ls", "--all", "--offline"], app)).toMatch(
      /project-ai-cloud-sync@0\.1\.0\n.*undici@[\d.]+ deduped/,
    );
  });
});
