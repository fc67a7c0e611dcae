/**
 * The Node entry (`project-ai-cloud-sync/node`): the file store, the proxy-aware fetch, the fast
 * crypto backend, the Python module's machine fingerprint, `createNodeSyncManager`, which wires them in, and
 * folder sync (a folder of JSON files kept in sync, as `cloud-sync sync --dir` and `watch --dir` do).
 */
import { hostname } from "node:os";
import {
  SyncManager,
  fingerprintDeviceId,
  type FetchLike,
  type Store,
  type SyncManagerOptions,
} from "../core/index.ts";
import { nodeCryptoBackend } from "./crypto-backend.ts";
import { defaultDataDir, FileStore } from "./file-store.ts";
import { nodeMachineInfo } from "./machine-info.ts";
import { proxyFetch, type ProxyEnv } from "./proxy.ts";
import { nodeWebSocket } from "./websocket.ts";

export { nodeCryptoBackend } from "./crypto-backend.ts";
export { defaultDataDir, FileStore } from "./file-store.ts";
export { nodeMachineInfo } from "./machine-info.ts";
export { proxyFetch, proxySettings, type ProxyEnv, type ProxySettings } from "./proxy.ts";
export { nodeWebSocket } from "./websocket.ts";
export {
  FolderSync,
  type FileAction,
  type FileOutcome,
  type FolderSyncOptions,
} from "./folder-sync.ts";
export { FolderWatcher, type FolderWatchOptions } from "./folder-watch.ts";
export { ALWAYS_EXCLUDED, DEFAULT_INCLUDE, FolderFilter, type FolderFilterOptions } from "./folder-filter.ts";
export { docNameForPath, pathForDocName } from "./folder-names.ts";
export { folderRules } from "./folder-rules.ts";

export interface NodeSyncManagerOptions extends Omit<SyncManagerOptions, "store" | "deviceId"> {
  /** Default: a FileStore in `dataDir`. */
  store?: Store;
  /** Where metadata and the queue live; default CLOUD_SYNC_DATA_DIR from `env`, else the per-user data folder. */
  dataDir?: string;
  /** Default: the fingerprint of this machine, as the Python module computes it (docs/PYTHON-DEVICES.md). */
  deviceId?: string;
  /** Read for HTTPS_PROXY/HTTP_PROXY/NO_PROXY and CLOUD_SYNC_DATA_DIR; default `process.env`. */
  env?: ProxyEnv;
}

/**
 * A SyncManager with Node's edges: FileStore, proxy-aware fetch, node:crypto, the Python module's device id.
 *
 * @example
 * const manager = await createNodeSyncManager({ url: process.env.CLOUD_SYNC_URL, key: process.env.FERNET_KEY });
 * await manager.bidirectionalSync("alice", data);
 */
export async function createNodeSyncManager(options: NodeSyncManagerOptions): Promise<SyncManager> {
  const env = options.env ?? process.env;
  const { dataDir, env: _env, store, deviceId, fetch, ...rest } = options;
  const resolvedFetch: FetchLike = fetch ?? proxyFetch(env);
  return SyncManager.create({
    ...rest,
    store: store ?? new FileStore(dataDir ?? defaultDataDir(env)),
    deviceId: deviceId ?? (() => fingerprintDeviceId(nodeMachineInfo())),
    fetch: resolvedFetch,
    cryptoBackend: options.cryptoBackend ?? nodeCryptoBackend,
    // Node 20 has no global WebSocket; auto-sync's live updates need one.
    WebSocket: options.WebSocket ?? nodeWebSocket,
    deviceName: options.deviceName ?? hostname(),
    platform: options.platform ?? process.platform,
  });
}
