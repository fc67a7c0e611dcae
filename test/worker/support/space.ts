/**
 * Where a user's documents, devices and live hub live (worker/storage/accounts.ts): the account's
 * space, `<username>/<incarnation>` for an account of this release, read from its record.
 */
import { env } from "cloudflare:workers";

export async function spaceOf(user: string): Promise<string> {
  const record = await env.BLOBS.get(`users/${user}/account.json`);
  if (record === null) throw new Error(`${user} has no account`);
  const { incarnation } = (await record.json()) as { incarnation?: string };
  return incarnation === undefined ? user : `${user}/${incarnation}`;
}

/** The R2 prefix of a user's documents: `users/<space>/docs/`. */
export async function docsPrefixOf(user: string): Promise<string> {
  return `users/${await spaceOf(user)}/docs/`;
}
