/**
 * The synced folder on disk: listing its documents' files, reading one only when it holds whole
 * JSON, and replacing or removing one atomically, never over content this device has not seen.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rm, rmdir, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Json } from "../core/index.ts";
import { writeFileAtomic } from "./atomic-write.ts";
import { entriesIfPresent, isMissing } from "./missing-files.ts";
import type { FolderFilter } from "./folder-filter.ts";
import { contentHash } from "./folder-state.ts";

/** A file as read: missing, not (yet) whole JSON, or its data with the hash of its bytes. */
export type LocalFile =
  | { state: "missing" }
  | { state: "unsettled"; reason: string }
  | { state: "ok"; data: Json; hash: string; bytes: number };

export interface FolderListing {
  /** Relative POSIX path (NFC) of each file the filter selects -> its absolute path on disk. */
  files: Map<string, string>;
  /** Every folder walked, the top one included (absolute paths): what a watcher watches. */
  folders: string[];
}

/** Walks `dir`, skipping what the filter never enters; symbolic links are not followed. */
export async function listFolder(dir: string, filter: FolderFilter): Promise<FolderListing> {
  const listing: FolderListing = { files: new Map(), folders: [] };
  await walk(dir, "", filter, listing);
  return listing;
}

async function walk(abs: string, rel: string, filter: FolderFilter, listing: FolderListing): Promise<void> {
  const entries = await entriesIfPresent(abs);
  if (entries === null) return;
  listing.folders.push(abs);
  for (const entry of entries) {
    // macOS may hand out decomposed names; documents are named from the composed form.
    const path = rel === "" ? entry.name.normalize("NFC") : `${rel}/${entry.name.normalize("NFC")}`;
    if (entry.isDirectory()) {
      if (filter.entersFolder(entry.name)) await walk(join(abs, entry.name), path, filter, listing);
    } else if (entry.isFile() && filter.matches(path)) {
      listing.files.set(path, join(abs, entry.name));
    }
  }
}

/** Where the file of `path` lives (or will) under `dir`. */
export function filePath(dir: string, path: string): string {
  return join(dir, ...path.split("/"));
}

/**
 * The file's JSON, if it is whole now: a file that does not parse, or that changed while it was
 * read, is `unsettled` (an application may be writing it), never taken for deleted.
 */
export async function readLocalFile(abs: string): Promise<LocalFile> {
  let bytes: Buffer;
  let before: { mtimeMs: number; size: number };
  try {
    before = await stat(abs);
    bytes = await readFile(abs);
  } catch (error) {
    if (isMissing(error)) return { state: "missing" };
    return { state: "unsettled", reason: (error as Error).message };
  }
  const after = await stat(abs).catch(() => null);
  if (after === null || after.mtimeMs !== before.mtimeMs || after.size !== before.size)
    return { state: "unsettled", reason: "it changed while being read" };
  let data: Json;
  try {
    data = JSON.parse(bytes.toString("utf8")) as Json;
  } catch (error) {
    return { state: "unsettled", reason: `it is not valid JSON (${(error as Error).message})` };
  }
  // null is how a document says its file was deleted (see folder-sync.ts).
  if (data === null)
    return { state: "unsettled", reason: "it holds only null, which is how a deleted file is recorded" };
  return { state: "ok", data, hash: contentHash(bytes), bytes: bytes.byteLength };
}

/** The file's bytes no longer have the hash the caller read: it changed meanwhile. */
export class ChangedMeanwhile extends Error {
  override readonly name = "ChangedMeanwhile";
}

/**
 * Replaces the file with `data` (indented JSON) by rename, unless its bytes are no longer those
 * hashed as `expected` (null: it must not exist): then ChangedMeanwhile, and nothing is written.
 * Returns the hash of what was written.
 */
export async function writeLocalFile(abs: string, data: Json, expected: string | null): Promise<string> {
  const text = `${JSON.stringify(data, null, 2)}\n`;
  await mkdir(dirname(abs), { recursive: true });
  const temp = join(dirname(abs), `.${basename(abs)}.${randomBytes(6).toString("hex")}.tmp`);
  const mode = await stat(abs).then(
    (s) => s.mode & 0o777,
    () => 0o600,
  );
  await writeFileAtomic(abs, text, { temp, mode, beforeRename: () => expectHash(abs, expected) });
  return contentHash(text);
}

/** Removes the file if its bytes still have the hash `expected`, then the folders it leaves empty (up to `top`). */
export async function removeLocalFile(top: string, abs: string, expected: string): Promise<void> {
  await expectHash(abs, expected);
  await rm(abs, { force: true });
  for (let folder = dirname(abs); folder.startsWith(top) && folder !== top; folder = dirname(folder)) {
    try {
      await rmdir(folder);
    } catch {
      break; // not empty (or gone): stop climbing
    }
  }
}

async function expectHash(abs: string, expected: string | null): Promise<void> {
  const current = await readFile(abs).then(contentHash, (error: unknown) => {
    if (isMissing(error)) return null;
    throw error;
  });
  if (current !== expected) throw new ChangedMeanwhile(`${abs} changed while it was being synced`);
}
