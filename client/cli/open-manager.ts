/**
 * The CLI's SyncManager: Node's edges (file store in the data folder, proxy-aware fetch, node:crypto,
 * the Python module's machine fingerprint unless CLOUD_SYNC_DEVICE_ID is set), with a progress bar for large
 * transfers and, under `--verbose`, one line per request (method, path, status, time; never headers).
 */
import type { FetchLike, SyncManager } from "../core/index.ts";
import { createNodeSyncManager, proxyFetch } from "../node/index.ts";
import type { ManagerExtras } from "./command.ts";
import type { EnvVars, SyncConfig } from "./env.ts";
import type { Output } from "./output.ts";
import { progressFetch } from "./progress.ts";

export async function openManager(
  config: SyncConfig,
  env: EnvVars,
  out: Output,
  extras: ManagerExtras = {},
): Promise<SyncManager> {
  const fetch = loggingFetch(progressFetch(proxyFetch(env), out.stderr), out);
  const manager = await createNodeSyncManager({
    url: config.url,
    key: config.keys,
    dataDir: config.dataDir,
    env,
    fetch,
    ...(config.deviceId === null ? {} : { deviceId: config.deviceId }),
    ...(config.claimSecret === null ? {} : { claimSecret: config.claimSecret }),
    ...(config.deviceName === null ? {} : { deviceName: config.deviceName }),
    ...(extras.rules === undefined ? {} : { rules: extras.rules }),
  });
  out.detail(
    `server ${config.url}; device ${manager.deviceId}; data folder ${config.dataDir}; ${config.keys.length} key(s) in FERNET_KEY`,
  );
  return manager;
}

function loggingFetch(inner: FetchLike, out: Output): FetchLike {
  if (!out.verbose) return inner;
  return async (input, init) => {
    const method = init.method ?? "GET";
    const path = new URL(input).pathname;
    const started = performance.now();
    try {
      const res = await inner(input, init);
      out.detail(`${method} ${path} -> ${res.status} (${Math.round(performance.now() - started)} ms)`);
      return res;
    } catch (error) {
      out.detail(`${method} ${path} -> failed: ${(error as Error).message}`);
      throw error;
    }
  };
}
