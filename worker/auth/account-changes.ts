/**
 * What only the admin credential may do to an account (auth/admin.ts): replace its credentials,
 * delete it, remove a device. Each takes the account as the admin route verified it, and closes
 * the live sockets that change leaves without a credential (realtime/revoke.ts).
 */
import type { AppContext } from "../context.ts";
import { ApiError } from "../errors.ts";
import { type Account, deleteAccountRecord, updateAccount } from "../storage/accounts.ts";
import { removeAllDevices, removeDevice } from "../storage/devices.ts";
import { docsPrefix } from "../storage/document-keys.ts";
import { deletePrefix } from "../storage/documents.ts";
import { forgetUsage } from "../write/quota.ts";
import { forgetAccount, rememberAccount } from "./account-cache.ts";
import { closeDeviceSockets, endLiveSockets } from "../realtime/revoke.ts";
import { dropIndexEntry } from "./capability.ts";

/**
 * Replaces the routine token (and the admin token when a new hash is given), as a key rotation
 * does. Everything derived from the old key stops at once: the capability URL is revoked (the
 * owner issues a new one with the new key), and a previous-release account's routine-token URL
 * closes for good. Conditional on the verified record: 412 when it changed meanwhile.
 */
export async function replaceCredentials(
  c: AppContext,
  account: Account,
  next: { tokenHash: string; adminHash: string | null },
): Promise<Account> {
  const replaced = await updateAccount(c.env.BLOBS, account, {
    tokenHash: next.tokenHash,
    ...(next.adminHash === null ? {} : { adminHash: next.adminHash }),
    capabilityHash: null,
    capabilityGeneration: account.capabilityGeneration ?? 0,
  });
  forgetAccount(c.env.BLOBS, account.username);
  if (replaced === null)
    throw new ApiError(412, "precondition_failed", "the credential was changed meanwhile; authenticate again");
  rememberAccount(c.env.BLOBS, replaced, Date.now(), c.var.config.authCacheMs);
  await Promise.all([dropIndexEntry(c, account.capabilityHash), endLiveSockets(c.env, account, replaced)]);
  return replaced;
}

/** Deletes every document, version and device, then the record (last: a failure midway can be retried). */
export async function deleteAccount(c: AppContext, account: Account): Promise<void> {
  await deletePrefix(c.env.BLOBS, docsPrefix(account.space));
  await removeAllDevices(c.env.DEVICES, account.space);
  await deleteAccountRecord(c.env.BLOBS, account.username);
  forgetAccount(c.env.BLOBS, account.username);
  forgetUsage(c.env, account.space);
  await Promise.all([dropIndexEntry(c, account.capabilityHash), endLiveSockets(c.env, account, "ended")]);
}

/** Removes a device from the registry; 404 when it is not there. */
export async function removeDeviceOf(c: AppContext, account: Account, deviceId: string): Promise<void> {
  const existed = await removeDevice(c.env.DEVICES, account.space, deviceId);
  // Closed even when the registry had no record (it lags by up to a minute): the socket may be open.
  await closeDeviceSockets(c.env, account, deviceId);
  if (!existed) throw new ApiError(404, "not_found", "no such device");
}
