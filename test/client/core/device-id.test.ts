/** Device ids: the Python module's fingerprint formula, equal to what python3 computes on this machine. */

import { describe, expect, it } from "vitest";
import { fingerprintDeviceId, randomDeviceId } from "../../../client/core/device-id.ts";
import { nodeMachineInfo } from "../../../client/node/machine-info.ts";
import { python } from "../../interop/python-oracle.ts";

interface PythonMachineInfo {
  hostname: string;
  system: string;
  machine: string;
  mac: string;
}

describe("fingerprintDeviceId", () => {
  it("equals the Python module's formula run by python3 on this machine", async () => {
    expect(await fingerprintDeviceId(nodeMachineInfo())).toBe(python<string>({ op: "device_id" }));
  });

  it("reads the same hostname, system, machine and uuid.getnode() as python3", () => {
    const info = nodeMachineInfo();
    const expected = python<PythonMachineInfo>({ op: "machine_info" });
    expect({ ...info, mac: String(info.mac) }).toEqual(expected);
  });

  it("hashes hostname-system-machine-mac and keeps 16 hex characters", async () => {
    // sha256("vm-Linux-x86_64-3281355014145") = bd08725c35423ad4...
    const info = { hostname: "vm", system: "Linux", machine: "x86_64" };
    expect(await fingerprintDeviceId({ ...info, mac: 3281355014145n })).toBe("bd08725c35423ad4");
    expect(await fingerprintDeviceId({ ...info, mac: 3281355014145 })).toBe("bd08725c35423ad4");
    expect(await fingerprintDeviceId({ ...info, mac: "3281355014145" })).toBe("bd08725c35423ad4");
  });

  it("refuses a MAC that is not a non-negative integer", async () => {
    const info = { hostname: "vm", system: "Linux", machine: "x86_64" };
    await expect(fingerprintDeviceId({ ...info, mac: -1 })).rejects.toThrow(RangeError);
    await expect(fingerprintDeviceId({ ...info, mac: "02:fc:00:00:00:01" })).rejects.toThrow(RangeError);
  });
});

describe("randomDeviceId", () => {
  it("gives 16 lowercase hex characters, different each time", () => {
    const ids = new Set(Array.from({ length: 50 }, () => randomDeviceId()));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{16}$/);
  });
});
