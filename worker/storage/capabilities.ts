/**
 * The capability index in R2: `capabilities/<sha256 hex of the token>` → `{"username"}`, so a
 * `/legacy/<token>` URL names its account by its path alone, before any body is read. The account
 * record stays the authority (its `capability_hash` must match), so an entry left behind by a
 * rotation or deletion that failed halfway opens nothing.
 */
import { guard } from "./unavailable.ts";

function indexKey(hash: string): string {
  return `capabilities/${hash}`;
}

/** The username a capability token's hash was issued for, or null. */
export async function capabilityOwner(bucket: R2Bucket, hash: string): Promise<string | null> {
  return guard("capability.read", async () => {
    const obj = await bucket.get(indexKey(hash));
    return obj === null ? null : ((await obj.json()) as { username: string }).username;
  });
}

export async function putCapability(bucket: R2Bucket, hash: string, username: string): Promise<void> {
  await guard("capability.put", () =>
    bucket.put(indexKey(hash), JSON.stringify({ username }), { httpMetadata: { contentType: "application/json" } }),
  );
}

export async function deleteCapability(bucket: R2Bucket, hash: string): Promise<void> {
  await guard("capability.delete", () => bucket.delete(indexKey(hash)));
}
