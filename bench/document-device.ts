/**
 * A device syncing a Project-AI state as named documents over our versioned API, with the client's
 * own HTTP layer, envelope (gzip before encryption) and Fernet: one document per top-level part of
 * the state, and only documents whose content changed travel.
 */

import { decodeEnvelope, encodeEnvelope, pythonTimestamp } from "../client/core/envelope.ts";
import { ApiClient } from "../client/core/http.ts";
import type { Json } from "../client/core/json-value.ts";
import type { BenchAccount } from "./accounts.ts";

/** Splits a state into documents: each top-level object is one; scalars ride in `meta`. */
export function splitState(state: object): Map<string, Json> {
  const docs = new Map<string, Json>();
  const meta: Record<string, Json> = {};
  for (const [key, value] of Object.entries(state)) {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) docs.set(key.replaceAll("_", "-"), value as Json);
    else meta[key] = value as Json;
  }
  docs.set("meta", meta);
  return docs;
}

export class DocumentDevice {
  readonly #api: ApiClient;
  readonly #account: BenchAccount;
  /** Per document: the version we last wrote or read, and the JSON it held. */
  readonly #known = new Map<string, { version: number; json: string }>();

  constructor(origin: string, account: BenchAccount) {
    this.#account = account;
    this.#api = new ApiClient({ baseUrl: origin, deviceId: account.deviceId, token: async () => account.token });
  }

  /** Uploads the documents whose content differs from what this device last synced, with compare-and-swap. */
  async push(docs: Map<string, Json>): Promise<number> {
    let sent = 0;
    for (const [name, data] of docs) {
      const json = JSON.stringify(data);
      const known = this.#known.get(name);
      if (known?.json === json) continue;
      const envelope = { username: this.#account.username, device_id: this.#account.deviceId, timestamp: pythonTimestamp(Date.now()), data };
      const token = await this.#account.fernet.encrypt(await encodeEnvelope(envelope, { compress: true }));
      const outcome = await this.#api.putDocument(this.#account.username, name, token, known ? { ifMatch: known.version } : { ifNoneMatch: "*" });
      if (!outcome.ok) throw new Error(`compare-and-swap of ${name} lost to version ${outcome.currentVersion}`);
      this.#known.set(name, { version: outcome.info.version, json });
      sent++;
    }
    return sent;
  }

  /** Lists the documents and downloads only those whose version moved since this device last saw them. */
  async pull(): Promise<Map<string, Json>> {
    const changed = new Map<string, Json>();
    for (const info of await this.#api.listDocuments(this.#account.username)) {
      if (this.#known.get(info.name)?.version === info.version) continue;
      const served = await this.#api.getDocument(this.#account.username, info.name);
      if (served === null || served === "not_modified") continue;
      const envelope = await decodeEnvelope(await this.#account.fernet.decrypt(served.bytes));
      this.#known.set(info.name, { version: served.version, json: JSON.stringify(envelope.data) });
      changed.set(info.name, envelope.data);
    }
    return changed;
  }
}
