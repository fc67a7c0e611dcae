/**
 * Helpers for end-to-end tests of SyncManager against the real Worker: fresh users and keys,
 * managers on temporary data directories, a fetch that records what went over the wire, and a
 * polling wait for conditions reached asynchronously (auto-sync).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKey } from "../../client/core/crypto/fernet-key.ts";
import { SyncManager } from "../../client/core/manager.ts";
import type { SyncManagerOptions } from "../../client/core/manager-options.ts";
import type { FetchLike } from "../../client/core/ports.ts";
import { nodeCryptoBackend } from "../../client/node/crypto-backend.ts";
import { FileStore } from "../../client/node/file-store.ts";

let userCounter = 0;

/** A username no other test of this run uses. */
export function freshUser(prefix = "user"): string {
  userCounter += 1;
  return `${prefix}${userCounter}-${Math.random().toString(36).slice(2, 8)}`;
}

export function freshKey(): string {
  return generateKey();
}

/**
 * A fresh key whose URL-safe base64 starts with "-", as one key in 64 does: the case a command
 * line must not mistake for an option (setting the first byte's top six bits to 62 gives "-").
 */
export function freshKeyStartingWithDash(): string {
  const bytes = Buffer.from(generateKey(), "base64url");
  bytes[0] = 0xf8 | ((bytes[0] as number) & 0x03);
  return `${bytes.toString("base64url")}=`;
}

export function freshDataDir(): string {
  return mkdtempSync(join(tmpdir(), "cloud-sync-e2e-"));
}

/** A manager on a FileStore in `dataDir` (fresh unless given), with the Node crypto backend. */
export async function manager(
  url: string,
  options: { key: SyncManagerOptions["key"]; deviceId: string; dataDir?: string } & Partial<
    Omit<SyncManagerOptions, "store" | "key">
  >,
): Promise<SyncManager> {
  const { dataDir, ...rest } = options;
  return SyncManager.create({
    cryptoBackend: nodeCryptoBackend,
    ...rest,
    url,
    store: new FileStore(dataDir ?? freshDataDir()),
  });
}

export interface WireCall {
  method: string;
  path: string;
  status: number | "error";
}

/** The global fetch, recording method, path and status of every call. */
export function recordingFetch(calls: WireCall[], inner: FetchLike = (url, init) => fetch(url, init)): FetchLike {
  return async (url, init) => {
    const method = init.method ?? "GET";
    const path = new URL(url).pathname;
    try {
      const res = await inner(url, init);
      calls.push({ method, path, status: res.status });
      return res;
    } catch (error) {
      calls.push({ method, path, status: "error" });
      throw error;
    }
  };
}

/** Polls `check` until it returns a value other than undefined (or fails after `limitMs`). */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, limitMs = 20_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
