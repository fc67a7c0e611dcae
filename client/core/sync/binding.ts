/**
 * The binding check. Every token this client writes names, inside its ciphertext, the user,
 * document and version number it was written as (docs/PROTOCOL.md, "Inside the token"); a reader
 * refuses a token served anywhere else, so a server (or anyone holding only the bearer token)
 * cannot pass off an old version as the current one, or one document's data as another's.
 */
import { SyncError } from "../errors.ts";
import { DEFAULT_DOC } from "../protocol/names.ts";
import type { Envelope } from "../wire/envelope.ts";

/** Where a token was served: the user, document and version number the server says it is. */
export interface Place {
  username: string;
  doc: string;
  version: number;
  /** What the server served it as (a changes frame says); unchecked when absent (a history walk). */
  kind?: "whole" | "change" | "snapshot";
}

/**
 * What a token can vouch for about its own place: `bound` (ours: user, document and version),
 * `unbound` (ours, written by the previous release: the user only, and the hash of its predecessor),
 * or `python` (the Python module's envelope: the user only, and no predecessor at all).
 */
export type TokenKind = "bound" | "unbound" | "python";

export function tokenKind(envelope: Envelope): TokenKind {
  if (envelope.sync === undefined) return "python";
  return envelope.sync.doc !== undefined && envelope.sync.version !== undefined ? "bound" : "unbound";
}

/**
 * Throws SyncError `tamper_detected` when the token says it belongs elsewhere than `place`: another
 * user (every envelope names one, the Python module's too), another document or version (a bound
 * token), or a document other than `default` for a Python envelope (the Python module writes only
 * `default`, so its envelope anywhere else was moved there). Returns the token's kind.
 *
 * A Python envelope cannot carry a document or version it does not write: under `default` it is
 * taken on its username alone, and a replay of an older Python upload of the same user's `default`
 * cannot be told from a new one. It merges as a whole at its own timestamp, so a replay never
 * outdates anything written after it.
 */
export function checkBinding(envelope: Envelope, place: Place, where: string): TokenKind {
  const kind = tokenKind(envelope);
  const sync = envelope.sync;
  const says =
    kind === "bound"
      ? `${sync?.kind ?? "version"} ${sync?.version} of document "${sync?.doc}" of ${envelope.username}`
      : `a token of ${envelope.username}${kind === "python" ? ' written by the Python module (document "default" only)' : ""}`;
  const elsewhere =
    envelope.username !== place.username ||
    (kind === "bound" && (sync?.doc !== place.doc || sync?.version !== place.version)) ||
    (place.kind !== undefined && (sync?.kind ?? "whole") !== place.kind) ||
    (kind === "python" && place.doc !== DEFAULT_DOC);
  if (elsewhere) {
    throw new SyncError(
      "tamper_detected",
      `The server served ${where} as version ${place.version}, but the token says it is ${says}: ` +
        "a token was moved or copied to where it does not belong. Nothing was merged.",
    );
  }
  return kind;
}
