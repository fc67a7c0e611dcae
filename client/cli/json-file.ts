/**
 * The user's JSON file for push, sync and watch: read with errors that name the file (a usage
 * error, exit 2), written atomically (temporary file in the same folder, flushed, renamed over).
 */
import { randomBytes } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { SyncError, type Json } from "../core/index.ts";
import { writeFileAtomic } from "../node/atomic-write.ts";

/** The file's JSON; `undefined` when it does not exist and `missingOk` is set. */
export async function readJsonFile(path: string, options: { missingOk?: boolean } = {}): Promise<Json | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ENOENT" && options.missingOk === true) return undefined;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a folder" : (error as Error).message;
    throw new SyncError("invalid_config", `Cannot read ${path}: ${reason}.`);
  }
  try {
    return JSON.parse(text) as Json;
  } catch (error) {
    throw new SyncError("invalid_config", `${path} is not valid JSON: ${(error as Error).message}.`);
  }
}

/** Replaces the file with `data` as indented JSON; a reader sees the old content or the new, never half. */
export async function writeJsonFileAtomic(path: string, data: Json): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  // Keep the file's permissions; a new one is the user's alone (it holds their plaintext data).
  const mode = await stat(path).then(
    (s) => s.mode & 0o777,
    () => 0o600,
  );
  await writeFileAtomic(path, `${JSON.stringify(data, null, 2)}\n`, { temp, mode });
}
