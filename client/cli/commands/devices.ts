/** `cloud-sync devices`: every device that has synced for the user, with its last sync. */
import type { DeviceRecord } from "../../core/index.ts";
import type { Command } from "../command.ts";
import { userOf, USERNAME } from "../options.ts";
import { table } from "../table.ts";

export const devices: Command = {
  name: "devices",
  summary: "list the devices that have synced for the user",
  usage: "--username U",
  options: { username: USERNAME },
  details:
    "With --json: an array of {device_id, name, platform, first_seen, last_upload, last_download, last_sync, this_device}.",
  async run(ctx) {
    const username = userOf(ctx.values, "devices");
    const manager = await ctx.manager();
    const list = (await manager.listDevices(username)).map((d) => ({
      ...d,
      this_device: d.device_id === manager.deviceId,
    }));
    return { json: list, text: devicesText(username, list) };
  },
};

function devicesText(username: string, list: Array<DeviceRecord & { this_device: boolean }>): string {
  if (list.length === 0) return `No device has synced for ${username} yet.`;
  const rows = list.map((d) => [
    d.device_id,
    d.name ?? "-",
    d.platform ?? "-",
    d.last_sync ?? "never",
    d.this_device ? "(this device)" : "",
  ]);
  return table(["DEVICE", "NAME", "PLATFORM", "LAST SYNC", ""], rows);
}
