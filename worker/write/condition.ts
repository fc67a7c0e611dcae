/** The compare-and-swap condition of a write, and the 412 that names the current version when it fails. */
import { ApiError } from "../errors.ts";

/** A document version's ETag: `"<version>"`. */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/** The version an entity tag names (`"3"`, or a weak `W/"3"`); null for anything else. */
export function versionOfEtag(tag: string | undefined): number | null {
  const match = tag === undefined ? null : /^(?:W\/)?"([1-9]\d{0,11})"$/.exec(tag.trim());
  return match === null ? null : Number(match[1]);
}

export type VersionMatch = number | "*";

export interface WriteCondition {
  /** The version the writer based its change on, `*` for "any existing", null for none. */
  ifMatch: VersionMatch | null;
  /** `If-None-Match: *`: create only. */
  createOnly: boolean;
  /**
   * `X-Sync-Version`: the number the writer sealed inside its token (docs/PROTOCOL.md, "Inside the
   * token"). The body is opaque here, so the writer says which number it bound, and the write is
   * stored as exactly that version or not at all: a token never sits under a number it does not name.
   */
  version?: number;
}

export function preconditionFailed(current: number | null): ApiError {
  const message =
    current === null ? "the document does not exist" : `the document is at version ${current}; fetch it and retry`;
  return new ApiError(412, "precondition_failed", message, current === null ? {} : { ETag: etagOf(current) });
}

/**
 * The 412 for a writer that bound another number than the one it would get: `X-Sync-Next-Version`
 * tells it the number to seal (the only way a device learns where a document goes on after a
 * delete, whose tombstone took a number of its own).
 */
export function versionMismatch(current: number | null, next: number): ApiError {
  const stale = preconditionFailed(current);
  return new ApiError(412, "precondition_failed", `${stale.message}; this write would be version ${next}`, {
    ...stale.headers,
    "X-Sync-Next-Version": String(next),
  });
}

/** Throws 412 unless `current` satisfies the condition. */
export function checkCondition(condition: WriteCondition, current: number | null): void {
  if (condition.createOnly && current !== null) throw preconditionFailed(current);
  if (condition.ifMatch === "*" && current === null) throw preconditionFailed(null);
  if (typeof condition.ifMatch === "number" && condition.ifMatch !== current) throw preconditionFailed(current);
}
