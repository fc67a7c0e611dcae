/** The SyncError a promise rejects with, for tests that then assert its code and message. */
import { expect } from "vitest";
import { SyncError } from "../../client/core/errors.ts";

/** Awaits `promise`, expects it to reject with a SyncError, and returns that error. */
export async function failure(promise: Promise<unknown>): Promise<SyncError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SyncError);
  return error as SyncError;
}
