/**
 * A device syncing a Project-AI state as named documents through the client library exactly as a
 * Node application embeds it (createNodeSyncManager: file store, node:crypto, gzip before
 * encryption): one document per top-level part of the state, auto-sync's bidirectional sync on the
 * writing side, so only documents whose content changed travel.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Json } from "../client/core/merge/json-value.ts";
import type { SyncManager } from "../client/core/manager.ts";
import { createNodeSyncManager } from "../client/node/index.ts";
import type { BenchAccount } from "./accounts.ts";

/** Splits a state into documents: each top-level object is one; scalars ride in `meta`. */
export function splitState(state: object): Map<string, Json> {
  const docs = new Map<string, Json>();
  const meta: Record<string, Json> = {};
  for (const [key, value] of Object.entries(state)) {
    if (value !== null && typeof value === "object" && !Array.isArray(value))
      docs.set(key.replaceAll("_", "-"), value as Json);
    else meta[key] = value as Json;
  }
  docs.set("meta", meta);
  return docs;
}

export class DocumentDevice {
  readonly #manager: SyncManager;
  readonly #username: string;
  readonly #dataDir: string;

  private constructor(manager: SyncManager, username: string, dataDir: string) {
    this.#manager = manager;
    this.#username = username;
    this.#dataDir = dataDir;
  }

  /** A device of `account`'s user, with its own fresh data folder (metadata, merge bases, queue). */
  static async create(origin: string, account: BenchAccount): Promise<DocumentDevice> {
    const dataDir = mkdtempSync(join(tmpdir(), "cloud-sync-bench-device-"));
    const manager = await createNodeSyncManager({
      url: origin,
      key: account.key,
      deviceId: account.deviceId,
      dataDir,
      env: {},
    });
    return new DocumentDevice(manager, account.username, dataDir);
  }

  /** Bidirectional sync of every document, as auto-sync runs it: unchanged ones cost a 304, changed ones a write. */
  async push(docs: Map<string, Json>): Promise<void> {
    for (const [doc, data] of docs) await this.#manager.bidirectionalSync(this.#username, data, { doc });
  }

  /** Downloads the named documents; those this device already holds come back as 304. */
  async pull(names: Iterable<string>): Promise<Map<string, Json | null>> {
    const docs = new Map<string, Json | null>();
    for (const doc of names) docs.set(doc, await this.#manager.syncDownload(this.#username, { doc }));
    return docs;
  }

  async close(): Promise<void> {
    await this.#manager.disableAutoSync();
    rmSync(this.#dataDir, { recursive: true, force: true });
  }
}
