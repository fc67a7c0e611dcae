/**
 * The device registry in KV: one key per device (`<username>/<device_id>`), never one hot key per
 * user, since KV allows about one write per second per key. The record is also the key's list
 * metadata, so a listing needs no reads. KV is eventually consistent across locations: a change
 * may take up to a minute to show elsewhere (locally it is immediate).
 */
import { perBinding } from "../isolate-memory.ts";
import { guard } from "./unavailable.ts";

export interface DeviceRecord {
  device_id: string;
  name: string | null;
  platform: string | null;
  first_seen: string;
  last_upload: string | null;
  last_download: string | null;
  last_sync: string | null;
}

/** MAX_DEVICES' default: more than any one person's devices, few enough to list in one KV page. */
export const DEFAULT_MAX_DEVICES = 100;

/** The registry already holds the most devices an account may have. */
export class DeviceLimitError extends Error {
  override readonly name = "DeviceLimitError";
  constructor(readonly limit: number) {
    super(`this account has ${limit} devices, the most it may register (MAX_DEVICES); remove one first`);
  }
}

/** True when the user's registry holds `limit` devices or more: one KV list of at most `limit` keys. */
async function isFull(kv: KVNamespace, username: string, limit: number): Promise<boolean> {
  const page = await guard("devices.list", () => kv.list({ prefix: `${username}/`, limit }));
  return page.keys.length >= limit;
}

/** Activity timestamps are rewritten only when older than this, so KV is not written per request. */
export const ACTIVITY_RESOLUTION_MS = 60_000;

function deviceKey(username: string, deviceId: string): string {
  return `${username}/${deviceId}`;
}

// What this isolate last read or wrote per device, so activity updates usually need no KV read.
const memoryFor = perBinding<KVNamespace, Map<string, DeviceRecord>>(() => new Map());

async function readDevice(kv: KVNamespace, username: string, deviceId: string): Promise<DeviceRecord | null> {
  return guard("devices.read", () => kv.get<DeviceRecord>(deviceKey(username, deviceId), "json"));
}

async function writeDevice(kv: KVNamespace, username: string, record: DeviceRecord): Promise<void> {
  const key = deviceKey(username, record.device_id);
  await guard("devices.write", () => kv.put(key, JSON.stringify(record), { metadata: record }));
  const memory = memoryFor(kv);
  if (memory.size > 10_000) memory.clear();
  memory.set(key, record);
}

function newRecord(deviceId: string, now: string): DeviceRecord {
  return {
    device_id: deviceId,
    name: null,
    platform: null,
    first_seen: now,
    last_upload: null,
    last_download: null,
    last_sync: null,
  };
}

export async function listDevices(kv: KVNamespace, username: string): Promise<DeviceRecord[]> {
  const out: DeviceRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await guard("devices.list", () =>
      kv.list<DeviceRecord>({ prefix: `${username}/`, ...(cursor === undefined ? {} : { cursor }) }),
    );
    for (const key of page.keys) if (key.metadata !== undefined) out.push(key.metadata);
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor !== undefined);
  return out;
}

/** Registers a device or renames it, keeping its first-seen time and activity. */
export async function registerDevice(
  kv: KVNamespace,
  username: string,
  deviceId: string,
  details: { name: string; platform: string },
  now: Date,
  maxDevices = DEFAULT_MAX_DEVICES,
): Promise<DeviceRecord> {
  const existing = await readDevice(kv, username, deviceId);
  if (existing === null && (await isFull(kv, username, maxDevices))) throw new DeviceLimitError(maxDevices);
  const record = {
    ...(existing ?? newRecord(deviceId, now.toISOString())),
    name: details.name,
    platform: details.platform,
  };
  await writeDevice(kv, username, record);
  return record;
}

/** Removes a device; true when it existed. */
export async function removeDevice(kv: KVNamespace, username: string, deviceId: string): Promise<boolean> {
  const key = deviceKey(username, deviceId);
  const existing = await readDevice(kv, username, deviceId);
  await guard("devices.delete", () => kv.delete(key));
  memoryFor(kv).delete(key);
  return existing !== null;
}

/** Removes every device of a user (account deletion). */
export async function removeAllDevices(kv: KVNamespace, username: string): Promise<void> {
  const memory = memoryFor(kv);
  for (const d of await listDevices(kv, username)) {
    const key = deviceKey(username, d.device_id);
    await guard("devices.delete", () => kv.delete(key));
    memory.delete(key);
  }
}

/**
 * Notes an upload or download by a device, registering it if new. Writes only when the stored
 * time is older than ACTIVITY_RESOLUTION_MS, so listed times lag by at most that much.
 */
export async function recordActivity(
  kv: KVNamespace,
  username: string,
  deviceId: string,
  kind: "upload" | "download",
  now: Date,
  maxDevices = DEFAULT_MAX_DEVICES,
): Promise<void> {
  const key = deviceKey(username, deviceId);
  const field = kind === "upload" ? "last_upload" : "last_download";
  const known = memoryFor(kv).get(key);
  if (known !== undefined && isRecent(known[field], now)) return;
  // Re-read before writing so a rename made meanwhile is kept.
  const stored = await readDevice(kv, username, deviceId);
  if (stored !== null && isRecent(stored[field], now)) {
    memoryFor(kv).set(key, stored);
    return;
  }
  // A full registry records no new device: X-Device-Id is the caller's word, so a token holder
  // could otherwise fill KV with made-up ids. The read or write itself still succeeds.
  if (stored === null && (await isFull(kv, username, maxDevices))) {
    console.warn("device_limit", maxDevices);
    return;
  }
  const at = now.toISOString();
  await writeDevice(kv, username, { ...(stored ?? newRecord(deviceId, at)), [field]: at, last_sync: at });
}

function isRecent(stamp: string | null, now: Date): boolean {
  return stamp !== null && now.getTime() - Date.parse(stamp) < ACTIVITY_RESOLUTION_MS;
}

/**
 * Records a successful upload or download. The registry is bookkeeping beside the document, so
 * its failure is logged and never fails the read or write it describes.
 */
export async function noteActivity(
  kv: KVNamespace,
  username: string,
  deviceId: string,
  kind: "upload" | "download",
  maxDevices = DEFAULT_MAX_DEVICES,
): Promise<void> {
  await recordActivity(kv, username, deviceId, kind, new Date(), maxDevices).catch((err) =>
    console.error("device_activity", err),
  );
}
