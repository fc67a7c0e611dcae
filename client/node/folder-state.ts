/**
 * What this device last synced of a folder, kept in its data folder (never inside the synced
 * folder): per file, the hash of the content it last read or wrote and the server's version then.
 * It is what tells a file deleted here from one that never existed here.
 */
import { createHash } from "node:crypto";
import type { Store } from "../core/index.ts";

export interface FileEntry {
  /** The document holding the file. */
  doc: string;
  /** SHA-256 (hex) of the file's bytes as last synced; null: the file is deleted, as this device knows. */
  hash: string | null;
  /** The server's version at that sync. */
  version: number;
}

export interface FolderRecord {
  /** The folder's absolute path, for people reading the data folder. */
  dir: string;
  username: string;
  /** Relative POSIX path -> entry. */
  files: Record<string, FileEntry>;
}

/** One record per user and absolute folder path. */
export function folderKey(username: string, dir: string): string {
  const id = createHash("sha256").update(`${username}\0${dir}`).digest("hex").slice(0, 32);
  return `folders/${username}/${id}`;
}

export async function loadFolderRecord(store: Store, username: string, dir: string): Promise<FolderRecord> {
  const stored = (await store.get(folderKey(username, dir))) as Partial<FolderRecord> | undefined;
  const files = stored?.files !== undefined && typeof stored.files === "object" ? stored.files : {};
  return { dir, username, files: { ...files } };
}

export async function saveFolderRecord(store: Store, record: FolderRecord): Promise<void> {
  await store.set(folderKey(record.username, record.dir), record);
}

export function contentHash(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}
