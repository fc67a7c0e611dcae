/**
 * Data as the previous release wrote it, for upgrade-in-place tests: an account record without
 * incarnation, admin hash or capability fields, and versions under `users/<username>/docs/`.
 */
import { env } from "cloudflare:workers";
import { hashToken } from "../../../worker/auth/token-hash.ts";

/** Stores a previous-release account record for `user` whose routine token is `token`. */
export async function previousReleaseAccount(user: string, token: string): Promise<void> {
  await env.BLOBS.put(
    `users/${user}/account.json`,
    JSON.stringify({ token_hash: await hashToken(token), created_at: "2026-01-01T00:00:00.000Z" }),
  );
}

/** The R2 key of a version of a previous-release account's document (worker/storage/document-keys.ts). */
export function previousReleaseKey(user: string, doc: string, version: number): string {
  return `users/${user}/docs/${doc}/v/${String(10 ** 12 - version).padStart(12, "0")}`;
}
