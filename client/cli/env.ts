/**
 * The CLI's configuration, read as the Python module reads its own: the environment plus a `.env` file in the working
 * directory (variables already set in the environment win, as with python-dotenv's `load_dotenv`),
 * checked into a typed SyncConfig whose errors name the variable at fault.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { SyncError, decodeFernetKey, isDeviceId } from "../core/index.ts";
import { defaultDataDir } from "../node/file-store.ts";

export type EnvVars = Readonly<Record<string, string | undefined>>;

export interface SyncConfig {
  /** The Worker's base URL (origin, optionally with a path prefix), without a `/legacy/<token>` part. */
  url: string;
  /** FERNET_KEY: the first key encrypts and is the credential; every one decrypts (`new,old` after a rotation). */
  keys: string[];
  /** CLOUD_SYNC_DEVICE_ID, or null for the machine fingerprint the Python module uses. */
  deviceId: string | null;
  /** CLOUD_SYNC_DATA_DIR, else the per-user data folder. */
  dataDir: string;
  /** CLOUD_SYNC_CLAIM_SECRET, for deployments that set CLAIM_SECRET. */
  claimSecret: string | null;
  /** CLOUD_SYNC_DEVICE_NAME: how this device shows in the device list (default: the machine's name). */
  deviceName: string | null;
}

/** The process environment over the `.env` of `cwd` (a missing `.env` is no error). */
export function loadEnv(cwd: string, processEnv: EnvVars): EnvVars {
  let text: string;
  try {
    text = readFileSync(join(cwd, ".env"), "utf8");
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return { ...processEnv };
    throw new SyncError("invalid_config", `Cannot read ${join(cwd, ".env")}: ${(error as Error).message}`);
  }
  const merged: Record<string, string | undefined> = parseDotenv(text);
  for (const [name, value] of Object.entries(processEnv)) if (value !== undefined) merged[name] = value;
  return merged;
}

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/;

/** `NAME=value` lines; `#` comments; values in single quotes are literal, in double quotes `\n` and `\"` are escapes. */
export function parseDotenv(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = LINE.exec(line);
    if (match === null) continue;
    const [, name, raw] = match as unknown as [string, string, string];
    vars[name] = unquote(raw);
  }
  return vars;
}

function unquote(raw: string): string {
  const quote = raw[0];
  if (quote === "'") {
    const end = raw.indexOf("'", 1);
    if (end > 0) return raw.slice(1, end);
  }
  if (quote === '"') {
    // Up to the first quote not escaped by a backslash.
    const match = /^"((?:[^"\\]|\\.)*)"/.exec(raw);
    if (match !== null) return match[1]!.replace(/\\([n"\\])/g, (_, c: string) => (c === "n" ? "\n" : c));
  }
  // An unquoted value ends where a comment starts (` #`), as python-dotenv reads it.
  const comment = raw.search(/\s#/);
  return (comment === -1 ? raw : raw.slice(0, comment)).trim();
}

/** Checks the variables the sync commands need; throws SyncError `invalid_config` naming the one at fault. */
export function syncConfig(env: EnvVars, cwd: string): SyncConfig {
  const url = baseUrl(env["CLOUD_SYNC_URL"]);
  const keys = fernetKeys(env["FERNET_KEY"]);
  return {
    url,
    keys,
    deviceId: deviceIdOverride(env),
    dataDir: resolve(cwd, defaultDataDir(env)),
    claimSecret: nonEmpty(env["CLOUD_SYNC_CLAIM_SECRET"]) ?? null,
    deviceName: nonEmpty(env["CLOUD_SYNC_DEVICE_NAME"]) ?? null,
  };
}

/** CLOUD_SYNC_DEVICE_ID when set (checked), else null. */
export function deviceIdOverride(env: EnvVars): string | null {
  const id = nonEmpty(env["CLOUD_SYNC_DEVICE_ID"]);
  if (id === undefined) return null;
  if (!isDeviceId(id)) {
    throw new SyncError(
      "invalid_config",
      "CLOUD_SYNC_DEVICE_ID is not a valid device id: use 1-64 characters from A-Z a-z 0-9 . _ -, starting with a letter or digit.",
    );
  }
  return id;
}

/**
 * The Python module's CLOUD_SYNC_URL may be a capability URL `<origin>/legacy/<token>` (what
 * `legacy-url` prints), so one `.env` serves both; the CLI speaks `/v1` and keeps only the base.
 */
function baseUrl(value: string | undefined): string {
  const text = nonEmpty(value);
  if (text === undefined) {
    throw new SyncError(
      "invalid_config",
      "CLOUD_SYNC_URL is not set: put the sync server's URL in the environment or in .env (e.g. CLOUD_SYNC_URL=http://127.0.0.1:8787).",
    );
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SyncError("invalid_config", "CLOUD_SYNC_URL is not a URL (expected e.g. https://sync.example.com).");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new SyncError("invalid_config", "CLOUD_SYNC_URL must be an http:// or https:// URL.");
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    throw new SyncError("invalid_config", "CLOUD_SYNC_URL must not carry a query, a fragment or credentials.");
  }
  const path = url.pathname.replace(/\/legacy\/[^/]*\/?$/, "").replace(/\/+$/, "");
  return url.origin + path;
}

function fernetKeys(value: string | undefined): string[] {
  const text = nonEmpty(value);
  if (text === undefined) {
    throw new SyncError(
      "invalid_config",
      "FERNET_KEY is not set: put your Fernet key in the environment or in .env (make one with `cloud-sync keygen`).",
    );
  }
  const keys = text
    .split(",")
    .map((k) => k.trim())
    .filter((k) => k !== "");
  if (keys.length === 0)
    throw new SyncError(
      "invalid_config",
      "FERNET_KEY is empty: it must hold a Fernet key (make one with `cloud-sync keygen`).",
    );
  keys.forEach((key, i) => {
    try {
      decodeFernetKey(key).fill(0);
    } catch {
      // The key itself is never echoed.
      const which = keys.length > 1 ? ` (key ${i + 1} of ${keys.length})` : "";
      throw new SyncError(
        "invalid_config",
        `FERNET_KEY${which} is not a Fernet key: it must be 32 bytes of URL-safe base64 (make one with \`cloud-sync keygen\`).`,
      );
    }
  });
  return keys;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === "" ? undefined : trimmed;
}
