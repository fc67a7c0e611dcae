/**
 * The universal core (`project-ai-cloud-sync`): runs unchanged in Node 20+, browsers and Workers on
 * WebCrypto and fetch. Platform edges come in through the interfaces of ports.ts; the Node and
 * browser entries bring ready-made ones. This list is the public API: nothing else is exported.
 */

// The manager
export { SyncManager, type AutoSyncTarget, type DocOption } from "./manager.ts";
export type { SyncManagerOptions } from "./manager-options.ts";
export type { SyncResult, UploadResult } from "./manager-sync.ts";
export type { RollbackResult, RollbackToOutcome, VersionContent } from "./manager-history.ts";
export type { DocumentStatus, SyncStatus } from "./manager-status.ts";
export type { ClockReport, SkewedDevice } from "./clock-skew.ts";
export type { AutoSyncState } from "./auto-sync.ts";
export type { QueuedChange } from "./queue.ts";
export type { ErrorRecord } from "./sync-state.ts";

// Errors
export { isSyncError, SyncError, type SyncErrorCode } from "./errors.ts";

// Platform edges
export {
  assertStoreKey,
  MemoryStore,
  systemClock,
  type Clock,
  type DeviceIdSource,
  type FetchLike,
  type Store,
} from "./ports.ts";

// Keys, credential, device id
export {
  Fernet,
  generateKey,
  MAX_CLOCK_SKEW_SECONDS,
  MultiFernet,
  webCryptoBackend,
  type DecryptOptions,
  type EncryptOptions,
  type FernetCryptoBackend,
  type FernetOptions,
  type FernetToken,
} from "./fernet.ts";
export { deriveAuthToken } from "./credential.ts";
export { keyFromPassphrase, PASSPHRASE_ITERATIONS, type PassphraseOptions } from "./kdf.ts";
export { fingerprintDeviceId, randomDeviceId, type MachineInfo } from "./device-id.ts";

// Merging
export { compareHlc, hlcFromWallTime, HybridLogicalClock, type HlcOptions } from "./hlc.ts";
export {
  merge,
  PROJECT_AI_RULES,
  stamp,
  stampWhole,
  type ClockMap,
  type Json,
  type MergeRule,
  type MergeRules,
  type Stamped,
} from "./merge.ts";
export { resolveConflict } from "./resolve-conflict.ts";

// The wire
export {
  ApiClient,
  type AccountInfo,
  type ApiClientOptions,
  type DeviceRecord,
  type DocumentInfo,
  type ServedToken,
  type VersionInfo,
  type WriteOutcome,
  type WritePrecondition,
} from "./http.ts";
export { parsePythonTimestamp, pythonTimestamp, type Envelope, type SyncMeta } from "./envelope.ts";
export { DEFAULT_DOC, isDeviceId, isDocName, isUsername } from "./names.ts";

// Real time
export {
  LIVE_SUBPROTOCOL,
  LiveSubscription,
  type LiveOptions,
  type LiveState,
  type LiveStatus,
  type VersionAnnouncement,
  type WebSocketConstructorLike,
  type WebSocketLike,
} from "./live.ts";
