/**
 * The plaintext inside every document token: the Python module's envelope
 * `{username, device_id, timestamp, data}` plus our optional `sync` field (docs/PROTOCOL.md,
 * "Inside the token"), serialised as JSON and gzip-compressed when that makes it smaller.
 */
import type { ClockMap, Json, MergeRules } from "../merge/merge.ts";
import { isMergeRules } from "../merge/rules.ts";
import { isSyncError, SyncError } from "../errors.ts";
import { DEFAULT_MAX_DOCUMENT_BYTES, gunzipCapped, tooLarge } from "./inflate.ts";
import { utf8Decode, utf8Encode } from "../protocol/encoding.ts";

/** Our additions to the envelope. Python devices ignore the field and never write it. */
export interface SyncMeta {
  v: 1;
  /** SHA-256 (hex) of the raw token this write was based on; null for a document's first write. */
  base: string | null;
  /**
   * The document this token was written as (with the envelope's `username` and `version`, its
   * binding, docs/PROTOCOL.md "Inside the token"). Absent from tokens of the previous release.
   */
  doc?: string;
  /** The version number this token was written as: a reader refuses it under any other. */
  version?: number;
  /**
   * What the token is (docs/PROTOCOL.md "Units"): a `change` holds in `data` only the registers one
   * edit wrote (`{"writes": [...]}`), a `snapshot` the whole document after entry `version`;
   * absent, the whole document as version `version`.
   */
  kind?: "change" | "snapshot";
  /** This device's write counter: strictly increasing across its writes to the user's documents. */
  counter: number;
  /** The writer's hybrid logical clock at the time of the write. */
  hlc: string;
  /** Per-path clocks of the data (JSON pointer to HLC). */
  clocks: ClockMap;
  rules?: MergeRules;
}

export interface Envelope {
  username: string;
  device_id: string;
  /** Python's `datetime.now().isoformat()`: local time, no offset. */
  timestamp: string;
  data: Json;
  sync?: SyncMeta;
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;
/** Below this, gzip's 18-byte frame never pays for itself. */
const COMPRESS_MIN_BYTES = 64;

/**
 * Formats `ms` as Python's `datetime.now().isoformat()` does: local time, no UTC offset,
 * and a fraction of exactly six digits that Python leaves out when the microseconds are zero.
 *
 * @example pythonTimestamp(Date.UTC(2025, 0, 1, 10)) // "2025-01-01T10:00:00" when TZ=UTC
 */
export function pythonTimestamp(ms: number): string {
  const d = new Date(ms);
  const date = `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1, 2)}-${pad(d.getDate(), 2)}`;
  const time = `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}`;
  const micros = d.getMilliseconds() * 1000;
  return `${date}T${time}${micros === 0 ? "" : `.${pad(micros, 6)}`}`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses what Python's `datetime.fromisoformat` reads back from `isoformat()`, to milliseconds.
 * A timestamp without an offset is local time, as Python writes it. Returns null when unreadable.
 */
export function parsePythonTimestamp(text: string): number | null {
  const m = ISO.exec(text);
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Math.floor(Number(`0.${m[7] ?? "0"}`) * 1000);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
  const zone = m[8];
  if (zone === undefined) {
    const local = new Date(year, month - 1, day, hour, minute, second, ms);
    // Date.setFullYear keeps years 0-99 from being read as 1900-1999.
    local.setFullYear(year);
    return local.getTime();
  }
  const utc = new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms));
  utc.setUTCFullYear(year);
  if (zone === "Z") return utc.getTime();
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
  return utc.getTime() - sign * offsetMinutes * 60_000;
}

/** Serialises an envelope; gzip is used only when asked and only when the result is smaller. */
export async function encodeEnvelope(envelope: Envelope, options: { compress: boolean }): Promise<Uint8Array> {
  const json = utf8Encode(JSON.stringify(envelope));
  if (!options.compress || json.length < COMPRESS_MIN_BYTES) return json;
  const gz = await transform(json, new CompressionStream("gzip"));
  return gz.length < json.length ? gz : json;
}

/** True when a plaintext is gzip: JSON never starts with byte 0x1f. */
export function isCompressed(plaintext: Uint8Array): boolean {
  return plaintext[0] === GZIP_MAGIC_0 && plaintext[1] === GZIP_MAGIC_1;
}

/**
 * Reads a decrypted plaintext back into an envelope, gunzipping when it starts with 1f 8b.
 * Throws SyncError `invalid_payload` when it is not an envelope (e.g. another program's token).
 */
export async function decodeEnvelope(
  plaintext: Uint8Array,
  maxBytes: number = DEFAULT_MAX_DOCUMENT_BYTES,
): Promise<Envelope> {
  if (plaintext.byteLength > maxBytes) throw tooLarge(maxBytes);
  let value: unknown;
  try {
    const bytes = isCompressed(plaintext) ? await gunzipCapped(plaintext, maxBytes) : plaintext;
    value = JSON.parse(utf8Decode(bytes));
  } catch (cause) {
    if (isSyncError(cause, "payload_too_large")) throw cause;
    throw new SyncError("invalid_payload", "The document decrypted, but its content is not JSON.", { cause });
  }
  return toEnvelope(value);
}

function toEnvelope(value: unknown): Envelope {
  if (!isRecord(value) || !("data" in value)) {
    throw new SyncError("invalid_payload", "The document decrypted, but it is not a sync envelope (no data field).");
  }
  const { username, device_id, timestamp } = value;
  if (typeof username !== "string" || typeof device_id !== "string" || typeof timestamp !== "string") {
    throw new SyncError(
      "invalid_payload",
      "The document decrypted, but its envelope lacks username, device_id or timestamp.",
    );
  }
  const envelope: Envelope = { username, device_id, timestamp, data: value["data"] as Json };
  const sync = readSyncMeta(value["sync"]);
  if (sync !== undefined) envelope.sync = sync;
  return envelope;
}

/** A `sync` field we do not understand (a later version, or malformed) is ignored, as Python ignores ours. */
function readSyncMeta(value: unknown): SyncMeta | undefined {
  if (!isRecord(value) || value["v"] !== 1) return undefined;
  const { base, counter, hlc, clocks, rules, doc, version, kind } = value;
  if (base !== null && typeof base !== "string") return undefined;
  if (typeof counter !== "number" || !Number.isSafeInteger(counter) || counter < 0) return undefined;
  if (typeof hlc !== "string" || !isRecord(clocks)) return undefined;
  if (!Object.values(clocks).every((c) => typeof c === "string")) return undefined;
  const meta: SyncMeta = { v: 1, base, counter, hlc, clocks: clocks as ClockMap };
  // Half a binding, or a malformed one, binds nothing: the token is then read as an unbound one.
  if (typeof doc === "string" && typeof version === "number" && Number.isSafeInteger(version) && version >= 1) {
    meta.doc = doc;
    meta.version = version;
    if (kind === "change" || kind === "snapshot") meta.kind = kind;
    else if (kind !== undefined) return undefined;
  }
  // Rules this client cannot apply (another version's rule name, a malformed path) are ignored
  // like the rest of a `sync` field it does not understand, rather than failing every merge.
  if (isMergeRules(rules)) meta.rules = rules;
  return meta;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

async function transform(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
  const piped = source.pipeThrough(stream as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  return new Uint8Array(await new Response(piped).arrayBuffer());
}
