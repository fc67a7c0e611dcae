/**
 * The core library, bundled by esbuild into one file as a page's bundler would, running in
 * headless Chromium (Debian's chromium driven by playwright-core) and syncing with the local Worker
 * over real HTTP from a page on another origin (the Worker's CORS), next to a Node device.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../support/chromium.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshKey, freshUser, manager } from "../support/sync-clients.ts";
import { startWorkerServer, type WorkerServer } from "../support/worker-server.ts";

const root = resolve(import.meta.dirname, "../..");
let server: WorkerServer;
let pages: Server;
let pageOrigin: string;
let browser: Browser;

const PAGE = `<!doctype html><meta charset="utf-8"><title>cloud-sync core</title><p>core test page</p>`;

beforeAll(async () => {
  const bundle = await build({
    stdin: {
      contents: 'export * from "./client/core/index.ts";\nexport * from "./client/browser/index.ts";\n',
      resolveDir: root,
      sourcefile: "cloud-sync-browser.ts",
      loader: "ts",
    },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "warning",
  });
  const code = bundle.outputFiles[0]!.contents;
  pages = createServer((req, res) => {
    if (req.url === "/cloud-sync.mjs") return void res.writeHead(200, { "Content-Type": "text/javascript" }).end(code);
    res.writeHead(200, { "Content-Type": "text/html" }).end(PAGE);
  });
  await new Promise<void>((done) => pages.listen(0, "127.0.0.1", done));
  pageOrigin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  [server, browser] = await Promise.all([startWorkerServer(), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await new Promise((done) => pages.close(done));
  await server?.stop();
});

/**
 * Runs `body` in the page with the bundle imported as `CloudSync` and `args` as JSON; its value comes
 * back as JSON. Passed as text, so the test runner's transforms never touch the page's `import()`.
 */
async function inPage<T>(page: Page, body: string, args: Record<string, unknown>): Promise<T> {
  const script = `(async () => {
    const CloudSync = await import("/cloud-sync.mjs");
    const args = ${JSON.stringify(args)};
    ${body}
  })()`;
  return (await page.evaluate(script)) as T;
}

describe("the core library in Chromium", () => {
  it("syncs with the Worker from a page, and a Node device merges with it", async () => {
    const [user, key] = [freshUser("web"), freshKey()];
    const page = await browser.newPage();
    await page.goto(pageOrigin);
    const first = await inPage<{
      deviceId: string;
      upload: { version: number };
      result: { data: unknown; version: number };
    }>(
      page,
      `const m = await CloudSync.createBrowserSyncManager({ url: args.url, key: args.key });
       const upload = await m.syncUpload(args.user, { preferences: { theme: "dark" } });
       const result = await m.bidirectionalSync(args.user, { preferences: { theme: "dark", language: "en" } });
       return { deviceId: m.deviceId, upload, result };`,
      { url: server.url, key, user },
    );
    expect(first.deviceId).toMatch(/^[0-9a-f]{16}$/);
    expect(first.upload.version).toBe(1);
    expect(first.result).toMatchObject({ data: { preferences: { theme: "dark", language: "en" } }, version: 2 });

    const desktop = await manager(server.url, { key, deviceId: "desktop" });
    await desktop.bidirectionalSync(user, { preferences: { theme: "light", language: "en" } });
    expect((await desktop.listDevices(user)).map((d) => d.device_id).sort()).toEqual(
      ["desktop", first.deviceId].sort(),
    );

    // A reload: the same device id and merge base come back from IndexedDB.
    await page.reload();
    const second = await inPage<{
      deviceId: string;
      data: unknown;
      status: { lastUpload: string | null; pendingChanges: number };
    }>(
      page,
      `const m = await CloudSync.createBrowserSyncManager({ url: args.url, key: args.key });
       const { data } = await m.bidirectionalSync(args.user, { preferences: { theme: "dark", language: "fr" } });
       return { deviceId: m.deviceId, data, status: await m.getSyncStatus(args.user) };`,
      { url: server.url, key, user },
    );
    expect(second.deviceId).toBe(first.deviceId);
    expect(second.data).toEqual({ preferences: { theme: "light", language: "fr" } });
    expect(second.status.lastUpload).not.toBeNull();
    expect(second.status.pendingChanges).toBe(0);
    expect(await desktop.syncDownload(user)).toEqual({ preferences: { theme: "light", language: "fr" } });
    await page.close();
  });

  it("reports a refused key as a SyncError in the page", async () => {
    const user = freshUser("web");
    await (await manager(server.url, { key: freshKey(), deviceId: "owner" })).syncUpload(user, { a: 1 });
    const page = await browser.newPage();
    await page.goto(pageOrigin);
    const outcome = await inPage<{ name: string; code: string; message: string }>(
      page,
      `const m = await CloudSync.SyncManager.create({ url: args.url, key: CloudSync.generateKey(), store: new CloudSync.MemoryStore(), deviceId: "intruder" });
       try { await m.syncDownload(args.user); return { name: "none", code: "", message: "" }; }
       catch (e) { return { name: e.name, code: e.code, message: e.message }; }`,
      { url: server.url, user },
    );
    expect(outcome).toMatchObject({ name: "SyncError", code: "unauthorized" });
    expect(outcome.message).toContain("FERNET_KEY");
    await page.close();
  });

  it("decrypts in the page what Fernet made in Node, with WebCrypto", async () => {
    const key = freshKey();
    const { Fernet } = await import("../../client/core/crypto/fernet.ts");
    const token = await (await Fernet.create(key)).encryptToString("from node");
    const page = await browser.newPage();
    await page.goto(pageOrigin);
    const text = await inPage<string>(
      page,
      `const f = await CloudSync.Fernet.create(args.key);
       return new TextDecoder().decode(await f.decrypt(args.token));`,
      { key, token },
    );
    expect(text).toBe("from node");
    await page.close();
  });
});
