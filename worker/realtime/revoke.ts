/**
 * Ends live sockets when what opened them no longer holds: the account's hub (its space's) closes
 * the sockets of a replaced credential, of a deleted account, or of a removed device, at once.
 */
import type { Env } from "../config.ts";
import type { Account } from "../storage/accounts.ts";

function hubOf(env: Env, account: Account) {
  return env.USER_HUB.get(env.USER_HUB.idFromName(account.space));
}

/**
 * Closes the sockets opened with the account's routine credential (`account` as it was before the
 * change) and refuses it from now on, while `next` (the new credential's hash) opens sockets; with
 * `ended`, every socket, for good (deletion).
 * A hub that cannot be reached is logged: the change stands, and its sockets hear nothing more
 * once their devices reconnect (they are refused) or the hub next closes them.
 */
export async function endLiveSockets(env: Env, account: Account, next: { tokenHash: string } | "ended"): Promise<void> {
  try {
    const hub = hubOf(env, account);
    await (next === "ended" ? hub.revoke(null) : hub.revoke(account.tokenHash, next.tokenHash));
  } catch (err) {
    console.error("live revoke failed", err instanceof Error ? err.message : String(err));
  }
}

/** Closes the live sockets of a device removed from the registry. */
export async function closeDeviceSockets(env: Env, account: Account, deviceId: string): Promise<void> {
  try {
    await hubOf(env, account).closeDevice(deviceId);
  } catch (err) {
    console.error("live device close failed", err instanceof Error ? err.message : String(err));
  }
}
