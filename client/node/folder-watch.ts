/**
 * Keeps a FolderSync in sync until closed: the operating system's file events (one watcher per
 * folder, no polling) wake a sync of the files that changed once they have settled, and the live
 * socket's announcements wake a sync of the files other devices wrote. The server is polled only
 * while the socket is down; with the socket open and nothing changing, no timer runs at all.
 */
import { watch, type FSWatcher } from "node:fs";
import { stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { isSyncError, type LiveStatus, type LiveSubscription } from "../core/index.ts";
import { listFolder } from "./folder-files.ts";
import type { FileOutcome, FolderSync } from "./folder-sync.ts";

export interface FolderWatchOptions {
  /** Seconds between full syncs while the live socket is down (default 60). */
  intervalSeconds?: number;
  /** Quiet time after a file event before the file is read (default 200 ms): applications and editors write in steps. */
  settleMs?: number;
  /** Listen for other devices' writes on the live socket (default true). */
  live?: boolean;
  /** After each sync that did something (files unchanged are left out). */
  onSync?: (outcomes: FileOutcome[]) => void;
  /** A sync failed as a whole (network, server); it is tried again with back-off. */
  onError?: (error: unknown) => void;
  onLiveStatus?: (status: LiveStatus) => void;
}

const MAX_RETRY_MS = 30_000;
/** Reads of a skipped file before waiting for its next write: 0.25 s, 0.5 s, ... 8 s after the first. */
const MAX_REREADS = 6;

/**
 * @example
 * const watcher = new FolderWatcher(folder, { onSync: (files) => console.log(files) });
 * await watcher.start();
 * // later
 * await watcher.close();
 */
export class FolderWatcher {
  readonly #folder: FolderSync;
  readonly #options: FolderWatchOptions;
  readonly #intervalMs: number;
  readonly #settleMs: number;
  readonly #watchers = new Map<string, FSWatcher>();
  /** Files the file system reported, to be checked against what was last synced once they settle. */
  readonly #touched = new Set<string>();
  /** Files to sync whatever they hold (announced by the server, or skipped before). */
  readonly #wanted = new Set<string>();
  /** Other names the file system reported (a log file, or a new folder, which needs a watcher). */
  readonly #maybeFolders = new Set<string>();
  /** Files skipped (not whole JSON yet): wanted again when the retry timer fires. */
  readonly #later = new Set<string>();
  #laterTries = 0;
  #full = true;
  #running: Promise<void> | null = null;
  #settle: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  #poll: NodeJS.Timeout | undefined;
  #failures = 0;
  #live: LiveSubscription | null = null;
  #closed = false;

  constructor(folder: FolderSync, options: FolderWatchOptions = {}) {
    const interval = options.intervalSeconds ?? 60;
    if (!(Number.isFinite(interval) && interval > 0)) throw new RangeError("intervalSeconds must be a positive number");
    this.#folder = folder;
    this.#options = options;
    this.#intervalMs = interval * 1000;
    this.#settleMs = options.settleMs ?? 200;
  }

  /** Syncs everything once, then watches. Resolves after the first sync (which may have failed: see onError). */
  async start(): Promise<void> {
    await this.#watchFolders();
    if (this.#options.live !== false) {
      this.#live = this.#folder.manager.liveVersions(this.#folder.username, {
        onVersion: (announcement) => {
          const path = this.#folder.pathOf(announcement.doc);
          if (path === null) return;
          this.#wanted.add(path);
          this.#kick();
        },
        onStatus: (status) => this.#liveStatus(status),
      });
    } else this.#schedulePoll();
    this.#kick();
    await this.#running;
  }

  /** Stops watching; resolves once a sync in progress has finished. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of [this.#settle, this.#retry, this.#poll]) clearTimeout(timer);
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
    this.#live?.close();
    await this.#running;
  }

  #liveStatus(status: LiveStatus): void {
    this.#options.onLiveStatus?.(status);
    if (status.state === "open") {
      // Announcements sent while the socket was down are lost: catch up once, then rely on it.
      clearTimeout(this.#poll);
      this.#poll = undefined;
      this.#full = true;
      this.#kick();
    } else if (status.state === "fallback" && this.#poll === undefined) this.#schedulePoll();
  }

  #schedulePoll(): void {
    if (this.#closed) return;
    this.#poll = setTimeout(() => {
      this.#poll = undefined;
      this.#full = true;
      this.#kick();
      if (this.#live === null || this.#live.status.state !== "open") this.#schedulePoll();
    }, this.#intervalMs);
  }

  /** One watcher per folder: recursive watching is not native everywhere Node runs (Linux before Node 22 emulates it with a watcher per file). */
  async #watchFolders(): Promise<void> {
    const { folders } = await listFolder(this.#folder.dir, this.#folder.filter);
    const current = new Set(folders);
    for (const [folder, watcher] of this.#watchers)
      if (!current.has(folder)) {
        watcher.close();
        this.#watchers.delete(folder);
      }
    for (const folder of folders) {
      if (this.#watchers.has(folder) || this.#closed) continue;
      try {
        const watcher = watch(folder, (_event, name) => this.#fileEvent(folder, name));
        watcher.on("error", () => {
          watcher.close();
          this.#watchers.delete(folder);
          this.#full = true;
          this.#kick();
        });
        this.#watchers.set(folder, watcher);
      } catch {
        // Gone before it could be watched: the next listing will not have it.
      }
    }
  }

  #fileEvent(folder: string, name: string | Buffer | null): void {
    if (this.#closed) return;
    if (name === null) this.#full = true;
    else {
      const path = relative(this.#folder.dir, join(folder, name.toString())).split(sep).join("/").normalize("NFC");
      if (this.#folder.filter.matches(path)) this.#touched.add(path);
      else if (this.#folder.filter.entersFolder(name.toString())) this.#maybeFolders.add(join(folder, name.toString()));
    }
    clearTimeout(this.#settle);
    this.#settle = setTimeout(() => this.#kick(), this.#settleMs);
  }

  /** Starts a sync unless one is running (that one loops for what arrived meanwhile). */
  #kick(): void {
    if (this.#closed || this.#running !== null) return;
    this.#running = this.#loop().finally(() => {
      this.#running = null;
    });
  }

  async #loop(): Promise<void> {
    while (
      !this.#closed &&
      (this.#full || this.#touched.size > 0 || this.#wanted.size > 0 || this.#maybeFolders.size > 0)
    ) {
      const maybe = [...this.#maybeFolders];
      this.#maybeFolders.clear();
      // A new folder needs a watcher, and its files a sync: a full pass gives both. Other files
      // (an application's log, say) change nothing here, however often they are written.
      if ((await Promise.all(maybe.map(isFolder))).some(Boolean)) this.#full = true;
      const full = this.#full;
      const touched = [...this.#touched];
      const wanted = [...this.#wanted];
      this.#full = false;
      this.#touched.clear();
      this.#wanted.clear();
      try {
        let outcomes: FileOutcome[];
        if (full) outcomes = await this.#folder.syncAll();
        else {
          const changed = await this.#folder.changedHere(touched);
          outcomes = await this.#folder.syncPaths([...changed, ...wanted]);
        }
        // Folders the sync created (a file pulled into a new folder, a new device's first sync) are watched from now on.
        if (full || outcomes.some((o) => o.action === "downloaded")) await this.#watchFolders();
        this.#failures = 0;
        this.#report(outcomes);
      } catch (error) {
        // Tried again later, with everything it was asked to do.
        if (full) this.#full = true;
        for (const path of touched) this.#touched.add(path);
        for (const path of wanted) this.#wanted.add(path);
        this.#failures += 1;
        this.#options.onError?.(error);
        if (isSyncError(error) && !isPassing(error)) return;
        this.#retryIn(Math.min(MAX_RETRY_MS, this.#intervalMs, 1000 * 2 ** (this.#failures - 1)));
        return;
      }
    }
  }

  #report(outcomes: FileOutcome[]): void {
    const acted = outcomes.filter((o) => o.action !== "unchanged");
    const skipped = acted.filter((o) => o.action === "skipped" || (o.action === "failed" && !isNameError(o)));
    if (acted.length > 0) this.#options.onSync?.(acted);
    if (skipped.length === 0) {
      this.#laterTries = 0;
      return;
    }
    // Not whole JSON yet (or a failure of that file alone): read again soon. Past a few tries it is
    // left to its next write, whose file event wakes a sync: a file left broken keeps no timer going.
    this.#laterTries += 1;
    if (this.#laterTries > MAX_REREADS) return;
    for (const o of skipped) this.#later.add(o.path);
    this.#retryIn(250 * 2 ** (this.#laterTries - 1));
  }

  #retryIn(ms: number): void {
    if (this.#closed) return;
    clearTimeout(this.#retry);
    this.#retry = setTimeout(() => {
      for (const path of this.#later) this.#wanted.add(path);
      this.#later.clear();
      this.#kick();
    }, ms);
  }
}

function isFolder(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

function isNameError(outcome: FileOutcome): boolean {
  return isSyncError(outcome.error, "invalid_name");
}

/** Failures that time may mend: the network, the server, a rate limit, a lost race. */
function isPassing(error: unknown): boolean {
  return (["network", "server_error", "rate_limited", "conflict"] as const).some((code) => isSyncError(error, code));
}
