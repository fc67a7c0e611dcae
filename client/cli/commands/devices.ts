/**
 * `cloud-sync devices`: every device that has synced for the user, with its last sync;
 * `cloud-sync devices remove ID` takes one off the list with the admin credential.
 */
import { isDeviceId, SyncError, type DeviceRecord } from "../../core/index.ts";
import type { Command, CommandContext, CommandResult } from "../command.ts";
import { userOf, USERNAME } from "../options.ts";
import { table } from "../table.ts";

export const devices: Command = {
  name: "devices",
  summary: "list the devices that have synced for the user, or remove one",
  usage: "--username U [remove ID]",
  options: { username: USERNAME },
  words: 2,
  details:
    "With --json: an array of {device_id, name, platform, first_seen, last_upload, last_download, last_sync, this_device}.\n" +
    "`devices remove ID` removes the device ID from the list with the admin credential (derived from FERNET_KEY,\n" +
    "never sent on other requests). A device that still holds the key appears again when it next syncs: to\n" +
    "lock it out for good, run `cloud-sync rotate-key`.",
  async run(ctx) {
    const username = userOf(ctx.values, "devices");
    const [action, id] = ctx.words;
    if (action === undefined) return list(ctx, username);
    if (action !== "remove" || id === undefined)
      throw new SyncError("invalid_config", "devices takes no word but `remove ID` (see `cloud-sync devices --help`).");
    if (!isDeviceId(id)) throw new SyncError("invalid_name", `${JSON.stringify(id)} is not a device id.`);
    await (await ctx.manager()).removeDevice(username, id);
    return { json: { username, removed: id }, text: `Removed device ${id} from ${username}.` };
  },
};

async function list(ctx: CommandContext, username: string): Promise<CommandResult> {
  const manager = await ctx.manager();
  const all = (await manager.listDevices(username)).map((d) => ({
    ...d,
    this_device: d.device_id === manager.deviceId,
  }));
  return { json: all, text: devicesText(username, all) };
}

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
