/**
 * The dashboard in a real browser (Debian's chromium driven by playwright-core) against the Worker
 * in workerd over HTTP: sign in with the key, see the devices a test synced, watch a live update
 * arrive, read and diff history, restore a version, remove a device. Saves a screenshot. A client
 * manager that last synced before the versions the dashboard restores over checks that the restore
 * survives its next sync.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../support/chromium.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../client/core/crypto/fernet-key.ts";
import { deriveAuthToken } from "../../client/core/crypto/credential.ts";
import { decodeEnvelope } from "../../client/core/wire/envelope.ts";
import { keyFromPassphrase } from "../../client/core/crypto/kdf.ts";
import { Fernet } from "../../client/core/crypto/fernet.ts";
import type { Json } from "../../client/core/merge/json-value.ts";
import { SyncManager } from "../../client/core/manager.ts";
import { ApiClient } from "../../client/core/wire/api-client.ts";
import { MemoryStore } from "../../client/core/ports.ts";
import { startWorkerServer, type WorkerServer } from "../support/worker-server.ts";
import { seedDevice, type SeedDevice } from "../support/seed-device.ts";

const artifacts = resolve(import.meta.dirname, "../artifacts");
const username = "dana";
const key = generateKey();

let server: WorkerServer;
let browser: Browser;
let page: Page;
let laptop: SeedDevice;
let phone: SeedDevice;
/** A device that synced notes at version 2 and then went quiet until after the restore. */
let tablet: SyncManager;
let tabletNotes: Json;

beforeAll(async () => {
  server = await startWorkerServer();
  laptop = await seedDevice({
    baseUrl: server.url,
    username,
    key,
    deviceId: "a1b2c3d4e5f60718",
    name: "Dana's laptop",
    platform: "linux",
  });
  phone = await seedDevice({
    baseUrl: server.url,
    username,
    key,
    deviceId: "f0e1d2c3b4a59687",
    name: "Dana's phone",
    platform: "android",
  });
  await laptop.write("notes", { todo: ["milk"], theme: "light" });
  await phone.write("notes", { todo: ["milk", "eggs"], theme: "light" });
  await laptop.write("settings", { volume: 3 });
  tablet = await SyncManager.create({
    url: server.url,
    key,
    store: new MemoryStore(),
    deviceId: "9a8b7c6d5e4f3021",
    deviceName: "Dana's tablet",
    platform: "ios",
  });
  await tablet.registerDevice(username);
  const joined = await tablet.bidirectionalSync(username, {}, { doc: "notes" });
  expect(joined).toMatchObject({ version: 2, uploaded: false, data: { todo: ["milk", "eggs"], theme: "light" } });
  tabletNotes = joined.data;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function versionOfRow(doc: string): Promise<string> {
  return (await page.locator(`#documents-table tr[data-doc="${doc}"] td.version`).textContent()) ?? "";
}

describe("the dashboard at /app/", () => {
  it("labels every form control", async () => {
    await page.goto(`${server.url}/app/`);
    const unlabelled = await page.evaluate(
      () =>
        [...document.querySelectorAll("input, select, textarea")].filter(
          (el) => (el as HTMLInputElement).labels?.length === 0,
        ).length,
    );
    expect(unlabelled).toBe(0);
  });

  it("refuses a wrong key without leaving the sign-in form", async () => {
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Key or passphrase").fill(generateKey());
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect
      .poll(() => page.locator("#login-error").textContent())
      .toBe("The server did not accept this key for this username.");
    expect(await page.locator("#dashboard").isHidden()).toBe(true);
  });

  it("signs in with the key typed by keyboard and shows the three synced devices", async () => {
    await page.getByLabel("Key or passphrase").fill(key);
    await page.getByLabel("Key or passphrase").press("Enter");
    await page.locator("#devices-table").waitFor();
    const rows = page.locator("#devices-table tbody tr");
    expect(await rows.count()).toBe(3);
    const text = (await rows.allTextContents()).join("\n");
    expect(text).toContain("Dana's laptop");
    expect(text).toContain("Dana's phone");
    expect(text).toContain("Dana's tablet");
    expect(await page.locator('#devices-table tr[data-device="f0e1d2c3b4a59687"]').textContent()).toContain("android");
    expect(await versionOfRow("notes")).toBe("2");
    expect(await page.locator('#documents-table tr[data-doc="notes"]').textContent()).toContain("Dana's phone");
  });

  it("never sends the key to the server", async () => {
    const seen: string[] = [];
    page.on("request", (req) => seen.push(`${req.url()} ${JSON.stringify(req.headers())} ${req.postData() ?? ""}`));
    await page.reload();
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Key or passphrase").fill(key);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("#devices-table").waitFor();
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((s) => s.includes(key) || s.includes(key.replace(/=+$/, "")))).toEqual([]);
    const token = await deriveAuthToken(key, username);
    expect(seen.some((s) => s.includes(token))).toBe(true);
  });

  it("shows a write from another device as it happens, over the live socket", async () => {
    await expect.poll(() => page.locator("#live-status").getAttribute("data-state")).toBe("open");
    await laptop.write("notes", { todo: ["milk", "eggs", "bread"], theme: "dark" });
    await page.locator("#activity li", { hasText: "notes is now version 3" }).waitFor();
    expect(await page.locator("#activity li").first().textContent()).toContain("written by Dana's laptop");
    await expect.poll(() => versionOfRow("notes")).toBe("3");
  });

  it("charts a document's history and shows a past version with its diff against the current one", async () => {
    await page.getByRole("button", { name: "Show history of notes" }).click();
    await page.locator("#versions-table").waitFor();
    expect(await page.locator(".history-chart circle.point").count()).toBe(3);
    expect(await page.locator(".legend li").allTextContents()).toEqual(["Dana's laptop", "Dana's phone"]);
    // Keyboard: focus the chart's first point and press Enter.
    await page.locator('.history-chart circle.point[data-version="1"]').focus();
    await page.keyboard.press("Enter");
    await page.locator("#version-heading", { hasText: "Version 1" }).waitFor();
    expect(await page.locator(".version-detail pre.content").textContent()).toContain('"milk"');
    const diff = (await page.locator(".version-detail pre.diff").textContent()) ?? "";
    expect(diff).toContain('+     "bread"');
    expect(diff).toContain('-   "theme": "light"');
    expect(diff).toContain('+   "theme": "dark"');
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, "dashboard.png"), fullPage: true });
  });

  it("restores a version after confirmation, as a new version that a device which skipped versions keeps through its next sync", async () => {
    await page.getByRole("button", { name: "Restore version 1" }).click();
    const dialog = page.getByRole("dialog");
    expect(await dialog.getByRole("heading").textContent()).toBe("Restore version 1 of notes?");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    expect(await versionOfRow("notes")).toBe("3");

    await page.getByRole("button", { name: "Restore version 1" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Restore" }).click();
    await page.locator("#notice", { hasText: "Restored version 1 of notes as version 4." }).waitFor();
    await expect.poll(() => versionOfRow("notes")).toBe("4");

    const served = await phone.api.getDocument(username, "notes");
    if (served === null || served === "not_modified") throw new Error("no document");
    expect(served.version).toBe(4);
    const envelope = await decodeEnvelope(await (await Fernet.create(key)).decrypt(served.bytes));
    expect(envelope.data).toEqual({ todo: ["milk"], theme: "light" });

    // The tablet last saw version 2: neither version 3 nor the restore went through it.
    expect(await tablet.syncDownload(username, { doc: "notes" })).toEqual({ todo: ["milk"], theme: "light" });
    const next = await tablet.bidirectionalSync(username, tabletNotes, { doc: "notes" });
    expect(next.data).toEqual({ todo: ["milk"], theme: "light" });
    expect(next.version).toBe(4);
    expect(await tablet.syncDownload(username, { doc: "notes" })).toEqual({ todo: ["milk"], theme: "light" });
  });

  it("shows the device sealed in each version, and flags a server record that the token does not confirm", async () => {
    // Someone with only the bearer token writes the laptop's token of settings again, claiming to be the phone.
    const claimant = new ApiClient({
      baseUrl: server.url,
      deviceId: phone.deviceId,
      token: () => deriveAuthToken(key, username),
    });
    const stored = (await claimant.getVersion(username, "settings", 1))!.bytes;
    expect(await claimant.putDocument(username, "settings", stored, { ifMatch: 1 })).toMatchObject({ ok: true });
    await page.getByRole("button", { name: "Show history of settings" }).click();
    await page.locator("#history-heading", { hasText: "History of settings" }).waitFor();
    await expect.poll(() => page.locator("#versions-table tbody tr").count()).toBe(2);
    const row = page.locator('#versions-table tr[data-version="2"]');
    const cell = (await row.locator("td").nth(1).textContent()) ?? "";
    expect(cell).toContain("Dana's laptop");
    expect(cell).toContain("the server recorded Dana's phone, which the token does not confirm");
    expect(await page.locator('#versions-table tr[data-version="1"] td').nth(1).textContent()).toBe("Dana's laptop");
  });

  it("removes a device after confirmation", async () => {
    await page.getByRole("button", { name: "Remove device Dana's phone" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
    expect(await page.locator('#devices-table tr[data-device="f0e1d2c3b4a59687"]').count()).toBe(1);
    await page.getByRole("button", { name: "Remove device Dana's phone" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Remove device" }).click();
    await page.locator("#notice", { hasText: "Removed Dana's phone." }).waitFor();
    await expect.poll(() => page.locator('#devices-table tr[data-device="f0e1d2c3b4a59687"]').count()).toBe(0);
    const devices = await laptop.api.listDevices(username);
    expect(devices.map((d) => d.device_id)).not.toContain("f0e1d2c3b4a59687");
  });

  it("signs out, then signs in another user with a passphrase", async () => {
    const passphrase = "correct horse battery staple";
    const finnKey = await keyFromPassphrase(passphrase, "finn");
    const finnLaptop = await seedDevice({
      baseUrl: server.url,
      username: "finn",
      key: finnKey,
      deviceId: "0a0b0c0d0e0f1011",
      name: "Finn's desktop",
      platform: "win32",
    });
    await finnLaptop.write("journal", { entries: 1 });
    await page.getByRole("button", { name: "Sign out" }).click();
    expect(await page.locator("#login").isVisible()).toBe(true);
    await page.getByLabel("Username").fill("finn");
    await page.getByLabel("a passphrase").check();
    await page.getByLabel("Key or passphrase").fill(passphrase);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator('#documents-table tr[data-doc="journal"]').waitFor();
    expect(await page.locator("#devices-table tbody tr").allTextContents()).toEqual([
      expect.stringContaining("Finn's desktop"),
    ]);
    expect(await page.locator("#dashboard-heading").textContent()).toBe("Signed in as finn");
  });

  it("stays readable at phone width: nothing wider than the screen", async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll("body *")]
        .filter(
          (el) => el.getBoundingClientRect().right > window.innerWidth + 1 && !el.closest(".table-wrap > *, pre > *"),
        )
        .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`),
    );
    expect(wide).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  });
});
