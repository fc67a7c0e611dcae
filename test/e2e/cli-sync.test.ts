/**
 * The `cloud-sync` CLI's sync commands against the Worker in workerd: sync between two devices,
 * status, devices, history, rollback, rotate-key and watch (signals included), large transfers and
 * their progress bar, and `npm run demo`.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { progressFetch } from "../../client/cli/progress.ts";
import type { CliRun } from "../support/cli-runner.ts";
import { useCliHarness } from "../support/cli-harness.ts";
import { eventually, freshKey, freshKeyStartingWithDash } from "../support/sync-clients.ts";

const harness = useCliHarness();
const account = () => harness.freshAccount("clisync");

function json<T = unknown>(result: CliRun): T {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

describe("sync", () => {
  it("merges concurrent edits of two devices into both files", async () => {
    const a = account();
    a.write("desktop.json", { preferences: { theme: "dark", language: "en" } });
    expect((await a.run(["push", "-u", a.user, "-f", "desktop.json"], "desktop")).code).toBe(0);
    const created = await a.run(["sync", "-u", a.user, "-f", "mobile.json"], "mobile");
    expect(created.stdout.trim()).toBe(
      `Created mobile.json from ${a.user}/default (version 1); later syncs merge against it.`,
    );
    expect(a.read("mobile.json")).toEqual({ preferences: { theme: "dark", language: "en" } });

    a.write("desktop.json", { preferences: { theme: "light", language: "en" } });
    a.write("mobile.json", { preferences: { theme: "dark", language: "fr" } });
    expect(json(await a.run(["sync", "-u", a.user, "-f", "desktop.json", "--json"], "desktop"))).toEqual({
      username: a.user,
      doc: "default",
      version: 2,
      uploaded: true,
      file_updated: false,
    });
    expect(json(await a.run(["sync", "-u", a.user, "-f", "mobile.json", "--json"], "mobile"))).toEqual({
      username: a.user,
      doc: "default",
      version: 3,
      uploaded: true,
      file_updated: true,
    });
    const back = await a.run(["sync", "-u", a.user, "-f", "desktop.json"], "desktop");
    expect(back.stdout.trim()).toBe(
      `Synced desktop.json with ${a.user}/default: version 3 (desktop.json updated with changes from other devices).`,
    );
    const merged = { preferences: { theme: "light", language: "fr" } };
    expect(a.read("desktop.json")).toEqual(merged);
    expect(a.read("mobile.json")).toEqual(merged);
    const quiet = await a.run(["sync", "-u", a.user, "-f", "mobile.json"], "mobile");
    expect(quiet.stdout).toContain("(already in sync)");
    // Written by rename: no temporary file is left beside them.
    expect(readdirSync(a.dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("exits 2 when neither the file nor the document exists", async () => {
    const a = account();
    const result = await a.run(["sync", "-u", a.user, "-f", "none.json", "--doc", "notes"], "desktop");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/none\.json does not exist and .*\/notes is empty/);
  });
});

describe("status, devices and history", () => {
  it("reports status, the device list and the history newest first, as text and JSON", async () => {
    const a = account();
    a.write("d.json", { n: 1 });
    await a.run(["push", "-u", a.user, "-f", "d.json"], "desktop");
    a.write("d.json", { n: 2 });
    await a.run(["push", "-u", a.user, "-f", "d.json"], "mobile");

    const status = json<Record<string, unknown>>(await a.run(["status", "-u", a.user, "--json"], "desktop"));
    expect(status).toMatchObject({
      username: a.user,
      deviceId: "desktop",
      pendingChanges: 0,
      lastError: null,
      autoSyncEnabled: false,
    });
    expect(status["documents"]).toEqual([expect.objectContaining({ doc: "default", version: 1, pendingChanges: 0 })]);
    const statusText = await a.run(["status", "-u", a.user], "desktop");
    expect(statusText.stdout).toContain(`${a.user} on device desktop`);
    expect(statusText.stdout).toMatch(/pending changes: 0/);

    const devices = json<Array<Record<string, unknown>>>(await a.run(["devices", "-u", a.user, "--json"], "mobile"));
    expect(devices.map((d) => [d["device_id"], d["this_device"]]).sort()).toEqual([
      ["desktop", false],
      ["mobile", true],
    ]);
    expect(devices[0]).toHaveProperty("last_sync");
    const devicesText = await a.run(["devices", "-u", a.user], "mobile");
    expect(devicesText.stdout).toMatch(/^DEVICE\s+NAME\s+PLATFORM\s+LAST SYNC/);
    expect(devicesText.stdout).toMatch(/mobile .*\(this device\)/);

    const history = json<Array<Record<string, unknown>>>(await a.run(["history", "-u", a.user, "--json"], "desktop"));
    expect(history.map((h) => [h["version"], h["device_id"]])).toEqual([
      [2, "mobile"],
      [1, "desktop"],
    ]);
    for (const entry of history) {
      expect(entry).toEqual(
        expect.objectContaining({ timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), size: expect.any(Number) }),
      );
    }
    const historyText = await a.run(["history", "-u", a.user], "desktop");
    expect(historyText.stdout.split("\n")[1]).toMatch(/^2\s+\S+Z\s+mobile\s+\d+ B$/);
    expect(json(await a.run(["history", "-u", a.user, "--doc", "never", "--json"], "desktop"))).toEqual([]);
  });
});

describe("rollback", () => {
  it("restores a version as a new one, and every document as it was at a time", async () => {
    const a = account();
    for (const n of [1, 2]) {
      a.write("d.json", { n });
      await a.run(["push", "-u", a.user, "-f", "d.json"], "desktop");
    }
    const restored = json(await a.run(["rollback", "-u", a.user, "--version", "1", "--json"], "desktop"));
    expect(restored).toEqual({ username: a.user, doc: "default", restored_from: 1, version: 3 });
    expect(json(await a.run(["pull", "-u", a.user], "mobile"))).toEqual({ n: 1 });

    const [latest] = json<Array<{ timestamp: string }>>(await a.run(["history", "-u", a.user, "--json"], "desktop"));
    a.write("later.json", { n: 9 });
    await a.run(["push", "-u", a.user, "-f", "later.json"], "desktop");
    await a.run(["push", "-u", a.user, "-f", "later.json", "--doc", "notes"], "desktop");
    const at = await a.run(["rollback", "-u", a.user, "--at", latest!.timestamp, "--json"], "desktop");
    expect(json(at)).toEqual({
      username: a.user,
      at: latest!.timestamp,
      documents: [
        { doc: "default", outcome: "restored", from: 4, to: 3, version: 5 },
        { doc: "notes", outcome: "absent", version: 1 },
      ],
    });
    expect(json(await a.run(["pull", "-u", a.user], "mobile"))).toEqual({ n: 1 });
  });

  it("exits 2 without exactly one of --version and --at, or with a malformed one, and 5 for a version not in the history", async () => {
    const a = account();
    const cases: Array<[string[], RegExp]> = [
      [[], /either --version N or --at/],
      [["--version", "1", "--at", "2025-01-01T00:00:00Z"], /either --version N or --at/],
      [["--version", "0"], /--version must be a whole number >= 1/],
      [["--at", "yesterday"], /--at must be an ISO-8601 time/],
      [["--at", "2025-01-01T00:00:00Z", "--doc", "notes"], /takes no --doc/],
    ];
    for (const [args, message] of cases) {
      const result = await a.run(["rollback", "-u", a.user, ...args], "desktop");
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    a.write("d.json", { n: 1 });
    await a.run(["push", "-u", a.user, "-f", "d.json"], "desktop");
    const missing = await a.run(["rollback", "-u", a.user, "--version", "7"], "desktop");
    expect(missing.code).toBe(5);
    expect(missing.stderr).toMatch(/Version 7 of .* is not in the history/);
  });
});

describe("rotate-key", () => {
  it("moves the account to the new key, prints what FERNET_KEY needs without any key, and reads old versions with new,old", async () => {
    const a = account();
    a.write("d.json", { secret: "v1" });
    await a.run(["push", "-u", a.user, "-f", "d.json"], "desktop");
    // One key in 64 starts with "-": always use such a key, so the command line is proven to take it.
    const newKey = freshKeyStartingWithDash();
    expect(newKey.startsWith("-")).toBe(true);
    const rotated = await a.run(["rotate-key", "-u", a.user, "--new-key", newKey], "desktop");
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toContain("re-encrypted 1 document(s)");
    expect(rotated.stdout).toContain("FERNET_KEY=<new key>,<old key>");
    expect(rotated.stdout + rotated.stderr).not.toContain(newKey);
    expect(rotated.stdout + rotated.stderr).not.toContain(a.key);

    const old = await a.run(["pull", "-u", a.user], "mobile");
    expect(old.code).toBe(5);
    expect(json(await a.run(["pull", "-u", a.user], "mobile", { FERNET_KEY: newKey }))).toEqual({ secret: "v1" });
    // Version 1 is still under the old key: only a FERNET_KEY that keeps it can read it.
    const newOnly = await a.run(["rollback", "-u", a.user, "--version", "1"], "mobile", { FERNET_KEY: newKey });
    expect(newOnly.code).toBe(3);
    expect(newOnly.stderr).toMatch(/cannot be decrypted with this FERNET_KEY/);
    const both = await a.run(["rollback", "-u", a.user, "--version", "1", "--json"], "mobile", {
      FERNET_KEY: `${newKey},${a.key}`,
    });
    expect(json(both)).toMatchObject({ restored_from: 1, version: 3 });
  });

  it("exits 2 for a malformed --new-key without echoing it", async () => {
    const a = account();
    const result = await a.run(["rotate-key", "-u", a.user, "--new-key", "secret-but-not-a-key"], "desktop");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--new-key is not a Fernet key/);
    expect(result.stderr).not.toContain("secret-but-not-a-key");
  });
});

describe("watch", () => {
  it("keeps a file in sync both ways and exits 0 on SIGTERM", async () => {
    const a = account();
    a.write("desktop.json", { theme: "dark" });
    await a.run(["push", "-u", a.user, "-f", "desktop.json"], "desktop");
    const watch = a.start(["watch", "-u", a.user, "-f", "mobile.json", "--interval", "1", "--json"], "mobile");
    try {
      // The missing file is created from the server's copy.
      await eventually(() =>
        watch.stderr.includes("Watching mobile.json") && safeRead(a.dir, "mobile.json")?.includes("dark")
          ? true
          : undefined,
      );
      a.write("desktop.json", { theme: "dark", language: "fr" });
      await a.run(["sync", "-u", a.user, "-f", "desktop.json"], "desktop");
      await eventually(() => (safeRead(a.dir, "mobile.json")?.includes("fr") ? true : undefined));
      a.write("mobile.json", { theme: "light", language: "fr" });
      await eventually(async () => {
        const pulled = await a.run(["pull", "-u", a.user], "desktop");
        return pulled.stdout.includes("light") ? true : undefined;
      });
      // A file caught mid-edit is reported and retried, not fatal.
      writeFileSync(join(a.dir, "mobile.json"), "{ half-written");
      await eventually(() => (watch.stderr.includes("mobile.json is not valid JSON") ? true : undefined));
      expect(watch.stderr).toContain("(will retry)");
    } finally {
      watch.kill("SIGTERM");
    }
    expect(await watch.exited).toBe(0);
    const events = watch.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { event: string });
    expect(events.map((e) => e.event)).toContain("pulled");
    expect(events.map((e) => e.event)).toContain("pushed");
    expect(events.at(-1)).toMatchObject({ event: "stopped", signal: "SIGTERM" });
  });

  it("exits 0 on SIGINT (Ctrl-C) as well", async () => {
    const a = account();
    a.write("d.json", { a: 1 });
    const watch = a.start(["watch", "-u", a.user, "-f", "d.json"], "desktop");
    await eventually(() =>
      watch.stdout.includes("pushed d.json") && watch.stderr.includes("Watching d.json") ? true : undefined,
    );
    watch.kill("SIGINT");
    expect(await watch.exited).toBe(0);
    expect(watch.stdout.trim().split("\n").at(-1)).toMatch(/^Stopped \(SIGINT\) after \d+ sync\(s\)\.$/);
  });

  it("stops with exit 5 when the server refuses the credential", async () => {
    const a = account();
    a.write("d.json", { a: 1 });
    await a.run(["push", "-u", a.user, "-f", "d.json"], "desktop");
    const result = await a.run(["watch", "-u", a.user, "-f", "d.json", "--interval", "1"], "intruder", {
      FERNET_KEY: freshKey(),
    });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/cloud-sync: .*refused the credential/);
  });
});

describe("large transfers", () => {
  /** About 1.2 MB of JSON; the default document is never compressed (Python devices read it), so its token is larger still. */
  const big = { notes: Array.from({ length: 12_000 }, () => randomBytes(48).toString("hex")) };

  it("draws no progress bar when stderr is not a terminal", async () => {
    const a = account();
    a.write("big.json", big);
    const pushed = await a.run(["push", "-u", a.user, "-f", "big.json"], "desktop");
    expect(pushed.code).toBe(0);
    expect(pushed.stderr).toBe("");
    expect(json(await a.run(["pull", "-u", a.user], "mobile"))).toEqual(big);
  });

  it("draws a bar for uploads and downloads over 1 MB on a terminal, streaming the body to the Worker", async () => {
    const lines: string[] = [];
    const tty = { isTTY: true, write: (chunk: string) => lines.push(chunk) > 0 };
    const { user, manager } = harness.freshAccount("progress");
    const open = (id: string) =>
      manager(
        id,
        progressFetch((u, i) => fetch(u, i), tty),
      );
    const desktop = await open("desktop");
    await desktop.syncUpload(user, big);
    const drawn = lines.join("");
    expect(drawn).toMatch(new RegExp(`upload  /v1/users/${user}/docs/default \\[#{24}\\] 100% (\\d\\.\\d)/\\1 MB`));
    // Partway too, as the body streams out, each state redrawn in place.
    expect(drawn).toMatch(/\r[^\r]*\] +[1-9]\d?% /);
    lines.length = 0;
    expect(await (await open("mobile")).syncDownload(user)).toEqual(big);
    // Incremental: the cursor read names the large token, which streams from its version.
    expect(lines.join("")).toMatch(/download \/v1\/users\/\S+\/docs\/default\/versions\/1 \[#{24}\] 100%/);
  });
});

describe("npm run demo", () => {
  it("plays desktop and mobile through upload, download, a merged edit, devices and rollback against a running Worker", async () => {
    const root = resolve(import.meta.dirname, "../..");
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--experimental-strip-types", "--disable-warning=ExperimentalWarning", "scripts/demo.ts"],
      {
        cwd: root,
        env: { PATH: process.env["PATH"] ?? "", CLOUD_SYNC_URL: harness.server.url },
        timeout: 60_000,
      },
    );
    expect(stdout).toContain(`Using the Worker at ${harness.server.url}.`);
    for (const step of [
      "1. Desktop uploads",
      "2. Mobile downloads",
      "3. Both edit at the same time",
      "4. Devices of",
      "5. History and rollback",
    ]) {
      expect(stdout).toContain(step);
    }
    expect(stdout).toMatch(/desktop-01 +Desktop/);
    expect(stdout).toMatch(/mobile-01 +Mobile/);
    expect(stdout.match(/both devices hold the same data: yes/g)).toHaveLength(2);
    expect(stdout).toContain('"theme":"light"');
    expect(stdout).toContain('"empathy":0.95');
    expect(stdout).toMatch(/Done; the demo account demo-\w+ was deleted\./);
  });
});

function safeRead(dir: string, name: string): string | undefined {
  try {
    return readFileSync(join(dir, name), "utf8");
  } catch {
    return undefined;
  }
}
