/**
 * The `cloud-sync` CLI, built and run as a child process on the system Node against the Worker in
 * workerd: usage and configuration errors, `.env`, keygen and device-id, legacy-url with a
 * Python client, push and pull, and the exit code of every kind of failure.
 */
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { fingerprintDeviceId } from "../../client/core/device-id.ts";
import { decodeFernetKey } from "../../client/core/crypto/fernet-key.ts";
import { nodeMachineInfo } from "../../client/node/machine-info.ts";
import type { CliRun } from "../support/cli-runner.ts";
import { useCliHarness } from "../support/cli-harness.ts";
import { closedPortUrl } from "../support/closed-port.ts";
import { freshKey } from "../support/sync-clients.ts";

const harness = useCliHarness();
let closedUrl: string;

beforeAll(async () => {
  closedUrl = await closedPortUrl();
});

/** A user with a key and a working folder; `env` configures a device of theirs. */
const account = () => harness.freshAccount("cli");

function expectFailure(result: CliRun, code: number, message: RegExp): void {
  expect(result.code).toBe(code);
  expect(result.stderr).toMatch(message);
  // One line on stderr, no stack trace.
  expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(result.stderr).toMatch(/^cloud-sync: /);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

const run = promisify(execFile);
/** The Python module's wire behaviour at CLOUD_SYNC_URL: upload a payload (optionally under another key), or download and decrypt. */
const PYTHON_SEED = `
import json, sys, urllib.request
from datetime import datetime
from cryptography.fernet import Fernet
url, key, username, mode = sys.argv[1:5]
f = Fernet(key.encode())
if mode == "upload":
    payload = {"username": username, "device_id": "py-device", "timestamp": datetime.now().isoformat(), "data": json.loads(sys.argv[5])}
    body = json.dumps({"username": username, "device_id": "py-device", "encrypted_data": f.encrypt(json.dumps(payload).encode()).hex()}).encode()
    req = urllib.request.Request(url + "/upload", data=body, headers={"Content-Type": "application/json"})
    print(urllib.request.urlopen(req).status)
else:
    answer = json.load(urllib.request.urlopen(url + "/download?username=" + username + "&device_id=py-device"))
    print(json.dumps(json.loads(f.decrypt(bytes.fromhex(answer["encrypted_data"]).decode()))["data"]))
`;
async function python(...args: string[]): Promise<string> {
  return (await run("python3", ["-c", PYTHON_SEED, ...args], { timeout: 30_000 })).stdout.trim();
}

describe("usage", () => {
  it("is built as an executable file with a node shebang, as npx runs it", () => {
    expect(statSync(harness.cliPath).mode & 0o111).toBe(0o111);
    expect(readFileSync(harness.cliPath, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
  });

  it("prints the command list with --help and exits 0", async () => {
    const result = await harness.cli.run(["--help"]);
    expect(result.code).toBe(0);
    for (const command of [
      "keygen",
      "device-id",
      "legacy-url",
      "push",
      "pull",
      "sync",
      "status",
      "devices",
      "history",
      "rollback",
      "rotate-key",
      "watch",
    ]) {
      expect(result.stdout).toContain(`\n  ${command} `);
    }
    expect(result.stdout).toContain("CLOUD_SYNC_URL");
  });

  it("prints a command's options with --help, even when the configuration is missing", async () => {
    const result = await harness.cli.run(["rollback", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: cloud-sync rollback --username U (--version N [--doc D] | --at ISO-8601)");
    expect(result.stdout).toContain("--at ISO-8601");
  });

  it("exits 2 with one line for a missing or unknown command, an unknown flag, a missing value or option, and a stray argument", async () => {
    expectFailure(await harness.cli.run([]), 2, /no command given/);
    expectFailure(await harness.cli.run(["upload"]), 2, /unknown command "upload"/);
    expectFailure(
      await harness.cli.run(["push", "--username", "a", "--file", "f", "--force"]),
      2,
      /unknown option --force for push/,
    );
    expectFailure(await harness.cli.run(["pull", "--username"]), 2, /option --username of pull needs a value/);
    expectFailure(await harness.cli.run(["pull"]), 2, /pull needs --username/);
    expectFailure(await harness.cli.run(["pull", "--username", "a", "extra"]), 2, /pull takes no argument "extra"/);
  });

  it("reports a usage error as JSON on stdout as well with --json", async () => {
    const result = await harness.cli.run(["pull", "--json"]);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      error: { code: "invalid_config", message: expect.stringContaining("--username"), exit_code: 2 },
    });
  });
});

describe("configuration", () => {
  it("names CLOUD_SYNC_URL, then FERNET_KEY, when they are missing (exit 2)", async () => {
    expectFailure(
      await harness.cli.run(["pull", "--username", "a"], { env: { FERNET_KEY: freshKey() } }),
      2,
      /CLOUD_SYNC_URL is not set/,
    );
    expectFailure(
      await harness.cli.run(["pull", "--username", "a"], { env: { CLOUD_SYNC_URL: harness.server.url } }),
      2,
      /FERNET_KEY is not set/,
    );
  });

  it("rejects a malformed FERNET_KEY or CLOUD_SYNC_URL without echoing the key", async () => {
    const bad = "not-a-key-but-a-secret-0123456789";
    const result = await harness.cli.run(["pull", "--username", "a"], {
      env: { CLOUD_SYNC_URL: harness.server.url, FERNET_KEY: bad },
    });
    expectFailure(result, 2, /FERNET_KEY is not a Fernet key/);
    expect(result.stderr).not.toContain(bad);
    expectFailure(
      await harness.cli.run(["pull", "--username", "a"], {
        env: { CLOUD_SYNC_URL: "ftp://x", FERNET_KEY: freshKey() },
      }),
      2,
      /CLOUD_SYNC_URL must be an http/,
    );
    expectFailure(
      await harness.cli.run(["device-id"], { env: { CLOUD_SYNC_DEVICE_ID: "bad/id" } }),
      2,
      /CLOUD_SYNC_DEVICE_ID is not a valid device id/,
    );
  });

  it("reads .env in the working directory, and the environment wins over it", async () => {
    const a = account();
    await a.run(["push", "--username", a.user, "--file", a.write("data.json", { from: "env" })]);
    writeFileSync(
      join(a.dir, ".env"),
      `# a Python device's configuration\nCLOUD_SYNC_URL=${harness.server.url}\nexport FERNET_KEY="${a.key}"\nCLOUD_SYNC_DEVICE_ID=from-dotenv # a comment\n`,
    );
    const viaDotenv = await harness.cli.run(["pull", "--username", a.user], {
      cwd: a.dir,
      env: { CLOUD_SYNC_DATA_DIR: join(a.dir, "s") },
    });
    expect(viaDotenv.code).toBe(0);
    expect(JSON.parse(viaDotenv.stdout)).toEqual({ from: "env" });
    const id = await harness.cli.run(["device-id"], { cwd: a.dir });
    expect(id.stdout.trim()).toBe("from-dotenv");
    const overridden = await harness.cli.run(["device-id"], { cwd: a.dir, env: { CLOUD_SYNC_DEVICE_ID: "from-env" } });
    expect(overridden.stdout.trim()).toBe("from-env");
  });

  it("accepts the Python module's legacy CLOUD_SYNC_URL and uses its origin", async () => {
    const a = account();
    await a.run(["push", "--username", a.user, "--file", a.write("d.json", { n: 1 })]);
    const url = (await a.run(["legacy-url", "--username", a.user])).stdout.trim();
    const result = await a.run(["pull", "--username", a.user], "desktop", { CLOUD_SYNC_URL: url });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ n: 1 });
  });
});

describe("keygen and device-id", () => {
  it("keygen prints a new 32-byte Fernet key each time, as text or JSON", async () => {
    const [text, json] = await Promise.all([harness.cli.run(["keygen"]), harness.cli.run(["keygen", "--json"])]);
    expect(text.code).toBe(0);
    const key = text.stdout.trim();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    expect(decodeFernetKey(key)).toHaveLength(32);
    const { key: other } = JSON.parse(json.stdout) as { key: string };
    expect(other).not.toBe(key);
  });

  it("device-id prints the Python module's fingerprint of this machine, or CLOUD_SYNC_DEVICE_ID", async () => {
    const expected = await fingerprintDeviceId(nodeMachineInfo());
    const result = await harness.cli.run(["device-id"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(expected);
    const json = await harness.cli.run(["device-id", "--json"], { env: { CLOUD_SYNC_DEVICE_ID: "laptop-1" } });
    expect(JSON.parse(json.stdout)).toEqual({ device_id: "laptop-1", source: "CLOUD_SYNC_DEVICE_ID" });
  });
});

describe("legacy-url", () => {
  it("claims the username and prints a URL the Python module uploads and downloads through", async () => {
    const a = account();
    const result = await a.run(["legacy-url", "--username", a.user, "--json"]);
    expect(result.code).toBe(0);
    const { url, claimed, username } = JSON.parse(result.stdout) as { url: string; claimed: boolean; username: string };
    expect({ claimed, username }).toEqual({ claimed: true, username: a.user });
    expect(url).toMatch(new RegExp(`^${harness.server.url}/legacy/[A-Za-z0-9_-]{43}$`));
    expect(await python(url, a.key, a.user, "upload", JSON.stringify({ preferences: { theme: "dark" } }))).toBe("200");
    expect(JSON.parse((await a.run(["pull", "--username", a.user])).stdout)).toEqual({
      preferences: { theme: "dark" },
    });
    await a.run(["push", "--username", a.user, "--file", a.write("p.json", { preferences: { theme: "light" } })]);
    expect(JSON.parse(await python(url, a.key, a.user, "download"))).toEqual({ preferences: { theme: "light" } });
    const again = await a.run(["legacy-url", "--username", a.user, "--json"]);
    expect(JSON.parse(again.stdout)).toEqual({ username: a.user, url, claimed: false });
  });

  it("exits 5 when the username belongs to another key", async () => {
    const a = account();
    await a.run(["legacy-url", "--username", a.user]);
    const other = await harness.cli.run(["legacy-url", "--username", a.user], {
      env: { ...a.env(), FERNET_KEY: freshKey() },
    });
    expectFailure(other, 5, /belongs to another key|claimed with a different FERNET_KEY/);
    expect(other.stdout).toBe("");
  });
});

describe("push and pull", () => {
  it("pushes a file as a new version and pulls it on another device, as text and JSON", async () => {
    const a = account();
    const data = { preferences: { theme: "dark", language: "en" }, ai_persona: { curiosity: 0.8 } };
    const pushed = await a.run(["push", "--username", a.user, "--file", a.write("data.json", data)]);
    expect(pushed.code).toBe(0);
    expect(pushed.stdout.trim()).toBe(`Pushed data.json to ${a.user}/default: version 1.`);
    const again = await a.run(["push", "--username", a.user, "--file", "data.json", "--json"]);
    expect(JSON.parse(again.stdout)).toEqual({ username: a.user, doc: "default", version: 2 });
    const pulled = await a.run(["pull", "--username", a.user], "mobile");
    expect(pulled.code).toBe(0);
    expect(JSON.parse(pulled.stdout)).toEqual(data);
    const json = await a.run(["pull", "--username", a.user, "--json"], "mobile");
    expect(JSON.parse(json.stdout)).toEqual({ username: a.user, doc: "default", data });
  });

  it("keeps documents apart with --doc and prints null for one that does not exist", async () => {
    const a = account();
    await a.run(["push", "--username", a.user, "--doc", "memory", "--file", a.write("m.json", { turns: [] })]);
    expect(JSON.parse((await a.run(["pull", "--username", a.user, "--doc", "memory"])).stdout)).toEqual({ turns: [] });
    const missing = await a.run(["pull", "--username", a.user]);
    expect(missing.code).toBe(0);
    expect(missing.stdout.trim()).toBe("null");
    expect(missing.stderr).toContain("does not exist on the server yet");
  });

  it("exits 2 for a file that is missing or not JSON, naming it", async () => {
    const a = account();
    expectFailure(
      await a.run(["push", "--username", a.user, "--file", "nope.json"]),
      2,
      /Cannot read .*nope\.json: no such file/,
    );
    expectFailure(
      await a.run(["push", "--username", a.user, "--file", a.write("bad.json", "{ not json")]),
      2,
      /bad\.json is not valid JSON/,
    );
    expectFailure(
      await a.run(["push", "--username", a.user, "--file", "x.json", "--doc", "Bad Name"]),
      2,
      /Invalid document name/,
    );
  });
});

describe("failures and their exit codes", () => {
  it("exits 3 naming FERNET_KEY when a document was written with another key", async () => {
    const a = account();
    const url = (await a.run(["legacy-url", "--username", a.user])).stdout.trim();
    // A Python device holding the capability URL but a different FERNET_KEY uploads.
    await python(url, freshKey(), a.user, "upload", JSON.stringify({ x: 1 }));
    expectFailure(await a.run(["pull", "--username", a.user]), 3, /cannot be decrypted with this FERNET_KEY/);
  });

  it("exits 5 when another key's credential is refused for an existing user", async () => {
    const a = account();
    await a.run(["push", "--username", a.user, "--file", a.write("d.json", { a: 1 })]);
    const result = await harness.cli.run(["pull", "--username", a.user], {
      env: { ...a.env("intruder"), FERNET_KEY: freshKey() },
    });
    expectFailure(result, 5, /refused the credential/);
  });

  it("exits 4 saying the change is queued when the server is unreachable, and the next command sends it", async () => {
    const a = account();
    const offline = await a.run(
      ["push", "--username", a.user, "--file", a.write("d.json", { offline: true })],
      "desktop",
      { CLOUD_SYNC_URL: closedUrl },
    );
    expectFailure(offline, 4, /unreachable.*queued \(1 pending\)/);
    const status = JSON.parse((await a.run(["status", "--username", a.user, "--json"])).stdout) as {
      pendingChanges: number;
    };
    expect(status.pendingChanges).toBe(1);
    const read = await a.run(["pull", "--username", a.user, "--doc", "other"], "desktop", {
      CLOUD_SYNC_URL: closedUrl,
    });
    expectFailure(read, 4, /unreachable/);
    // Any command that reaches the server replays the queue first.
    const history = await a.run(["history", "--username", a.user, "--json"]);
    expect(history.code).toBe(0);
    expect((JSON.parse(history.stdout) as unknown[]).length).toBe(1);
    expect(JSON.parse((await a.run(["pull", "--username", a.user], "mobile")).stdout)).toEqual({ offline: true });
    expect(
      (JSON.parse((await a.run(["status", "--username", a.user, "--json"])).stdout) as { pendingChanges: number })
        .pendingChanges,
    ).toBe(0);
  });

  it("shows configuration and requests with --verbose, never the key", async () => {
    const a = account();
    const result = await a.run(["push", "--username", a.user, "--file", a.write("d.json", { v: 1 }), "--verbose"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`device desktop; data folder ${join(a.dir, "state-desktop")}`);
    expect(result.stderr).toMatch(new RegExp(`PUT /v1/users/${a.user}/docs/default -> 20[01]`));
    expect(result.stderr + result.stdout).not.toContain(a.key);
    const failed = await a.run(["pull", "--username", a.user, "--verbose"], "desktop", { CLOUD_SYNC_URL: closedUrl });
    expect(failed.code).toBe(4);
    // With --verbose the stack follows the one-line message.
    expect(failed.stderr).toMatch(/\n\s+at /);
    expect(failed.stderr).not.toContain(a.key);
  });

  it("keeps its state in the per-user data folder when CLOUD_SYNC_DATA_DIR is not set", async () => {
    const a = account();
    mkdirSync(join(a.dir, "xdg"));
    const env = {
      CLOUD_SYNC_URL: harness.server.url,
      FERNET_KEY: a.key,
      CLOUD_SYNC_DEVICE_ID: "d1",
      XDG_DATA_HOME: join(a.dir, "xdg"),
    };
    const result = await harness.cli.run(
      ["push", "--username", a.user, "--file", a.write("d.json", { x: 1 }), "--verbose"],
      {
        cwd: a.dir,
        env,
      },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`data folder ${join(a.dir, "xdg", "cloud-sync")}`);
    expect(readdirSync(join(a.dir, "xdg", "cloud-sync")).length).toBeGreaterThan(0);
  });
});
