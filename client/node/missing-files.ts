/** A file or folder that is not there is an answer, not a failure, wherever the device reads its own files. */
import type { Dirent } from "node:fs";
import { readdir } from "node:fs/promises";

/** Whether a file system error says the path does not exist. */
export function isMissing(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "ENOENT";
}

/** The entries of `folder`, or null when it does not exist; other errors are thrown. */
export async function entriesIfPresent(folder: string): Promise<Dirent[] | null> {
  try {
    return await readdir(folder, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}
