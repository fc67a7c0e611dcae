/**
 * The conditional headers (`If-Match`, `If-None-Match`) that refer to document versions, and the
 * version a writer bound inside its token (`X-Sync-Version`), parsed into a write condition.
 */
import { ApiError } from "../errors.ts";
import { versionOfEtag, type VersionMatch, type WriteCondition } from "../write/condition.ts";

/** Parses one entity tag (`"5"`, `W/"5"` or `*`); null when absent; 400 when malformed. */
export function parseVersionTag(header: string | undefined, name: string): VersionMatch | null {
  if (header === undefined) return null;
  const value = header.trim();
  if (value === "*") return "*";
  const version = versionOfEtag(value);
  if (version === null) throw new ApiError(400, "bad_request", `${name} must be "*" or one entity tag like "3"`);
  return version;
}

export function writeCondition(
  ifMatch: string | undefined,
  ifNoneMatch: string | undefined,
  syncVersion?: string,
): WriteCondition {
  const none = parseVersionTag(ifNoneMatch, "If-None-Match");
  if (none !== null && none !== "*") throw new ApiError(400, "bad_request", 'If-None-Match on a write must be "*"');
  const condition: WriteCondition = { ifMatch: parseVersionTag(ifMatch, "If-Match"), createOnly: none === "*" };
  if (syncVersion !== undefined) {
    const match = /^[1-9]\d{0,11}$/.exec(syncVersion.trim());
    if (match === null) throw new ApiError(400, "bad_request", "X-Sync-Version must be a version number like 3");
    condition.version = Number(match[0]);
  }
  return condition;
}
