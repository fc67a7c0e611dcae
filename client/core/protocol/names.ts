// client/core/protocol/: what the Worker and the client share: name rules, byte codecs, a Fernet token's shape.
/**
 * Name rules of docs/PROTOCOL.md ("Names"), checked on the device before a name reaches a URL or a
 * store key. The patterns are the one source of them: the Worker validates requests with these too.
 */
import { SyncError } from "../errors.ts";

// The look-ahead forbids "..", so no name can climb out of a URL path, a store folder or a storage prefix.
export const USERNAME_PATTERN = /^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;
export const DEVICE_ID_PATTERN = /^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const DOC_NAME_PATTERN = /^(?!.*\.\.)[a-z0-9][a-z0-9._-]{0,63}$/;

/** The document the legacy routes (and so the Python module) read and write. */
export const DEFAULT_DOC = "default";

export function isUsername(value: unknown): value is string {
  return typeof value === "string" && USERNAME_PATTERN.test(value);
}

export function isDeviceId(value: unknown): value is string {
  return typeof value === "string" && DEVICE_ID_PATTERN.test(value);
}

export function isDocName(value: unknown): value is string {
  return typeof value === "string" && DOC_NAME_PATTERN.test(value);
}

/** Throws SyncError `invalid_name` unless `value` is a valid username. */
export function checkUsername(value: unknown): string {
  if (!isUsername(value)) {
    throw new SyncError(
      "invalid_name",
      `Invalid username ${JSON.stringify(value)}: use 1-64 characters from A-Z a-z 0-9 . _ @ + -, starting with a letter or digit, without "..".`,
    );
  }
  return value;
}

/** Throws SyncError `invalid_name` unless `value` is a valid document name. */
export function checkDocName(value: unknown): string {
  if (!isDocName(value)) {
    throw new SyncError(
      "invalid_name",
      `Invalid document name ${JSON.stringify(value)}: use 1-64 characters from a-z 0-9 . _ -, starting with a letter or digit, without "..".`,
    );
  }
  return value;
}

/** Throws SyncError `invalid_name` unless `value` is a valid device id. */
export function checkDeviceId(value: unknown): string {
  if (!isDeviceId(value)) {
    throw new SyncError(
      "invalid_name",
      `Invalid device id ${JSON.stringify(value)}: use 1-64 characters from A-Z a-z 0-9 . _ -, starting with a letter or digit, without "..".`,
    );
  }
  return value;
}
