/**
 * The CLI's exit codes (docs/CLI.md, "Exit codes") and which failure gets which: one exhaustive
 * switch over the client's error codes, so a new code cannot be added without choosing its exit.
 */
import { SyncError, type SyncErrorCode } from "../core/index.ts";

export const EXIT = {
  ok: 0,
  /** A bug: anything that is not a SyncError. */
  internal: 1,
  /** Usage or configuration: unknown command or flag, missing CLOUD_SYNC_URL or FERNET_KEY, bad JSON file. */
  usage: 2,
  /** Wrong key, or data failing authentication or integrity checks. */
  authentication: 3,
  /** Server unreachable or unavailable; a change, if any, is queued. */
  unavailable: 4,
  /** Refused by the server: credential, name taken, quota. */
  refused: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export function exitCodeFor(error: unknown): ExitCode {
  return error instanceof SyncError ? exitCodeForCode(error.code) : EXIT.internal;
}

export function exitCodeForCode(code: SyncErrorCode): ExitCode {
  switch (code) {
    case "invalid_config":
    case "invalid_name":
    case "invalid_key":
      return EXIT.usage;
    case "wrong_key":
    case "invalid_token":
    case "token_expired":
    case "token_from_future":
    case "invalid_payload":
    case "rollback_detected":
    case "fork_detected":
    case "tamper_detected":
    case "unverifiable_history":
      return EXIT.authentication;
    case "network":
    case "server_error":
    // Both pass with time: too many requests, or a compare-and-swap that kept losing to other writers.
    case "rate_limited":
    case "conflict":
      return EXIT.unavailable;
    case "unauthorized":
    case "username_taken":
    case "claim_secret_required":
    case "forbidden":
    case "not_found":
    case "payload_too_large":
    case "quota_exceeded":
    case "bad_request":
      return EXIT.refused;
    default: {
      const unhandled: never = code;
      return unhandled;
    }
  }
}
