/** Turns a failing storage binding (R2 or KV throwing) into one domain error, which the HTTP layer answers as 503. */

/** Seconds a client should wait before retrying after a storage failure. */
export const STORAGE_RETRY_AFTER_SECONDS = 5;

/** A binding call failed: the platform's fault, not the caller's input. Nothing was changed by it. */
export class StorageUnavailableError extends Error {
  override readonly name = "StorageUnavailableError";
  constructor(
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super(`storage is temporarily unavailable (${operation})`, options);
  }
}

/**
 * Awaits one binding call. Any rejection is the platform's, not the caller's input, so it becomes
 * StorageUnavailableError; the cause is logged for the operator.
 */
export async function guard<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof StorageUnavailableError) throw err;
    console.error("storage_unavailable", operation, err);
    throw new StorageUnavailableError(operation, { cause: err });
  }
}
