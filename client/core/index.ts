/**
 * The universal core (`project-ai-cloud-sync`): runs unchanged in Node 20+, browsers and Workers on
 * WebCrypto and fetch. Platform edges come in through the interfaces of ports.ts; the Node and
 * browser entries bring ready-made ones. This list is the public API: nothing else is exported.
 */

// The manager
export { SyncManager, type AutoSyncTarget, type DocOption } from "./manager.ts";
export type { SyncManagerOptions } from "./manager-options.ts";
export type { EditResult, SyncResult, UploadResult } from "./sync/transfers.ts";
export type { HistoryEntry, RollbackResult, RollbackToOutcome, VersionContent } from "./sync/history.ts";
export type { DocumentStatus, SyncStatus } from "./manager-status.ts";
export type { ClockReport, SkewedDevice } from "./sync/clock-skew.ts";
export type { AutoSyncState } from "./auto/timer.ts";
export type { QueuedChange } from "./sync/queue.ts";
export type { ErrorRecord } from "./sync/state.ts";

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
  MAX_CLOCK_SKEW_SECONDS,
  type DecryptOptions,
  type EncryptOptions,
  type FernetOptions,
  type FernetToken,
} from "./crypto/fernet.ts";
export { MultiFernet } from "./crypto/multi-fernet.ts";
export { decodeFernetKey, generateKey } from "./crypto/fernet-key.ts";
export { webCryptoBackend, type FernetCryptoBackend } from "./crypto/fernet-backend.ts";
export { deriveAdminToken, deriveAuthToken, deriveCapabilityToken, tokenHash } from "./crypto/credential.ts";
export { keyFromPassphrase, PASSPHRASE_ITERATIONS, type PassphraseOptions } from "./crypto/kdf.ts";
export { fingerprintDeviceId, randomDeviceId, type MachineInfo } from "./device-id.ts";

// Merging
export { compareHlc, hlcFromWallTime, HybridLogicalClock, type HlcOptions } from "./merge/hlc.ts";
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
} from "./merge/merge.ts";
export { checkMergeRules, defaultRulesFor, PROJECT_AI_DOCUMENT_RULES } from "./merge/rules.ts";
export { resolveConflict } from "./merge/resolve-conflict.ts";
export { jsonEqual } from "./merge/json-value.ts";

// The wire
export { ApiClient, type ApiClientOptions } from "./wire/api-client.ts";
export type {
  AccountInfo,
  DeviceRecord,
  DocumentInfo,
  ServedToken,
  VersionInfo,
  WriteOutcome,
  WritePrecondition,
} from "./wire/api-responses.ts";
export {
  decodeEnvelope,
  parsePythonTimestamp,
  pythonTimestamp,
  type Envelope,
  type SyncMeta,
} from "./wire/envelope.ts";
export { checkDocName, checkUsername, DEFAULT_DOC, isDeviceId, isDocName, isUsername } from "./protocol/names.ts";

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
} from "./wire/live.ts";
