/**
 * The admin credential from the CLI, over real HTTP against the Worker in workerd: a leaked routine
 * token (what the previous release put in capability URLs) cannot lock the owner out, and
 * `devices remove ID` and `account delete` work with the admin credential the CLI derives.
 */
import { describe, expect, it } from "vitest";
import { deriveAuthToken } from "../../client/core/crypto/credential.ts";
import { useCliHarness } from "../support/cli-harness.ts";
import { freshKey } from "../support/sync-clients.ts";

const harness = useCliHarness();

function owner() {
  const a = harness.freshAccount("admin");
  a.write("state.json", { theme: "dark" });
  return a;
}

describe("a leaked routine token", () => {
  it("cannot set a credential or delete the account: the owner still syncs and rotates the key", async () => {
    const a = owner();
    expect((await a.run(["sync", "--username", a.user, "--file", "state.json"])).code).toBe(0);
    const leaked = await deriveAuthToken(a.key, a.user);
    const hijack = await fetch(`${harness.server.url}/v1/users/${a.user}/credential`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${leaked}`, "Content-Type": "application/json" },
      body: JSON.stringify({ token: "A".repeat(43) }),
    });
    expect(hijack.status).toBe(401);
    const wipe = await fetch(`${harness.server.url}/v1/users/${a.user}`, {
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
    const res = await fetch(`${harness.server.url}/v1/users/${a.user}/docs`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(401);
  });

  it("is listed in the help with devices remove", async () => {
    const help = await harness.cli.run(["--help"]);
    expect(help.stdout).toMatch(/\n {2}account +delete the account/);
    expect((await harness.cli.run(["devices", "--help"])).stdout).toContain("--username U [remove ID]");
  });
});
