/**
 * The body of `GET /v1/users/:u/changes` (docs/PROTOCOL.md "Sequence and cursor"): a run of
 * frames, each `u32be header length | header (UTF-8 JSON) | u32be body length | body (raw token)`.
 * Shared by the Worker, which writes it, and the client, which reads it and checks every field.
 */
import { isDocName, isDeviceId } from "./names.ts";

export const CHANGES_MEDIA_TYPE = "application/vnd.cloud-sync.changes";

/** A change token holds one edit's registers; anything larger is written whole instead. */
export const MAX_CHANGE_BYTES = 64 * 1024;

/** What a version number counts (`whole`, `change`, `tombstone`), or a compaction (`snapshot`). */
export type EntryKind = "whole" | "change" | "tombstone" | "snapshot";
const KINDS: ReadonlySet<string> = new Set<EntryKind>(["whole", "change", "tombstone", "snapshot"]);

export interface FrameHeader {
  /** The hub's sequence number of the entry (of the entry a snapshot covers). */
  seq: number;
  doc: string;
  version: number;
  kind: EntryKind;
  /** The writer as its request said ("" when unknown); the token's envelope names the real one. */
  device_id: string;
  updated_at: string;
  /** The token's size in bytes (0 for a tombstone). */
  size: number;
  /** The token is not inline: fetch it from the document's versions (or snapshots) route. */
  blob?: true;
}

export interface Frame {
  header: FrameHeader;
  /** The raw token; null for a tombstone or a `blob` frame. */
  token: Uint8Array | null;
}

const utf8 = new TextEncoder();

/** The frames as one body. */
export function encodeFrames(frames: readonly Frame[]): Uint8Array {
  const parts = frames.map((f) => ({ header: utf8.encode(JSON.stringify(headerOnly(f.header))), token: f.token }));
  const total = parts.reduce((n, p) => n + 8 + p.header.length + (p.token?.length ?? 0), 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const p of parts) {
    view.setUint32(at, p.header.length);
    out.set(p.header, at + 4);
    at += 4 + p.header.length;
    const body = p.token ?? new Uint8Array(0);
    view.setUint32(at, body.length);
    out.set(body, at + 4);
    at += 4 + body.length;
  }
  return out;
}

/** Copies the known fields only, so nothing a caller attached by accident reaches the wire. */
function headerOnly(h: FrameHeader): FrameHeader {
  const out: FrameHeader = {
    seq: h.seq,
    doc: h.doc,
    version: h.version,
    kind: h.kind,
    device_id: h.device_id,
    updated_at: h.updated_at,
    size: h.size,
  };
  if (h.blob === true) out.blob = true;
  return out;
}

/** A body that is not a run of well-formed frames. */
export class FrameFormatError extends Error {}

/** Parses a changes body, refusing anything malformed (a hostile or broken server). */
export function decodeFrames(bytes: Uint8Array): Frame[] {
  const frames: Frame[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  let at = 0;
  const take = (what: string): Uint8Array => {
    if (at + 4 > bytes.length) throw new FrameFormatError(`truncated ${what} length at byte ${at}`);
    const length = view.getUint32(at);
    if (at + 4 + length > bytes.length) throw new FrameFormatError(`truncated ${what} at byte ${at}`);
    const part = bytes.subarray(at + 4, at + 4 + length);
    at += 4 + length;
    return part;
  };
  while (at < bytes.length) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(decoder.decode(take("header")));
    } catch (err) {
      if (err instanceof FrameFormatError) throw err;
      throw new FrameFormatError(`frame ${frames.length + 1} has a header that is not JSON`);
    }
    const header = checkHeader(parsed, frames.length + 1);
    const body = take("body");
    const token = body.length === 0 ? null : body.slice();
    if (header.kind === "tombstone" ? token !== null : (token === null) !== (header.blob === true)) {
      throw new FrameFormatError(`frame ${frames.length + 1} (${header.kind}) has a body that does not match it`);
    }
    frames.push({ header, token });
  }
  return frames;
}

function checkHeader(value: unknown, n: number): FrameHeader {
  const h = value as Partial<Record<keyof FrameHeader, unknown>> | null;
  const ok =
    typeof h === "object" &&
    h !== null &&
    Number.isSafeInteger(h.seq) &&
    (h.seq as number) >= 1 &&
    isDocName(h.doc) &&
    Number.isSafeInteger(h.version) &&
    (h.version as number) >= 1 &&
    typeof h.kind === "string" &&
    KINDS.has(h.kind) &&
    typeof h.device_id === "string" &&
    (h.device_id === "" || isDeviceId(h.device_id)) &&
    typeof h.updated_at === "string" &&
    Number.isSafeInteger(h.size) &&
    (h.size as number) >= 0 &&
    (h.blob === undefined || h.blob === true);
  if (!ok) throw new FrameFormatError(`frame ${n} has a malformed header`);
  return h as FrameHeader;
}
