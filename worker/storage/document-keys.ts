/**
 * R2 key layout of documents. Each version is its own object, written create-only, under a key
 * that sorts newest first: `users/<u>/docs/<doc>/v/<10^12 - version, 12 digits>`. So the current
 * version is the first key of a one-item list, and creating version n+1 is the compare-and-swap.
 */
import { MAX_VERSION } from "../schemas/names.ts";
import { userPrefix } from "./accounts.ts";

const SPAN = MAX_VERSION + 1;

export function docsPrefix(username: string): string {
  return `${userPrefix(username)}docs/`;
}

export function versionsPrefix(username: string, doc: string): string {
  return `${docsPrefix(username)}${doc}/v/`;
}

export function versionKey(username: string, doc: string, version: number): string {
  return versionsPrefix(username, doc) + String(SPAN - version).padStart(12, "0");
}

/** Splits a key under `docsPrefix(username)` into its document and version; null for anything else. */
export function parseVersionKey(username: string, key: string): { doc: string; version: number } | null {
  const rest = key.slice(docsPrefix(username).length);
  const match = /^([^/]+)\/v\/(\d{12})$/.exec(rest);
  if (!key.startsWith(docsPrefix(username)) || match === null) return null;
  return { doc: match[1]!, version: SPAN - Number(match[2]) };
}

/** Snapshots (compactions) sit beside the versions: `users/<u>/docs/<doc>/s/<version, 12 digits>`. */
export function snapshotsPrefix(username: string, doc: string): string {
  return `${docsPrefix(username)}${doc}/s/`;
}

export function snapshotKey(username: string, doc: string, version: number): string {
  return snapshotsPrefix(username, doc) + String(version).padStart(12, "0");
}
