/**
 * The browser entry (`project-ai-cloud-sync/browser`): an IndexedDB store, a random device id kept
 * in it (a page cannot read a hostname or a MAC), and `createBrowserSyncManager`, which wires both in.
 */
import { SyncManager, isDeviceId, randomDeviceId, type Store, type SyncManagerOptions } from "../core/index.ts";
import { IndexedDBStore } from "./indexeddb-store.ts";

export { IndexedDBStore } from "./indexeddb-store.ts";

const DEVICE_ID_KEY = "device/id";

/** This browser's device id: made once at random, then read back from the store. */
export async function persistedDeviceId(store: Store): Promise<string> {
  const kept = await store.get(DEVICE_ID_KEY);
  if (isDeviceId(kept)) return kept;
  const fresh = randomDeviceId();
  await store.set(DEVICE_ID_KEY, fresh);
  return fresh;
}

export interface BrowserSyncManagerOptions extends Omit<SyncManagerOptions, "store" | "deviceId"> {
  /** Default: the IndexedDB database `cloud-sync`. */
  store?: Store;
  /** Default: a random id persisted in the store. */
  deviceId?: string;
}

/**
 * @example
 * const manager = await createBrowserSyncManager({ url: "https://sync.example.com", key });
 * const { data } = await manager.bidirectionalSync("alice", state);
 */
export async function createBrowserSyncManager(options: BrowserSyncManagerOptions): Promise<SyncManager> {
  const store = options.store ?? new IndexedDBStore();
  const { deviceId, ...rest } = options;
  return SyncManager.create({
    ...rest,
    store,
    deviceId: deviceId ?? (() => persistedDeviceId(store)),
    platform: options.platform ?? "browser",
  });
}
