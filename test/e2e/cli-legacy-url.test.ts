/**
 * `cloud-sync legacy-url` over real HTTP against the Worker in workerd: the URL carries a
 * capability token of its own, which opens the Python-compatible routes and never `/v1`; `--rotate` replaces
 * it and `--revoke` withdraws it at once; a URL of the previous release (the routine token in the
 * path) keeps working until the first capability URL is issued.
 */
import { describe, expect, it } from "vitest";
import { deriveAuthToken } from "../../client/core/crypto/credential.ts";
import { useCliHarness } from "../support/cli-harness.ts";

const harness = useCliHarness();

function owner() {
  const a = harness.freshAccount("cap");
  const url = async (...flags: string[]) => {
    const result = await a.run(["legacy-url", "--username", a.user, ...flags]);
    expect([result.code, result.stderr]).toEqual([0, ""]);
    return result.stdout.trim();
  };
  return { ...a, url };
}

/** What the Python module sends through CLOUD_SYNC_URL: an upload, a download, a device listing; their statuses. */
async function seed(url: string, user: string): Promise<number[]> {
  const up = await fetch(`${url}/upload`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: user, device_id: "feedfacecafebeef", encrypted_data: "00" }),
  });
  const down = await fetch(`${url}/download?username=${user}&device_id=feedfacecafebeef`);
  const devices = await fetch(`${url}/devices?username=${user}`);
  await Promise.all([up.text(), down.text(), devices.text()]);
  // An upload of "00" is refused as no Fernet token (400) once authenticated: 401 means it was not.
  return [up.status, down.status, devices.status];
}

describe("legacy-url", () => {
  it("prints a URL whose token opens the Python-compatible routes of its user and nothing of /v1", async () => {
    const a = owner();
    const url = await a.url();
    const token = url.slice(url.lastIndexOf("/") + 1);
    expect(token).not.toBe(await deriveAuthToken(a.key, a.user));
    expect(await seed(url, a.user)).toEqual([400, 404, 200]);
    const v1 = await fetch(`${harness.server.url}/v1/users/${a.user}/docs`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(v1.status).toBe(401);
    expect(await a.url()).toBe(url);
  });

  it("--rotate stops the old URL at once and prints a new one; --revoke stops every URL", async () => {
    const a = owner();
    const first = await a.url();
    const second = await a.url("--rotate");
    expect(second).not.toBe(first);
    expect(await seed(first, a.user)).toEqual([401, 401, 401]);
    expect(await seed(second, a.user)).toEqual([400, 404, 200]);
    const revoked = await a.run(["legacy-url", "--username", a.user, "--revoke", "--json"]);
    expect([revoked.code, JSON.parse(revoked.stdout)]).toEqual([0, { username: a.user, revoked: true }]);
    expect(await seed(second, a.user)).toEqual([401, 401, 401]);
    const third = await a.url();
    expect(await seed(third, a.user)).toEqual([400, 404, 200]);
  });

  it("keeps a URL of the previous release (the routine token) working until it issues the first capability URL", async () => {
    const a = owner();
    expect((await a.run(["devices", "--username", a.user])).code).toBe(0);
    const previous = `${harness.server.url}/legacy/${await deriveAuthToken(a.key, a.user)}`;
    expect(await seed(previous, a.user)).toEqual([400, 404, 200]);
    const url = await a.url();
    expect(await seed(previous, a.user)).toEqual([401, 401, 401]);
    expect(await seed(url, a.user)).toEqual([400, 404, 200]);
  });
});
