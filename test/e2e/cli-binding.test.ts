/**
 * The token binding through the `cloud-sync` CLI against the Worker in workerd: a restored old token
 * exits 3 (tamper_detected) on every device and leaves its file alone, history shows the device
 * sealed inside each token, and status warns of versions it could not check.
 */
import { describe, expect, it } from "vitest";
import { deriveAuthToken } from "../../client/core/crypto/credential.ts";
import { ApiClient } from "../../client/core/wire/api-client.ts";
import { useCliHarness } from "../support/cli-harness.ts";
import { useWorkerServer } from "../support/use-worker-server.ts";

const harness = useCliHarness();
const pruning = useWorkerServer({ vars: { HISTORY_RETENTION: "2" } });

function account(url: string) {
  const a = harness.freshAccount("clibind", { url });
  const holder = new ApiClient({ baseUrl: url, deviceId: "laptop", token: () => deriveAuthToken(a.key, a.user) });
  return { ...a, holder };
}

describe("cloud-sync and the token binding", () => {
  it("exits 3 on every device for a restored old token, leaving each file as it was", async () => {
    const a = account(harness.server.url);
    a.write("laptop.json", { balance: 100, note: "old" });
    expect((await a.run(["sync", "-u", a.user, "-f", "laptop.json"], "laptop")).code).toBe(0);
    expect((await a.run(["sync", "-u", a.user, "-f", "phone.json"], "phone")).code).toBe(0);
    a.write("phone.json", { balance: 5, note: "new" });
    expect((await a.run(["sync", "-u", a.user, "-f", "phone.json"], "phone")).code).toBe(0);
    expect((await a.run(["sync", "-u", a.user, "-f", "laptop.json"], "laptop")).code).toBe(0);
    expect(a.read("laptop.json")).toEqual({ balance: 5, note: "new" });
    // With only the bearer token: version 1's bytes written again as version 3.
    const old = (await a.holder.getVersion(a.user, "default", 1))!.bytes;
    expect(await a.holder.putDocument(a.user, "default", old, { ifMatch: 2 })).toMatchObject({ ok: true });
    for (const device of ["laptop", "phone"]) {
      const result = await a.run(["sync", "-u", a.user, "-f", `${device}.json`], device);
      expect(result.code, result.stderr).toBe(3);
      expect(result.stderr).toContain("as version 3, but the token says it is version 1");
      expect(a.read(`${device}.json`)).toEqual({ balance: 5, note: "new" });
    }
  });

  it("shows the envelope's device id in history and flags the device the server recorded", async () => {
    const a = account(harness.server.url);
    a.write("phone.json", { from: "phone" });
    expect((await a.run(["push", "-u", a.user, "-f", "phone.json"], "phone")).code).toBe(0);
    const stored = (await a.holder.getVersion(a.user, "default", 1))!.bytes;
    expect(await a.holder.putDocument(a.user, "default", stored, { ifMatch: 1 })).toMatchObject({ ok: true });
    const listed = await a.run(["history", "-u", a.user, "--json"], "phone");
    expect(listed.code, listed.stderr).toBe(0);
    const entries = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    expect(entries.map((e) => [e["version"], e["device_id"], e["server_device_id"], e["device_mismatch"]])).toEqual([
      [2, "phone", "laptop", true],
      [1, "phone", "phone", false],
    ]);
    const text = await a.run(["history", "-u", a.user], "phone");
    expect(text.stdout.split("\n")[1]).toMatch(/^2\s+\S+Z\s+phone \(this device\) \[MISMATCH: server says laptop\]/);
  });

  it("warns in status of versions it could not check before taking a bound one", async () => {
    const a = account(pruning.url);
    a.write("laptop.json", { step: 0 });
    expect((await a.run(["sync", "-u", a.user, "-f", "laptop.json"], "laptop")).code).toBe(0);
    for (let step = 1; step <= 4; step++) {
      a.write("phone.json", { step });
      expect((await a.run(["push", "-u", a.user, "-f", "phone.json"], "phone")).code).toBe(0);
    }
    expect((await a.run(["sync", "-u", a.user, "-f", "laptop.json"], "laptop")).code).toBe(0);
    expect(a.read("laptop.json")).toEqual({ step: 4 });
    const status = await a.run(["status", "-u", a.user], "laptop");
    expect(status.stdout).toMatch(
      /warning: default: versions 2-4 could not be checked \(pruned or deleted\); version 5 was taken on its binding alone/,
    );
  });
});
