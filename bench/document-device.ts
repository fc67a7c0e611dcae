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
  static async create(
    origin: string,
    account: Pick<BenchAccount, "username" | "deviceId" | "key">,
  ): Promise<DocumentDevice> {
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

  /**
   * Bidirectional sync of every document as one operation, as auto-sync runs it: one read of the
   * changes feed, then a change for each document whose content changed.
   */
  async push(docs: Map<string, Json>): Promise<void> {
    await this.#manager.syncDocuments(this.#username, Object.fromEntries(docs));
  }

  /** Downloads the named documents as one operation: one read of the changes feed, and the tokens it names. */
  async pull(names: Iterable<string>): Promise<Map<string, Json | null>> {
    return new Map(Object.entries(await this.#manager.downloadDocuments(this.#username, [...names])));
  }

  /** Appends one record to an append list: the application says what it changed. */
  async append(doc: string, path: string, record: Json): Promise<void> {
    await this.#manager.append(this.#username, doc, path, record);
  }

  async close(): Promise<void> {
    await this.#manager.disableAutoSync();
    rmSync(this.#dataDir, { recursive: true, force: true });
  }
}
