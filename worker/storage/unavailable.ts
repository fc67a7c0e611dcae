/** Turns a failing storage binding (R2 or KV throwing) into 503 `unavailable`, never a 500 or a partial answer. */
import { ApiError } from "../errors.ts";

/** Seconds a client should wait before retrying after a storage failure. */
export const STORAGE_RETRY_AFTER_SECONDS = 5;

export function storageUnavailable(): ApiError {
  return new ApiError(503, "unavailable", "storage is temporarily unavailable; retry later", {
    "Retry-After": String(STORAGE_RETRY_AFTER_SECONDS),
  });
}

/**
 * Awaits one binding call. Any rejection is the platform's, not the caller's input, so it becomes
 * 503 with Retry-After; the cause is logged for the operator.
 */
export async function guard<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    console.error("storage_unavailable", operation, err);
    throw storageUnavailable();
  }
}
