/**
 * What the Worker has stored, as comparable text: every R2 object (key, SHA-256 of its bytes, size,
 * metadata) and every KV key (value and metadata), so a test can assert that requests left storage
 * byte-identical. Everything by default; only some users' keys when their names are given.
 */
import { env } from "cloudflare:workers";
import { hexEncode } from "../../../client/core/protocol/encoding.ts";

async function sha256(bytes: ArrayBuffer): Promise<string> {
  return hexEncode(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

export async function storageSnapshot(users?: readonly string[]): Promise<string[]> {
  if (users !== undefined) return (await Promise.all(users.map((u) => snapshotOf(`users/${u}/`, `${u}/`)))).flat();
  return snapshotOf(undefined, undefined);
}

async function snapshotOf(r2Prefix: string | undefined, kvPrefix: string | undefined): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.BLOBS.list({
      include: ["customMetadata", "httpMetadata"],
      ...(r2Prefix === undefined ? {} : { prefix: r2Prefix }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const listed of page.objects) {
      const obj = await env.BLOBS.get(listed.key);
      const hash = obj === null ? "gone" : await sha256(await obj.arrayBuffer());
      out.push(
        `r2 ${listed.key} ${listed.size} ${hash} ${JSON.stringify(listed.customMetadata)} ${JSON.stringify(listed.httpMetadata)}`,
      );
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor !== undefined);
  let kvCursor: string | undefined;
  do {
    const page = await env.DEVICES.list({
      ...(kvPrefix === undefined ? {} : { prefix: kvPrefix }),
      ...(kvCursor === undefined ? {} : { cursor: kvCursor }),
    });
    for (const key of page.keys) {
      out.push(`kv ${key.name} ${await env.DEVICES.get(key.name)} ${JSON.stringify(key.metadata)}`);
    }
    kvCursor = page.list_complete ? undefined : page.cursor;
  } while (kvCursor !== undefined);
  return out;
}
