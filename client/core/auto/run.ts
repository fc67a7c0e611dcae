// client/core/auto/: auto-sync: the timer, one run over the documents, waking on live announcements.
/**
 * Auto-sync's side of the manager: what it syncs with (the application's copy of each document)
 * and one run over the documents, each read, synced and written back as one serialized step.
 */
import { checkJson } from "../merge/json-value.ts";
import { downloadDocument, replayQueue, syncDocument, type SyncResult } from "../sync/transfers.ts";
import type { AutoSyncTimer } from "./timer.ts";
import { jsonEqual } from "../merge/json-value.ts";
import type { LiveStatus, LiveSubscription } from "../wire/live.ts";
import type { Json } from "../merge/merge.ts";
import type { UserSession } from "../sync/session.ts";

/** What auto-sync syncs with: the application's copy of each document. */
export interface AutoSyncTarget {
  username: string;
  /** Default: the manager's `documents` option, else `["default"]`. */
  documents?: readonly string[];
  /** The application's current data; undefined when it has none yet (the server's is then downloaded). */
  read(doc: string): Json | undefined | Promise<Json | undefined>;
  /** Receives the merged data whenever it differs from what `read` gave. */
  write(doc: string, data: Json): void | Promise<void>;
  /** After each bidirectional sync of a document. */
  onSync?(result: SyncResult): void;
  /** A document's sync failed (null: replaying the offline queue failed); auto-sync backs off and goes on. */
  onError?(error: unknown, doc: string | null): void;
  /** Spread of each delay (fraction, default 0.1). */
  jitter?: number;
  /** Ceiling of the back-off after failures, in seconds (default 900). */
  maxBackoffSeconds?: number;
  /**
   * Listen for other devices' writes over the live socket and sync at once (default true); the
   * interval polling goes on underneath and is all that remains while the socket is down.
   */
  live?: boolean;
  /** The live socket's state changes: `fallback` means polling only, until it is `open` again. */
  onLiveStatus?(status: LiveStatus): void;
}

export interface AutoSync {
  timer: AutoSyncTimer;
  target: AutoSyncTarget;
  documents: readonly string[];
  intervalSeconds: number;
  live: LiveSubscription | null;
}

/** Runs `fn` as one operation of the manager on the user's session (serialized, errors recorded). */
export type RunStep = <T>(doc: string | undefined, fn: (s: UserSession) => Promise<T>) => Promise<T>;

/**
 * One auto-sync run: skipped (a failure, so the timer backs off) while queued changes are still
 * backing off; else every document asked for, a failure of one not stopping the others.
 */
export async function runAutoSync(
  target: AutoSyncTarget,
  documents: readonly string[],
  requested: ReadonlySet<string> | null,
  step: RunStep,
): Promise<boolean> {
  let fresh: { feeds: Set<string>; username: string } | undefined;
  try {
    const waiting = await step(undefined, async (s) => (await replayQueue(s, false)).remaining);
    if (waiting > 0) return false;
  } catch (error) {
    target.onError?.(error, null);
    return false;
  }
  try {
    // With incremental sync the round's one read: every document below syncs from it.
    await step(undefined, async (s) => {
      if (!s.ctx.incremental) return;
      await s.pull();
      fresh = { feeds: s.ctx.freshFeeds, username: s.username };
      fresh.feeds.add(fresh.username);
    });
  } catch {
    // Each document then reads on its own, and queues its change if the server stays unreachable.
  }
  try {
    return await syncEach(target, documents, requested, step);
  } finally {
    fresh?.feeds.delete(fresh.username);
  }
}

async function syncEach(
  target: AutoSyncTarget,
  documents: readonly string[],
  requested: ReadonlySet<string> | null,
  step: RunStep,
): Promise<boolean> {
  let ok = true;
  for (const doc of documents.filter((d) => requested === null || requested.has(d))) {
    try {
      // Read, sync and write back as one step, so no other operation of this manager comes between.
      await step(doc, async (s) => {
        const local = await target.read(doc);
        if (local === undefined) {
          const data = await downloadDocument(s, doc, true);
          if (data !== null) await target.write(doc, data);
          return;
        }
        checkJson(local, "local data");
        const result = await syncDocument(s, doc, local);
        if (!jsonEqual(result.data, local)) await target.write(doc, result.data);
        target.onSync?.(result);
      });
    } catch (error) {
      ok = false;
      target.onError?.(error, doc);
    }
  }
  return ok;
}
