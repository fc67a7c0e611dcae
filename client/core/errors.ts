/** The client's one error type. `code` is API: codes are added, never renamed. */

export type SyncErrorCode =
  // Fernet and keys
  | "invalid_key" // not a 32-byte URL-safe base64 Fernet key
  | "invalid_token" // not a Fernet token, or its HMAC fails (indistinguishable on purpose)
  | "token_expired" // older than the TTL asked for
  | "token_from_future" // stamped more than 60 s ahead
  | "wrong_key" // a stored document fails authentication: most likely a different FERNET_KEY
  // configuration and usage
  | "invalid_config"
  | "invalid_name"
  // server answers
  | "unauthorized"
  | "username_taken"
  | "claim_secret_required"
  | "forbidden"
  | "not_found"
  | "conflict" // compare-and-swap kept failing
  | "payload_too_large"
  | "quota_exceeded"
  | "rate_limited"
  | "server_error"
  | "bad_request"
  // transport
  | "network" // unreachable, timeout, 5xx: the change (if any) was queued
  // integrity of the history the server shows us
  | "rollback_detected" // the server served a version older than one we saw
  | "fork_detected" // two devices were shown diverging histories
  | "tamper_detected" // a token served where its binding (user, document, version) says it does not belong
  | "unverifiable_history" // an unbound token after versions that can no longer be checked (pruned or deleted)
  | "invalid_payload"; // decrypted, but not a sync envelope

export class SyncError extends Error {
  override readonly name = "SyncError";
  readonly code: SyncErrorCode;
  /** HTTP status, when the error is a server's answer. */
  readonly status: number | undefined;
  /** How long the server asked the client to wait before trying again (its `Retry-After`), in ms. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: SyncErrorCode,
    message: string,
    options: { cause?: unknown; status?: number; retryAfterMs?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function isSyncError(value: unknown, code?: SyncErrorCode): value is SyncError {
  return value instanceof SyncError && (code === undefined || value.code === code);
}

/** Errors that mean "the server was not reached or could not answer": the change goes to the offline queue. */
export function isTransientError(error: unknown): error is SyncError {
  return error instanceof SyncError && (error.code === "network" || error.code === "server_error");
}
