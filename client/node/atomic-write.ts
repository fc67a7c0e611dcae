/** Atomic file replacement for Node: a reader, or a restart after a crash, sees the old content or the new, never half. */
import { open, rename, rm } from "node:fs/promises";

/**
 * Writes `text` to `temp` (which must be in the same folder as `path`, so the rename stays on one
 * file system), flushes it to disk, then renames it over `path`; the temporary file is removed if
 * the rename fails. `beforeRename` runs once the new content is on disk, just before the rename;
 * if it throws, nothing is replaced (a last check that the file is still what the caller read).
 *
 * @example
 * await writeFileAtomic("/data/state.json", JSON.stringify(state), { temp: "/data/.state.json.tmp", mode: 0o600 });
 */
export async function writeFileAtomic(
  path: string,
  text: string,
  options: { temp: string; mode: number; beforeRename?: () => Promise<void> },
): Promise<void> {
  const handle = await open(options.temp, "w", options.mode);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await options.beforeRename?.();
    await rename(options.temp, path);
  } catch (error) {
    await rm(options.temp, { force: true });
    throw error;
  }
}
