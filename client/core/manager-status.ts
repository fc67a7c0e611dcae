/** The status report (the Python module's `get_sync_status`), read from the Store alone: it never waits for the network. */
import type { AutoSyncState } from "./auto/timer.ts";
import { clockReport, type ClockReport } from "./sync/clock-skew.ts";
import type { Store } from "./ports.ts";
import { OfflineQueue } from "./sync/queue.ts";
import { loadDoc } from "./sync/state-journal.ts";
import { listDocStates, loadUserMeta, type DeviceClock, type ErrorRecord, type UnverifiedGap } from "./sync/state.ts";

export interface DocumentStatus {
  doc: string;
  /** The server version this device last saw. */
  version: number | null;
  lastUpload: string | null;
  lastDownload: string | null;
  lastError: ErrorRecord | null;
  /** Changes of this document waiting in the offline queue. */
  pendingChanges: number;
  /**
   * Versions this device could not check (pruned or deleted before it read them): it took the
   * version after them on that token's binding alone. Null when every version it took was checked.
   */
  unverifiedHistory: UnverifiedGap | null;
}

export interface SyncStatus {
  username: string;
  deviceId: string;
  deviceName: string | null;
  autoSyncEnabled: boolean;
  autoSyncIntervalSeconds: number | null;
  /** The timer's state while auto-sync is on for this user. */
  autoSync: AutoSyncState | null;
  lastUpload: string | null;
  lastDownload: string | null;
  lastError: ErrorRecord | null;
  pendingChanges: number;
  documents: DocumentStatus[];
  clock: ClockReport;
}

export interface StatusInputs {
  store: Store;
  username: string;
  deviceId: string;
  deviceName: string | null;
  deviceClock: DeviceClock | null;
  auto: { intervalSeconds: number; state: AutoSyncState } | null;
}

export async function buildStatus(input: StatusInputs): Promise<SyncStatus> {
  const { store, username } = input;
  const meta = await loadUserMeta(store, username);
  const queued = await new OfflineQueue(store, username).list();
  const names = new Set([...(await listDocStates(store, username)), ...queued.map((q) => q.doc)]);
  const documents: DocumentStatus[] = [];
  for (const doc of [...names].sort()) {
    const { state } = await loadDoc(store, username, doc);
    documents.push({
      doc,
      version: state.server?.version ?? null,
      lastUpload: state.lastUpload,
      lastDownload: state.lastDownload,
      lastError: state.lastError,
      pendingChanges: queued.filter((q) => q.doc === doc).length,
      unverifiedHistory: state.unverified ?? null,
    });
  }
  return {
    username,
    deviceId: input.deviceId,
    deviceName: input.deviceName,
    autoSyncEnabled: input.auto !== null,
    autoSyncIntervalSeconds: input.auto?.intervalSeconds ?? null,
    autoSync: input.auto?.state ?? null,
    lastUpload: meta.lastUpload,
    lastDownload: meta.lastDownload,
    lastError: meta.lastError,
    pendingChanges: queued.length,
    documents,
    clock: clockReport(input.deviceId, input.deviceName, input.deviceClock, meta),
  };
}
