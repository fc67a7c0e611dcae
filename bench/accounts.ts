/** Bench users: a Fernet key per user, the credential a device derives from it, and the claim a first device makes. */

import { deriveAuthToken } from "../client/core/crypto/credential.ts";
import { Fernet } from "../client/core/crypto/fernet.ts";
import { generateKey } from "../client/core/crypto/fernet-key.ts";
import { nodeCryptoBackend } from "../client/node/crypto-backend.ts";

export interface BenchAccount {
  username: string;
  deviceId: string;
  /** The user's Fernet key (FERNET_KEY), as every device of the user holds it. */
  key: string;
  fernet: Fernet;
  /** Bearer token (docs/PROTOCOL.md, "Credential"). */
  token: string;
  /** Authorization and X-Device-Id, as our client sends them. */
  headers: Record<string, string>;
}

/** Derives a user's credential from a fresh key and claims the name with `PUT /v1/users/:u`. */
export async function createAccount(
  origin: string,
  username: string,
  deviceId = "bench-device-a",
): Promise<BenchAccount> {
  const key = generateKey();
  const token = await deriveAuthToken(key, username);
  const fernet = await Fernet.create(key, { backend: nodeCryptoBackend });
  const headers = { authorization: `Bearer ${token}`, "x-device-id": deviceId };
  const res = await fetch(`${origin}/v1/users/${username}`, { method: "PUT", headers });
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`claiming ${username} answered ${res.status}: ${await res.text()}`);
  return { username, deviceId, key, fernet, token, headers };
}

/** The same account as seen from another of the user's devices (same key, so the same credential). */
export function onDevice(account: BenchAccount, deviceId: string): BenchAccount {
  return { ...account, deviceId, headers: { ...account.headers, "x-device-id": deviceId } };
}

/** Writes a document's raw token bytes with `PUT` (unconditional) and checks the answer. */
export async function putDocument(
  origin: string,
  account: BenchAccount,
  doc: string,
  token: Uint8Array,
): Promise<{ version: number }> {
  const res = await fetch(`${origin}/v1/users/${account.username}/docs/${doc}`, {
    method: "PUT",
    headers: { ...account.headers, "content-type": "application/octet-stream" },
    body: token as Uint8Array<ArrayBuffer>,
  });
  if (res.status !== 200 && res.status !== 201)
    throw new Error(`PUT ${doc} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { version: number };
}
