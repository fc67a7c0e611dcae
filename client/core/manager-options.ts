/** The manager's options and their up-front validation: a misuse throws TypeError or RangeError before any I/O. */
import type { FernetCryptoBackend } from "./crypto/fernet-backend.ts";
import type { WebSocketConstructorLike } from "./wire/live.ts";
import type { MergeRules } from "./merge/merge.ts";
import { checkMergeRules } from "./merge/rules.ts";
import { isDocName, isDeviceId } from "./protocol/names.ts";
import type { Clock, DeviceIdSource, FetchLike, Store } from "./ports.ts";
import type { BackoffOptions } from "./sync/queue.ts";

export interface SyncManagerOptions {
  /** The Worker's origin (`CLOUD_SYNC_URL`), e.g. `https://sync.example.com`. */
  url: string;
  /**
   * The user's Fernet key (`FERNET_KEY`), or several: the first encrypts and is the credential,
   * every one decrypts (as Python's MultiFernet), e.g. `[newKey, oldKey]` to read history from before a rotation.
   */
  key: string | readonly string[];
  /** Where metadata, merge bases and the offline queue live (FileStore in Node, IndexedDBStore in browsers). */
  store: Store;
  /** This device's id, or how to get it (the Python module's fingerprint in Node, a persisted random id in browsers). */
  deviceId: string | DeviceIdSource;
  /** Shown in the device list and in clock-skew reports; registered with `registerDevice`. */
  deviceName?: string;
  /** E.g. `linux`, `darwin`, `browser`. */
  platform?: string;
  /** Selective sync: the documents this device syncs (default: every one it is asked for). */
  documents?: readonly string[];
  /**
   * True (the default) while the user also has Python devices: the `default` document, which the
   * Python module reads, is then never compressed. Other documents are compressed when it pays.
   */
  pythonCompatible?: boolean;
  /**
   * Merge rules per document, declared inside the document's envelope so that every device merges
   * it alike. A document without rules here merges by the rules it declares, else by Project-AI's
   * defaults for its name (PROJECT_AI_DOCUMENT_RULES: `default`, `memory`, `learning`, ...).
   * A function of the name serves documents not known in advance (a folder's files: `folderRules`).
   */
  rules?: Readonly<Record<string, MergeRules>> | ((doc: string) => MergeRules | undefined);
  fetch?: FetchLike;
  /** The WebSocket auto-sync listens on; default the global one (browsers, Workers, Node >= 22). Node 20: client/node's `nodeWebSocket`. */
  WebSocket?: WebSocketConstructorLike;
  clock?: Clock;
  /** Per-request time limit in ms (default 30 000). */
  timeoutMs?: number;
  /** For deployments that set CLAIM_SECRET: sent when a write may claim the username. */
  claimSecret?: string;
  /** Fernet primitives; Node passes its faster `nodeCryptoBackend`. */
  cryptoBackend?: FernetCryptoBackend;
  /** Compare-and-swap attempts per write before SyncError `conflict` (default 8). */
  maxAttempts?: number;
  /**
   * The most a document may decompress to, in bytes: a token that inflates further (a gzip bomb
   * from a compromised device) is refused as `payload_too_large`. Default 256 MiB.
   */
  maxDocumentBytes?: number;
  /** Back-off of queued changes. */
  backoff?: BackoffOptions;
  /**
   * Incremental sync (docs/PROTOCOL.md "Incremental sync"): every read is one request for all of
   * the user's documents after this device's cursor, and a merged edit travels as a change holding
   * only the registers it wrote (the `default` document stays whole for Python devices). Needs a
   * server of this release; off, documents travel whole as with the previous release.
   */
  incremental?: boolean;
}

/** Throws TypeError/RangeError for options that can be judged without I/O. */
export function checkOptions(options: SyncManagerOptions): void {
  if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
  if (typeof options.url !== "string" || options.url === "") {
    throw new TypeError("url is required: the Worker's origin (CLOUD_SYNC_URL)");
  }
  const keys = typeof options.key === "string" ? [options.key] : options.key;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === "string" && k !== "")) {
    throw new TypeError("key is required: a Fernet key (FERNET_KEY) or a non-empty list of them");
  }
  const store = options.store as Partial<Store> | undefined;
  if (
    typeof store?.get !== "function" ||
    typeof store.set !== "function" ||
    typeof store.delete !== "function" ||
    typeof store.keys !== "function"
  ) {
    throw new TypeError("store must implement get, set, delete and keys");
  }
  if (typeof options.deviceId === "string") {
    if (!isDeviceId(options.deviceId))
      throw new RangeError(`deviceId ${JSON.stringify(options.deviceId)} is not a valid device id`);
  } else if (typeof options.deviceId !== "function") {
    throw new TypeError("deviceId must be a device id or a function that returns one");
  }
  for (const field of ["deviceName", "platform", "claimSecret"] as const) {
    const value = options[field];
    if (value !== undefined && (typeof value !== "string" || value === ""))
      throw new TypeError(`${field} must be a non-empty string`);
  }
  if (options.documents !== undefined) {
    if (!Array.isArray(options.documents)) throw new TypeError("documents must be an array of document names");
    for (const doc of options.documents) {
      if (!isDocName(doc)) throw new RangeError(`documents: ${JSON.stringify(doc)} is not a valid document name`);
    }
  }
  if (options.incremental !== undefined && typeof options.incremental !== "boolean") {
    throw new TypeError("incremental must be a boolean");
  }
  if (options.pythonCompatible !== undefined && typeof options.pythonCompatible !== "boolean") {
    throw new TypeError("pythonCompatible must be a boolean");
  }
  const given: unknown = options.rules;
  if (given !== undefined && typeof given !== "function" && (typeof given !== "object" || given === null)) {
    throw new TypeError("rules must map document names to merge rules, or be a function of the name");
  }
  // A function is asked as documents come; its caller checks what it returns (folderRules does, up front).
  for (const [doc, rules] of Object.entries(typeof given === "object" && given !== null ? given : {})) {
    if (!isDocName(doc)) throw new RangeError(`rules: ${JSON.stringify(doc)} is not a valid document name`);
    try {
      checkMergeRules(rules);
    } catch (error) {
      throw new TypeError(`rules of ${JSON.stringify(doc)}: ${(error as Error).message}`);
    }
  }
  if (options.fetch !== undefined && typeof options.fetch !== "function")
    throw new TypeError("fetch must be a function");
  if (options.clock !== undefined && typeof options.clock?.now !== "function")
    throw new TypeError("clock must have now()");
  if (
    options.maxAttempts !== undefined &&
    (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1 || options.maxAttempts > 100)
  ) {
    throw new RangeError("maxAttempts must be an integer from 1 to 100");
  }
  if (
    options.maxDocumentBytes !== undefined &&
    (!Number.isSafeInteger(options.maxDocumentBytes) || options.maxDocumentBytes < 1024)
  ) {
    throw new RangeError("maxDocumentBytes must be an integer of at least 1024");
  }
  if (options.timeoutMs !== undefined && !(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)) {
    throw new RangeError("timeoutMs must be a positive number");
  }
}
