/**
 * A folder kept in sync: every JSON file the filter selects is a document (named by
 * folder-names.ts), merged per key both ways through the SyncManager. A file created on one device
 * appears on the others. A file deleted on one is deleted on the others, as a new version whose data
 * is `null`, so the history keeps what it held and a rollback brings it back; an edit made
 * meanwhile elsewhere wins over the deletion. A file that is not whole JSON when read is skipped
 * (to be retried), never uploaded and never overwritten.
 */
import { mkdir, stat } from "node:fs/promises";
import { resolve } from "node:path";
import {
  HybridLogicalClock,
  SyncError,
  checkUsername,
  jsonEqual,
  merge,
  stamp,
  type DocumentInfo,
  type Json,
  type Store,
  type SyncManager,
} from "../core/index.ts";
import { defaultDataDir, FileStore } from "./file-store.ts";
import { FolderFilter, type FolderFilterOptions } from "./folder-filter.ts";
import {
  ChangedMeanwhile,
  filePath,
  listFolder,
  readLocalFile,
  removeLocalFile,
  writeLocalFile,
} from "./folder-files.ts";
import { docNameForPath, pathForDocName } from "./folder-names.ts";
import { loadFolderRecord, saveFolderRecord, type FileEntry, type FolderRecord } from "./folder-state.ts";

export interface FolderSyncOptions extends FolderFilterOptions {
  manager: SyncManager;
  username: string;
  /** The folder; created if missing (a new device: everything comes down). */
  dir: string;
  /** Where this device remembers the folder's last sync (never inside it). Default: a FileStore in the data folder. */
  store?: Store;
  /** Told after each file that needed work, with how many of this pass's are done. */
  onFile?: (outcome: FileOutcome, progress: { done: number; total: number; bytes: number; totalBytes: number }) => void;
}

/**
 * - `uploaded`: this device's changes went up; `downloaded`: the file was created or updated from
 *   the server; `merged`: both.
 * - `deleted`: the file was deleted here and the deletion went up; `removed`: deleted elsewhere, so removed here.
 * - `kept`: edited here while deleted elsewhere, so the file stays and goes up again.
 * - `skipped`: not whole JSON right now (retry later); `failed`: see `error`.
 */
export type FileAction =
  | "unchanged"
  | "uploaded"
  | "downloaded"
  | "merged"
  | "deleted"
  | "removed"
  | "kept"
  | "skipped"
  | "failed";

export interface FileOutcome {
  path: string;
  doc: string | null;
  action: FileAction;
  /** The document's version after this sync, when known. */
  version: number | null;
  /** Why it was skipped. */
  reason?: string;
  error?: unknown;
}

/** Failures of one file that leave the others worth trying; anything else ends the pass. */
const PER_FILE = new Set([
  "invalid_name",
  "payload_too_large",
  "rollback_detected",
  "fork_detected",
  "invalid_payload",
]);

/**
 * @example
 * const folder = FolderSync.create({ manager, username: "alice", dir: "data" });
 * const outcomes = await folder.syncAll();
 */
export class FolderSync {
  readonly dir: string;
  readonly username: string;
  readonly filter: FolderFilter;
  readonly manager: SyncManager;
  readonly #store: Store;
  readonly #onFile: FolderSyncOptions["onFile"];
  #record: FolderRecord | null = null;
  #tail: Promise<unknown> = Promise.resolve();

  /** Checks the options (TypeError before any I/O). */
  static create(options: FolderSyncOptions): FolderSync {
    return new FolderSync(options);
  }

  private constructor(options: FolderSyncOptions) {
    if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
    if (typeof options.manager?.bidirectionalSync !== "function") throw new TypeError("manager must be a SyncManager");
    if (typeof options.dir !== "string" || options.dir === "") throw new TypeError("dir must be a folder path");
    for (const list of [options.include, options.exclude])
      if (list !== undefined && !Array.isArray(list))
        throw new TypeError("include and exclude must be arrays of globs");
    this.username = checkUsername(options.username);
    this.dir = resolve(options.dir);
    this.filter = new FolderFilter(options);
    this.manager = options.manager;
    this.#store = options.store ?? new FileStore(defaultDataDir(process.env));
    this.#onFile = options.onFile;
  }

  /** The file a document holds in this folder, or null when it is none of the folder's files. */
  pathOf(doc: string): string | null {
    const path = pathForDocName(doc);
    return path !== null && this.filter.matches(path) ? path : null;
  }

  /** Syncs every file of the folder and every document of the folder on the server. */
  syncAll(): Promise<FileOutcome[]> {
    return this.#serial(async () => {
      const fresh = await stat(this.dir).then(
        () => false,
        () => true,
      );
      // A missing folder is a new device, whatever an old record says: nothing in it was deleted.
      if (fresh) await mkdir(this.dir, { recursive: true });
      const record = await this.#load();
      if (fresh) record.files = {};
      const [listing, local] = await Promise.all([this.#listing(), listFolder(this.dir, this.filter)]);
      const paths = new Set([
        ...local.files.keys(),
        ...Object.keys(record.files).filter((p) => this.filter.matches(p)),
      ]);
      for (const info of listing.values()) {
        const path = this.pathOf(info.name);
        if (path !== null) paths.add(path);
      }
      return this.#run([...paths].sort(), listing, local.files);
    });
  }

  /**
   * Of these paths, those whose file differs from what this device last synced (edited, created,
   * deleted, or not readable as JSON now); read locally, without the network.
   */
  changedHere(paths: Iterable<string>): Promise<string[]> {
    return this.#serial(async () => {
      const files = (await this.#load()).files;
      const changed: string[] = [];
      for (const path of new Set(paths)) {
        if (!this.filter.matches(path)) continue;
        const local = await readLocalFile(filePath(this.dir, path));
        const known = files[path]?.hash;
        const same =
          local.state === "ok" ? known === local.hash : local.state === "missing" && (known ?? null) === null;
        if (!same) changed.push(path);
      }
      return changed;
    });
  }

  /** Syncs the files at these relative paths only (those a watcher saw change, or the server announced). */
  syncPaths(paths: Iterable<string>): Promise<FileOutcome[]> {
    return this.#serial(async () => {
      const wanted = [...new Set(paths)].filter((p) => this.filter.matches(p)).sort();
      if (wanted.length === 0) return [];
      // A name outside ASCII may be spelled otherwise on disk (decomposed): find the file as it is.
      const onDisk = wanted.some((p) => /[^\x20-\x7e]/.test(p))
        ? (await listFolder(this.dir, this.filter)).files
        : new Map<string, string>();
      return this.#run(wanted, await this.#listing(), onDisk);
    });
  }

  async #run(paths: string[], listing: Map<string, DocumentInfo>, onDisk: Map<string, string>): Promise<FileOutcome[]> {
    const record = await this.#load();
    const work: Array<{ path: string; doc: string; server: DocumentInfo | null }> = [];
    const outcomes: FileOutcome[] = [];
    for (const path of paths) {
      let doc: string;
      try {
        doc = docNameForPath(path);
      } catch (error) {
        outcomes.push({ path, doc: null, action: "failed", version: null, error });
        continue;
      }
      work.push({ path, doc, server: listing.get(doc) ?? null });
    }
    const totalBytes = work.reduce((sum, w) => sum + (w.server?.size ?? 0), 0);
    let bytes = 0;
    try {
      for (const [i, { path, doc, server }] of work.entries()) {
        const outcome = await this.#syncFile(path, doc, server, onDisk.get(path) ?? filePath(this.dir, path));
        outcomes.push(outcome);
        bytes += server?.size ?? 0;
        if (outcome.action !== "unchanged")
          this.#onFile?.(outcome, { done: i + 1, total: work.length, bytes, totalBytes });
        // A long first sync keeps what it has done should it be stopped.
        if (i % 50 === 49) await saveFolderRecord(this.#store, record);
      }
    } finally {
      await saveFolderRecord(this.#store, record);
    }
    return outcomes;
  }

  async #syncFile(path: string, doc: string, server: DocumentInfo | null, abs: string): Promise<FileOutcome> {
    try {
      return await this.#syncOne(path, doc, server, abs);
    } catch (error) {
      if (error instanceof SyncError && PER_FILE.has(error.code))
        return { path, doc, action: "failed", version: null, error };
      // Written by someone else between the read and the replacement: read it again shortly.
      if (error instanceof ChangedMeanwhile)
        return { path, doc, action: "skipped", version: null, reason: "it changed while being synced" };
      throw error;
    }
  }

  async #syncOne(path: string, doc: string, server: DocumentInfo | null, abs: string): Promise<FileOutcome> {
    const files = (await this.#load()).files;
    const entry = files[path];
    const local = await readLocalFile(abs);
    const done = (action: FileAction, next: FileEntry | null): FileOutcome => {
      if (next === null) delete files[path];
      else files[path] = next;
      return { path, doc, action, version: next?.version ?? server?.version ?? null };
    };
    if (local.state === "unsettled") return { path, doc, action: "skipped", version: null, reason: local.reason };

    if (local.state === "missing") {
      const known = entry !== undefined && entry.hash !== null;
      if (server === null) {
        if (known) await this.manager.forgetDocument(this.username, { doc });
        return done("unchanged", null);
      }
      if (entry !== undefined && server.version === entry.version)
        return known ? this.#deleteHere(doc, abs, done) : done("unchanged", entry);
      // New there, or changed there since this device last synced it (an edit wins over a deletion here).
      return this.#adopt(doc, abs, server, null, done);
    }

    const changedHere = entry === undefined || entry.hash !== local.hash;
    if (!changedHere && server !== null && server.version === entry!.version) return done("unchanged", entry!);
    if (server === null && entry !== undefined) {
      // Removed on the server itself (DELETE drops the history): this device forgets what it knew of it.
      await this.manager.forgetDocument(this.username, { doc });
      if (!changedHere) {
        await removeLocalFile(this.dir, abs, local.hash);
        return done("removed", null);
      }
    } else if (!changedHere && server !== null) {
      return this.#adopt(doc, abs, server, local, done);
    } else if (changedHere && entry?.hash && server !== null && server.version !== entry.version) {
      // Edited on both sides since the last sync: a deletion there must not take this edit with it.
      if ((await this.manager.syncDownload(this.username, { doc })) === null) return this.#keep(doc, local, done);
    }
    const result = await this.manager.bidirectionalSync(this.username, local.data, { doc });
    if (result.data === null) {
      if (changedHere) return this.#keep(doc, local, done);
      await removeLocalFile(this.dir, abs, local.hash);
      return done("removed", { doc, hash: null, version: result.version ?? 0 });
    }
    const version = result.version ?? 0;
    if (jsonEqual(result.data, local.data))
      return done(result.uploaded ? "uploaded" : "unchanged", { doc, hash: local.hash, version });
    const action = result.uploaded ? "merged" : "downloaded";
    try {
      return done(action, { doc, hash: await writeLocalFile(abs, result.data, local.hash), version });
    } catch (error) {
      if (!(error instanceof ChangedMeanwhile)) throw error;
      return done(action, { doc, hash: await this.#rebase(abs, local.data, result.data), version });
    }
  }

  /** The file was deleted here: the deletion becomes the document's next version (its data `null`). */
  async #deleteHere(doc: string, abs: string, done: Done): Promise<FileOutcome> {
    const result = await this.manager.bidirectionalSync(this.username, null, { doc });
    const version = result.version ?? 0;
    if (result.data === null) return done("deleted", { doc, hash: null, version });
    // An edit that raced the deletion survived the merge: the file comes back with it.
    return done("downloaded", { doc, hash: await writeLocalFile(abs, result.data, null), version });
  }

  /**
   * Nothing changed here (or there is no file here): the file becomes the server's copy, which is
   * adopted, with its writers' own clocks, as what the next sync merges against.
   */
  async #adopt(
    doc: string,
    abs: string,
    server: DocumentInfo,
    local: { data: Json; hash: string } | null,
    done: Done,
  ): Promise<FileOutcome> {
    const version = server.version;
    const remote = await this.manager.syncDownload(this.username, { doc, adopt: true });
    if (remote === null) {
      if (local === null) return done("unchanged", { doc, hash: null, version });
      await removeLocalFile(this.dir, abs, local.hash);
      return done("removed", { doc, hash: null, version });
    }
    if (local !== null && jsonEqual(remote, local.data)) return done("unchanged", { doc, hash: local.hash, version });
    try {
      return done("downloaded", { doc, hash: await writeLocalFile(abs, remote, local?.hash ?? null), version });
    } catch (error) {
      if (!(error instanceof ChangedMeanwhile)) throw error;
      // Written here meanwhile: its edit goes onto the server's copy (a file created meanwhile is merged by the next sync).
      return done("downloaded", {
        doc,
        hash: local === null ? "" : await this.#rebase(abs, local.data, remote),
        version,
      });
    }
  }

  /** Edited here, deleted elsewhere: the edit wins, the whole file goes up again. */
  async #keep(doc: string, local: { data: Json; hash: string }, done: Done): Promise<FileOutcome> {
    const { version } = await this.manager.syncUpload(this.username, local.data, { doc });
    return done("kept", { doc, hash: local.hash, version });
  }

  /**
   * The application wrote the file while it was being synced: its edit (from what was read to what
   * is there now) is replayed onto the merged data, and the file is left for the next sync to send.
   */
  async #rebase(abs: string, read: Json, merged: Json): Promise<string> {
    const now = await readLocalFile(abs);
    if (now.state !== "ok") return "";
    const clock = new HybridLogicalClock("folder");
    const base = stamp(null, read, clock.tick());
    const theirs = stamp(base, merged, clock.tick());
    const mine = stamp(base, now.data, clock.tick());
    await writeLocalFile(abs, merge(base, theirs, mine).data, now.hash).catch((error: unknown) => {
      if (!(error instanceof ChangedMeanwhile)) throw error;
    });
    // Not the hash of what the file holds: the next sync sends the replayed edit.
    return "";
  }

  async #listing(): Promise<Map<string, DocumentInfo>> {
    const documents = await this.manager.listDocuments(this.username);
    return new Map(documents.map((d) => [d.name, d]));
  }

  async #load(): Promise<FolderRecord> {
    this.#record ??= await loadFolderRecord(this.#store, this.username, this.dir);
    return this.#record;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }
}

type Done = (action: FileAction, next: FileEntry | null) => FileOutcome;
