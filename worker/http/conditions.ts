/** ETags of document versions (`"<version>"`) and the conditional headers that refer to them. */
import { ApiError } from "../errors.ts";

export function etagOf(version: number): string {
  return `"${version}"`;
}

export type VersionMatch = number | "*";

/** Parses one entity tag (`"5"`, `W/"5"` or `*`); null when absent; 400 when malformed. */
export function parseVersionTag(header: string | undefined, name: string): VersionMatch | null {
  if (header === undefined) return null;
  const value = header.trim();
  if (value === "*") return "*";
  const match = /^(?:W\/)?"([1-9]\d{0,11})"$/.exec(value);
  if (match === null) throw new ApiError(400, "bad_request", `${name} must be "*" or one entity tag like "3"`);
  return Number(match[1]);
}

export interface WriteCondition {
  /** The version the writer based its change on, `*` for "any existing", null for none. */
  ifMatch: VersionMatch | null;
  /** `If-None-Match: *`: create only. */
  createOnly: boolean;
}

export function writeCondition(ifMatch: string | undefined, ifNoneMatch: string | undefined): WriteCondition {
  const none = parseVersionTag(ifNoneMatch, "If-None-Match");
  if (none !== null && none !== "*") throw new ApiError(400, "bad_request", 'If-None-Match on a write must be "*"');
  return { ifMatch: parseVersionTag(ifMatch, "If-Match"), createOnly: none === "*" };
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
