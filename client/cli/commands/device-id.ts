/** `cloud-sync device-id`: this device's id, CLOUD_SYNC_DEVICE_ID or the machine fingerprint, as the Python module computes it. */
import { fingerprintDeviceId } from "../../core/index.ts";
import { nodeMachineInfo } from "../../node/machine-info.ts";
import type { Command } from "../command.ts";
import { deviceIdOverride } from "../env.ts";

export const deviceId: Command = {
  name: "device-id",
  summary: "print this device's id (CLOUD_SYNC_DEVICE_ID, else the Python module's machine fingerprint)",
  usage: "",
  options: {},
  async run(ctx) {
    const override = deviceIdOverride(ctx.env);
    const id = override ?? (await fingerprintDeviceId(nodeMachineInfo()));
    const source = override === null ? "fingerprint" : "CLOUD_SYNC_DEVICE_ID";
    ctx.out.detail(`device id from ${source}`);
    return { json: { device_id: id, source }, text: id };
  },
};
