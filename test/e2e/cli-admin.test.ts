/**
 * The admin credential from the CLI, over real HTTP against the Worker in workerd: a leaked routine
 * token (what the previous release put in capability URLs) cannot lock the owner out, and
 * `devices remove ID` and `account delete` work with the admin credential the CLI derives.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deriveAuthToken } from "../../client/core/crypto/credential.ts";
import { buildCli, Cli, freshWorkDir, removeDir } from "../support/cli-runner.ts";
import { freshKey, freshUser } from "../support/sync-clients.ts";
import { startWorkerServer, type WorkerServer } from "../support/worker-server.ts";

let server: WorkerServer;
let build: { path: string; dispose(): void };
let cli: Cli;
const dirs: string[] = [];

beforeAll(async () => {
  [server, build] = await Promise.all([startWorkerServer(), Promise.resolve(buildCli())]);
  cli = new Cli(build.path);
});
afterAll(async () => {
  await server.stop();
  build.dispose();
  dirs.forEach(removeDir);
});

function owner() {
  const dir = freshWorkDir();
  dirs.push(dir);
  const key = freshKey();
  const user = freshUser("admin");
  writeFileSync(join(dir, "state.json"), JSON.stringify({ theme: "dark" }));
  const run = (args: string[], device = "desktop", extra: Record<string, string> = {}) =>
    cli.run(args, {
      cwd: dir,
      env: {
        CLOUD_SYNC_URL: server.url,
        FERNET_KEY: key,
        CLOUD_SYNC_DEVICE_ID: device,
        CLOUD_SYNC_DATA_DIR: join(dir, `state-${device}`),
        ...extra,
      },
    });
  return { key, user, run };
}

describe("a leaked routine token", () => {
  it("cannot set a credential or delete the account: the owner still syncs and rotates the key", async () => {
    const a = owner();
    expect((await a.run(["sync", "--username", a.user, "--file", "state.json"])).code).toBe(0);
    const leaked = await deriveAuthToken(a.key, a.user);
    const hijack = await fetch(`${server.url}/v1/users/${a.user}/credential`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${leaked}`, "Content-Type": "application/json" },
      body: JSON.stringify({ token: "A".repeat(43) }),
    });
    expect(hijack.status).toBe(401);
    const wipe = await fetch(`${server.url}/v1/users/${a.user}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${leaked}` },
    });
    expect(wipe.status).toBe(401);
    expect((await a.run(["sync", "--username", a.user, "--file", "state.json"])).code).toBe(0);
    const newKey = freshKey();
    const rotated = await a.run(["rotate-key", "--username", a.user, "--new-key", newKey]);
    expect([rotated.code, rotated.stderr]).toEqual([0, ""]);
    const after = await a.run(["pull", "--username", a.user], "desktop", { FERNET_KEY: `${newKey},${a.key}` });
    expect([after.code, JSON.parse(after.stdout)]).toEqual([0, { theme: "dark" }]);
  });
});

describe("devices remove", () => {
  it("takes a device off the list with the admin credential", async () => {
    const a = owner();
    for (const device of ["desktop", "laptop"])
      expect((await a.run(["sync", "--username", a.user, "--file", "state.json"], device)).code).toBe(0);
    const removed = await a.run(["devices", "--username", a.user, "remove", "laptop", "--json"]);
    expect([removed.code, JSON.parse(removed.stdout)]).toEqual([0, { username: a.user, removed: "laptop" }]);
    const listed = JSON.parse((await a.run(["devices", "--username", a.user, "--json"])).stdout) as Array<{
      device_id: string;
    }>;
    expect(listed.map((d) => d.device_id)).toEqual(["desktop"]);
  });

  it("refuses another word with exit 2, and an unknown device with exit 5", async () => {
    const a = owner();
    expect((await a.run(["sync", "--username", a.user, "--file", "state.json"])).code).toBe(0);
    const wrong = await a.run(["devices", "--username", a.user, "frob"]);
    expect([wrong.code, wrong.stderr]).toEqual([2, expect.stringContaining("`remove ID`")]);
    const ghost = await a.run(["devices", "--username", a.user, "remove", "ghost"]);
    expect([ghost.code, ghost.stderr]).toEqual([5, expect.stringContaining("no such device")]);
  });
});

describe("account delete", () => {
  it("refuses without a terminal to ask or --yes, and deletes everything with --yes", async () => {
    const a = owner();
    expect((await a.run(["sync", "--username", a.user, "--file", "state.json"])).code).toBe(0);
    const unasked = await a.run(["account", "--username", a.user, "delete"]);
    expect([unasked.code, unasked.stderr]).toEqual([2, expect.stringContaining("pass --yes")]);
    expect(JSON.parse((await a.run(["pull", "--username", a.user])).stdout)).toEqual({ theme: "dark" });
    const deleted = await a.run(["account", "--username", a.user, "delete", "--yes", "--json"]);
    expect([deleted.code, JSON.parse(deleted.stdout)]).toEqual([0, { username: a.user, deleted: true }]);
    const token = await deriveAuthToken(a.key, a.user);
    const res = await fetch(`${server.url}/v1/users/${a.user}/docs`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
  });

  it("is listed in the help with devices remove", async () => {
    const help = await cli.run(["--help"]);
    expect(help.stdout).toMatch(/\n {2}account +delete the account/);
    expect((await cli.run(["devices", "--help"])).stdout).toContain("--username U [remove ID]");
  });
});
