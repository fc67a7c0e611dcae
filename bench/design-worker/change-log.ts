/**
 * The change log of the design bench (bench/design.ts) in pure pieces: how a user's changes are
 * keyed in R2, how an answer to "everything after my cursor" is framed, how many R2 calls run at
 * once, and which R2 operation class each call is billed as. Shared by the bench Worker (workerd) and the bench itself (Node), so Web APIs only.
 */

/** One change as the log holds it: its place in the user's sequence, its document, its opaque bytes. */
export interface Change {
  seq: number;
  doc: string;
  body: Uint8Array;
}

/** Sequence numbers are zero-padded to this many digits so that R2's lexicographic order is numeric. */
export const SEQ_DIGITS = 12;
const MAX_SEQ = 10 ** SEQ_DIGITS - 1;
// Above every character a document name may hold ([a-z0-9._-]) and the "/" before it.
const AFTER_EVERY_DOC = "~";

/** The prefix under which one user's changes are stored, oldest first. */
export function changePrefix(user: string): string {
  return `u/${user}/c/`;
}

/** The R2 key of change `seq` of `doc`: the document rides in the key, so a listing alone names it. */
export function changeKey(user: string, seq: number, doc: string): string {
  if (!Number.isInteger(seq) || seq < 1 || seq > MAX_SEQ) throw new RangeError(`sequence out of range: ${seq}`);
  return `${changePrefix(user)}${String(seq).padStart(SEQ_DIGITS, "0")}/${doc}`;
}

/** The `startAfter` of a listing that returns exactly the changes after `cursor` (0: all of them). */
export function listStartAfter(user: string, cursor: number): string {
  if (!Number.isInteger(cursor) || cursor < 0 || cursor > MAX_SEQ)
    throw new RangeError(`cursor out of range: ${cursor}`);
  return `${changePrefix(user)}${String(cursor).padStart(SEQ_DIGITS, "0")}${AFTER_EVERY_DOC}`;
}

/** The sequence number and document a key names, or null for a key that is not a change. */
export function parseChangeKey(user: string, key: string): { seq: number; doc: string } | null {
  const prefix = changePrefix(user);
  if (!key.startsWith(prefix)) return null;
  const rest = key.slice(prefix.length);
  const slash = rest.indexOf("/");
  if (slash !== SEQ_DIGITS || !/^\d+$/.test(rest.slice(0, slash))) return null;
  const doc = rest.slice(slash + 1);
  return doc === "" ? null : { seq: Number(rest.slice(0, slash)), doc };
}

const HEADER_BYTES = 4 + 1 + 4;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** The framed size of one change: u32 seq, u8 doc length, doc, u32 body length, body. */
export function frameSize(doc: string, bodyBytes: number): number {
  return HEADER_BYTES + encoder.encode(doc).length + bodyBytes;
}

/** Concatenates changes, each length-prefixed (big-endian), in the order given. */
export function encodeFrames(changes: readonly Change[]): Uint8Array<ArrayBuffer> {
  const docs = changes.map((c) => encoder.encode(c.doc));
  const total = changes.reduce((sum, c, i) => sum + HEADER_BYTES + docs[i]!.length + c.body.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  changes.forEach((change, i) => {
    const doc = docs[i]!;
    if (doc.length > 255) throw new RangeError("document name longer than 255 bytes");
    view.setUint32(at, change.seq);
    view.setUint8(at + 4, doc.length);
    out.set(doc, at + 5);
    at += 5 + doc.length;
    view.setUint32(at, change.body.length);
    out.set(change.body, at + 4);
    at += 4 + change.body.length;
  });
  return out;
}

/** The changes `encodeFrames` wrote; a truncated or overlong frame is an error, never a partial answer. */
export function decodeFrames(bytes: Uint8Array): Change[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const changes: Change[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 5 > bytes.length) throw new RangeError(`truncated frame header at byte ${at}`);
    const seq = view.getUint32(at);
    const docLength = view.getUint8(at + 4);
    const docEnd = at + 5 + docLength;
    if (docEnd + 4 > bytes.length) throw new RangeError(`truncated frame at byte ${at}`);
    const doc = decoder.decode(bytes.subarray(at + 5, docEnd));
    const bodyLength = view.getUint32(docEnd);
    const bodyEnd = docEnd + 4 + bodyLength;
    if (bodyEnd > bytes.length) throw new RangeError(`truncated frame body at byte ${at}`);
    changes.push({ seq, doc, body: bytes.slice(docEnd + 4, bodyEnd) });
    at = bodyEnd;
  }
  return changes;
}

/**
 * A Worker invocation keeps at most 6 outgoing connections open at once, R2 calls included
 * (developers.cloudflare.com/workers/platform/limits: "Simultaneous outgoing connections/request"),
 * so a reader fetching many changes runs this many gets at a time, never all of them.
 */
export const MAX_OPEN_CONNECTIONS = 6;

/** `fn` over every item, at most `limit` at a time, results in the items' order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer: ${limit}`);
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * R2's billing classes (developers.cloudflare.com/r2/pricing): Class A are the mutating and
 * listing calls, Class B the reads. `delete` is free.
 */
export type R2Call = "list" | "put" | "get" | "head" | "delete";
export const R2_CLASS: Readonly<Record<R2Call, "A" | "B" | "free">> = {
  list: "A",
  put: "A",
  get: "B",
  head: "B",
  delete: "free",
};

export interface R2OpCounts {
  classA: number;
  classB: number;
}

/** How many Class A and Class B operations a sequence of R2 calls is billed as. */
export function countR2Ops(calls: readonly R2Call[]): R2OpCounts {
  let classA = 0;
  let classB = 0;
  for (const call of calls) {
    if (R2_CLASS[call] === "A") classA++;
    else if (R2_CLASS[call] === "B") classB++;
  }
  return { classA, classB };
}
