/**
 * Between a document's content and its token: builds the envelope (bound to its user, document and
 * version), compresses and encrypts it, and back; a token that fails its HMAC becomes `wrong_key`,
 * and a Python device's envelope (one timestamp, no clocks) becomes a state that merges as a whole
 * at that time.
 */
import { DEFAULT_MAX_DOCUMENT_BYTES } from "./inflate.ts";
import { decodeEnvelope, encodeEnvelope, parsePythonTimestamp, pythonTimestamp, type Envelope } from "./envelope.ts";
import { isSyncError, SyncError } from "../errors.ts";
import type { MultiFernet } from "../crypto/multi-fernet.ts";
import { hlcFromWallTime } from "../merge/hlc.ts";
import { stampWhole, type Json, type MergeRules, type Stamped } from "../merge/merge.ts";
import type { Clock } from "../ports.ts";

export interface SealInput {
  username: string;
  /** The document and version number the token is written as: its binding, with `username`. */
  doc: string;
  version: number;
  deviceId: string;
  stamped: Stamped;
  /** Hash of the token this write is based on (null for a document's first write). */
  base: string | null;
  counter: number;
  hlc: string;
  rules: MergeRules | undefined;
  compress: boolean;
  /** A change (`stamped.data` is then `{"writes": [...]}`) or a snapshot; absent for a whole version. */
  kind?: "change" | "snapshot";
}

/** An opened token: the envelope and the Fernet timestamp the writer's clock gave it (ms). */
export interface OpenedToken {
  envelope: Envelope;
  tokenTimeMs: number;
}

/** The envelope of a write, encrypted: the raw token bytes the Worker stores. */
export async function sealDocument(fernet: MultiFernet, clock: Clock, input: SealInput): Promise<Uint8Array> {
  const now = clock.now();
  const envelope: Envelope = {
    username: input.username,
    device_id: input.deviceId,
    timestamp: pythonTimestamp(now),
    data: input.stamped.data,
    sync: {
      v: 1,
      base: input.base,
      doc: input.doc,
      version: input.version,
      counter: input.counter,
      hlc: input.hlc,
      clocks: input.stamped.clocks,
    },
  };
  if (input.kind !== undefined) envelope.sync!.kind = input.kind;
  if (input.rules !== undefined && Object.keys(input.rules).length > 0) envelope.sync!.rules = input.rules;
  const plaintext = await encodeEnvelope(envelope, { compress: input.compress });
  return fernet.encrypt(plaintext, { now: Math.max(0, Math.floor(now / 1000)) });
}

/**
 * Decrypts and decodes a served token. A failed HMAC is `wrong_key`: the likely cause is a device
 * configured with a different FERNET_KEY (a token altered on the way fails the same way).
 */
export async function openDocument(
  fernet: MultiFernet,
  raw: Uint8Array,
  where: string,
  maxBytes: number = DEFAULT_MAX_DOCUMENT_BYTES,
): Promise<OpenedToken> {
  let plaintext: Uint8Array;
  try {
    // Another device's clock may run ahead; its skew is reported in status rather than refused here.
    plaintext = await fernet.decrypt(raw, { maxClockSkew: Infinity });
  } catch (error) {
    if (isSyncError(error, "invalid_token")) {
      throw new SyncError(
        "wrong_key",
        `${where} cannot be decrypted with this FERNET_KEY: it was most likely written with a different FERNET_KEY ` +
          "(every device of a user must use the same key), or it was altered. Nothing was merged.",
        { cause: error },
      );
    }
    throw error;
  }
  return { envelope: await decodeEnvelope(plaintext, maxBytes), tokenTimeMs: fernet.extractTimestamp(raw) * 1000 };
}

/**
 * The envelope's data with clocks. Ours carry per-path clocks; a Python device's upload carries
 * only its timestamp (local time, no offset, read in this device's zone), so it merges as a whole
 * at that time. If the timestamp is unreadable, the token's own Fernet timestamp (`tokenTimeMs`,
 * the writer's clock, under the MAC) stands in: never the server's storage time nor this device's
 * clock, which would let a server, or a replay, date old content as new.
 */
export function stampedFromEnvelope(envelope: Envelope, tokenTimeMs: number, rules: MergeRules | undefined): Stamped {
  if (envelope.sync !== undefined) return { data: envelope.data, clocks: envelope.sync.clocks };
  return wholeAt(envelope.data, parsePythonTimestamp(envelope.timestamp) ?? tokenTimeMs, envelope.device_id, rules);
}

/** The whole document as written at `ms` by `writer`: it replaces everything older, keys it lacks included. */
export function wholeAt(data: Json, ms: number, writer: string, rules: MergeRules | undefined): Stamped {
  const nodeId = /^[\x21-\x7e]{1,128}$/.test(writer) ? writer : "unknown";
  return stampWhole(data, hlcFromWallTime(ms, nodeId), rules);
}
