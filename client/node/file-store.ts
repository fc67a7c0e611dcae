/**
 * The Node Store: one JSON file per key in a data directory, each written atomically (a temporary
 * file, flushed to disk, then renamed over the old one), so a crash or a restart never leaves half
 * a record behind.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { assertStoreKey, type Store } from "../core/index.ts";
import { writeFileAtomic } from "./atomic-write.ts";
import { entriesIfPresent, isMissing } from "./missing-files.ts";

const SUFFIX = ".json";
/** Never produced by segment encoding, so temporary files cannot be mistaken for keys. */
const TEMP_MARK = "~";

/**
 * @example
 * const store = new FileStore(defaultDataDir(process.env));
 * await store.set("users/alice/meta", { counter: 1 });
 */
export class FileStore implements Store {
  readonly #dir: string;

  constructor(dir: string) {
    if (typeof dir !== "string" || dir === "") throw new TypeError("FileStore needs a directory path");
    this.#dir = dir;
  }

  /** The directory holding the files. */
  get dir(): string {
    return this.#dir;
  }

  async get(key: string): Promise<unknown> {
    let text: string;
    try {
      text = await readFile(this.#path(key), "utf8");
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    return JSON.parse(text);
  }

  async set(key: string, value: unknown): Promise<void> {
    const path = this.#path(key);
    const folder = join(path, "..");
    // Sync state holds plaintext merge bases: readable by this user only.
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const temp = join(folder, `${TEMP_MARK}${randomBytes(6).toString("hex")}${TEMP_MARK}`);
    await writeFileAtomic(path, JSON.stringify(value), { temp, mode: 0o600 });
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }

  async keys(prefix: string): Promise<string[]> {
    // Walk only the folder the prefix names; every key below it is a candidate.
    const cut = prefix.lastIndexOf("/");
    const folderKey = cut < 0 ? "" : prefix.slice(0, cut);
    const start = folderKey === "" ? this.#dir : join(this.#dir, ...folderKey.split("/").map(encodeSegment));
    const found: string[] = [];
    await walk(start, folderKey === "" ? [] : folderKey.split("/"), found);
    return found.filter((k) => k.startsWith(prefix)).sort();
  }

  #path(key: string): string {
    assertStoreKey(key);
    const segments = key.split("/").map(encodeSegment);
    segments[segments.length - 1] += SUFFIX;
    return join(this.#dir, ...segments);
  }
}

async function walk(folder: string, segments: string[], found: string[]): Promise<void> {
  const entries = await entriesIfPresent(folder);
  if (entries === null) return;
  for (const entry of entries) {
    if (entry.name.includes(TEMP_MARK)) continue;
    if (entry.isDirectory()) {
      await walk(join(folder, entry.name), [...segments, decodeSegment(entry.name)], found);
    } else if (entry.name.endsWith(SUFFIX)) {
      found.push([...segments, decodeSegment(entry.name.slice(0, -SUFFIX.length))].join("/"));
    }
  }
}

/**
 * Key segments allow upper case, `@` and `+`; file names keep only `a-z 0-9 . _ -` and escape the
 * rest as `%XX`, so "Alice" and "alice" stay apart on case-insensitive file systems (macOS, Windows).
 */
export function encodeSegment(segment: string): string {
  return segment.replace(/[^a-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

export function decodeSegment(name: string): string {
  return name.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * Where a user's sync state lives when `CLOUD_SYNC_DATA_DIR` is not set: the platform's per-user
 * data folder (XDG on Linux, Application Support on macOS, LOCALAPPDATA on Windows).
 */
export function defaultDataDir(
  env: Readonly<Record<string, string | undefined>>,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  const explicit = env["CLOUD_SYNC_DATA_DIR"];
  if (explicit !== undefined && explicit !== "") return explicit;
  if (platform === "win32") return join(env["LOCALAPPDATA"] || join(home, "AppData", "Local"), "cloud-sync");
  if (platform === "darwin") return join(home, "Library", "Application Support", "cloud-sync");
  return join(env["XDG_DATA_HOME"] || join(home, ".local", "share"), "cloud-sync");
}
