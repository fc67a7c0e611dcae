/**
 * What the Worker's `/v1` answers mean: the shapes of its JSON records, and how a Response becomes a
 * served token, a write outcome or a SyncError. Pure functions of a Response; no I/O of their own.
 */
import type { Frame } from "../protocol/change-frames.ts";
import { SyncError, type SyncErrorCode } from "../errors.ts";

export interface DocumentInfo {
  name: string;
  version: number;
  etag: string;
  size: number;
  updated_at: string;
  device_id: string;
}

export interface VersionInfo {
  version: number;
  etag: string;
  size: number;
  updated_at: string;
  device_id: string;
  /**
   * A whole version or a change (servers of this release; absent: whole); "folded", a whole
   * version whose content the server dropped, rebuilt from a later snapshot (docs/PROTOCOL.md "Retention").
   */
  kind?: "whole" | "change" | "folded";
  /** A snapshot (compaction) of this version is stored. */
  snapshot?: true;
}

export interface DeviceRecord {
  device_id: string;
  name: string | null;
  platform: string | null;
  first_seen: string | null;
  last_upload: string | null;
  last_download: string | null;
  last_sync: string | null;
}

export interface AccountInfo {
  username: string;
  created_at: string;
  usage_bytes: number;
  /** usage_bytes plus the inline copies the server's index keeps (servers of this release). */
  stored_bytes?: number;
  quota_bytes: number;
  documents: number;
}

/** A document version as served: the raw token bytes and what the headers say about them. */
export interface ServedToken {
  bytes: Uint8Array;
  version: number;
  /** The writer's device id (`X-Sync-Device`), when the server says. */
  deviceId: string | null;
  /** When the server stored it (`Last-Modified`), in ms. */
  storedAt: number | null;
}

/** What a conditional write can precondition on. */
export type WritePrecondition = { ifMatch: number } | { ifNoneMatch: "*" } | Record<string, never>;

/**
 * A write either lands, or loses a compare-and-swap (412) to the version the server names; when the
 * write named another number than it would get (X-Sync-Version), `nextVersion` is the one to seal.
 */
export type WriteOutcome =
  | { ok: true; info: DocumentInfo; seq?: number }
  | { ok: false; currentVersion: number | null; nextVersion: number | null };

/** One answer of a cursor read; `ahead` when the cursor is past the server's head (409 cursor_ahead). */
export type ChangesPage =
  | { ahead: true; head: number; reason: string }
  | { ahead: false; head: number; frames: Frame[]; more: boolean; reset: boolean };

/** A change lands with its sequence number (and the version to snapshot, when due), or loses the compare-and-swap. */
export type ChangeOutcome =
  | { ok: true; seq: number; version: number; compact: number | null }
  | { ok: false; currentVersion: number | null; nextVersion: number | null };

/** The longest pause a server may impose through Retry-After: a hostile or broken value cannot silence a client for good. */
const MAX_RETRY_AFTER_MS = 60 * 60_000;

/** `Retry-After` (delay-seconds or an HTTP-date, RFC 9110 §10.2.3) in ms from `now`; undefined when absent or unreadable. */
export function retryAfterMs(res: Response, now: number): number | undefined {
  const value = res.headers.get("Retry-After")?.trim();
  if (value === undefined || value === "") return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) ? Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms)) : undefined;
}

export async function writeOutcome(res: Response): Promise<WriteOutcome> {
  if (res.status === 412) {
    await res.body?.cancel();
    const next = Number(res.headers.get("X-Sync-Next-Version"));
    return {
      ok: false,
      currentVersion: parseEtag(res.headers.get("ETag")),
      nextVersion: Number.isSafeInteger(next) && next >= 1 ? next : null,
    };
  }
  const seq = Number(res.headers.get("X-Sync-Seq") ?? Number.NaN);
  const info = (await res.json()) as DocumentInfo;
  return Number.isSafeInteger(seq) && seq >= 1 ? { ok: true, info, seq } : { ok: true, info };
}

export async function readServedToken(res: Response): Promise<ServedToken> {
  const bytes = new Uint8Array(await res.arrayBuffer());
  const version = parseEtag(res.headers.get("ETag")) ?? Number(res.headers.get("X-Sync-Version"));
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new SyncError("server_error", "The server answered without a document version (ETag).", {
      status: res.status,
    });
  }
  const lastModified = Date.parse(res.headers.get("Last-Modified") ?? "");
  return {
    bytes,
    version,
    deviceId: res.headers.get("X-Sync-Device"),
    storedAt: Number.isFinite(lastModified) ? lastModified : null,
  };
}

/** `"12"` or `W/"12"` to 12; null when absent or not a version. */
export function parseEtag(etag: string | null): number | null {
  const m = etag === null ? null : /^(?:W\/)?"([1-9][0-9]*)"$/.exec(etag.trim());
  return m === null ? null : Number(m[1]);
}

/** Server error codes that keep their name on the client (both lists are API). */
const SAME_CODE: ReadonlySet<string> = new Set<SyncErrorCode>([
  "unauthorized",
  "username_taken",
  "claim_secret_required",
  "forbidden",
  "not_found",
  "payload_too_large",
  "quota_exceeded",
  "rate_limited",
  "bad_request",
  "invalid_name",
]);

export async function errorFromResponse(res: Response): Promise<SyncError> {
  let code = "";
  let message = "";
  try {
    const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === "string") code = body.error.code;
    if (typeof body.error?.message === "string") message = body.error.message;
  } catch {
    // Not our Worker's JSON (a proxy's error page, say): the status alone decides.
  }
  const status = res.status;
  const retryAfter = retryAfterMs(res, Date.now());
  // Every error carries the status, and the server's Retry-After when it sent one (429, 503).
  const info = retryAfter === undefined ? { status } : { status, retryAfterMs: retryAfter };
  const detail = message === "" ? `HTTP ${status}` : `${message} (HTTP ${status})`;
  if (code === "unauthorized") {
    return new SyncError(
      "unauthorized",
      `The server refused the credential: this FERNET_KEY is not the one that claimed the username, or the username belongs to someone else (${detail}).`,
      info,
    );
  }
  if (SAME_CODE.has(code)) return new SyncError(code as SyncErrorCode, `Server: ${detail}.`, info);
  if (code === "precondition_failed") return new SyncError("conflict", `Server: ${detail}.`, info);
  if (status === 502 || status === 503 || status === 504) {
    return new SyncError("network", `The server is unavailable: ${detail}.`, info);
  }
  if (status >= 500) return new SyncError("server_error", `The server failed: ${detail}.`, info);
  if (status === 401) return new SyncError("unauthorized", `The server refused the credential (${detail}).`, info);
  if (status === 404) return new SyncError("not_found", `Server: ${detail}.`, info);
  if (status === 429) return new SyncError("rate_limited", `Server: ${detail}.`, info);
  return new SyncError("bad_request", `Server: ${detail}.`, info);
}
