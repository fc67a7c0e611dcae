/** The compare-and-swap condition of a write, and the 412 that names the current version when it fails. */
import { ApiError } from "../errors.ts";

/** A document version's ETag: `"<version>"`. */
export function etagOf(version: number): string {
  return `"${version}"`;
}

export type VersionMatch = number | "*";

export interface WriteCondition {
  /** The version the writer based its change on, `*` for "any existing", null for none. */
  ifMatch: VersionMatch | null;
  /** `If-None-Match: *`: create only. */
  createOnly: boolean;
}

export function preconditionFailed(current: number | null): ApiError {
  const message =
    current === null ? "the document does not exist" : `the document is at version ${current}; fetch it and retry`;
  return new ApiError(412, "precondition_failed", message, current === null ? {} : { ETag: etagOf(current) });
}

/** Throws 412 unless `current` satisfies the condition. */
export function checkCondition(condition: WriteCondition, current: number | null): void {
  if (condition.createOnly && current !== null) throw preconditionFailed(current);
  if (condition.ifMatch === "*" && current === null) throw preconditionFailed(null);
  if (typeof condition.ifMatch === "number" && condition.ifMatch !== current) throw preconditionFailed(current);
}
