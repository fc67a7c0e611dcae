/**
 * A CLI device introduces itself: after its first sync for a user it registers its name
 * (CLOUD_SYNC_DEVICE_NAME, else the machine's) and platform, so `devices` and the dashboard name it
 * instead of showing "unknown". Registered once, and again when the name changes.
 */
import { hostname } from "node:os";
import type { SyncManager } from "../core/index.ts";
import { FileStore } from "../node/index.ts";
import type { CommandContext } from "./command.ts";

export async function introduceDevice(ctx: CommandContext, manager: SyncManager, username: string): Promise<void> {
  const config = ctx.config();
  const name = config.deviceName ?? hostname();
  const platform = process.platform;
  const store = new FileStore(config.dataDir);
  const key = `cli/introduced/${username}`;
  const known = (await store.get(key).catch(() => undefined)) as Record<string, unknown> | undefined;
  if (known?.["device_id"] === manager.deviceId && known["name"] === name && known["platform"] === platform) return;
  try {
    await manager.registerDevice(username, { name, platform });
    await store.set(key, { device_id: manager.deviceId, name, platform });
    ctx.out.detail(`registered this device as "${name}" (${platform})`);
  } catch (error) {
    // The sync itself went through; the introduction is tried again by the next command.
    ctx.out.detail(`could not register this device's name yet: ${(error as Error).message}`);
  }
}
