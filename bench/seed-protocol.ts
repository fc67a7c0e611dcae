/**
 * The wire protocol of the Python `CloudSyncManager` (docs/PYTHON-DEVICES.md, "On the wire"): the envelope as `json.dumps` writes it, a Fernet token's ASCII text, hex of that text
 * inside a JSON body. The wire.* rows measure it against ours.
 */

import { pythonTimestamp } from "../client/core/wire/envelope.ts";
import { hexEncode, utf8Encode } from "../client/core/protocol/encoding.ts";
import type { BenchAccount } from "./accounts.ts";

/**
 * `json.dumps(value)` with Python's defaults: `", "` and `": "` separators, ASCII escapes.
 * Numbers follow JavaScript's shortest form; Python would write a float such as 1.0 with its
 * fraction, a byte or two that does not change the comparison.
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || typeof value !== "object") return asciiJson(value);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(", ")}]`;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) parts.push(`${asciiJson(k)}: ${pythonJsonDumps(v)}`);
  }
  return `{${parts.join(", ")}}`;
}

function asciiJson(value: unknown): string {
  // ensure_ascii=True: everything past U+007F becomes \uXXXX (surrogate pairs as two escapes).
  return JSON.stringify(value).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** `sync_upload`: POST /upload with `{"username", "device_id", "encrypted_data": hex(token text)}`. */
export async function seedUpload(origin: string, account: BenchAccount, data: unknown): Promise<void> {
  const envelope = {
    username: account.username,
    device_id: account.deviceId,
    timestamp: pythonTimestamp(Date.now()),
    data,
  };
  const token = await account.fernet.encryptToString(pythonJsonDumps(envelope));
  const body = pythonJsonDumps({
    username: account.username,
    device_id: account.deviceId,
    encrypted_data: hexEncode(utf8Encode(token)),
  });
  const res = await fetch(`${origin}/legacy/${account.token}/upload`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  if (res.status !== 200) throw new Error(`seed upload answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

/** `sync_download`: GET /download, then the token's hex is decoded and decrypted on the device. */
export async function seedDownload(origin: string, account: BenchAccount): Promise<void> {
  const query = new URLSearchParams({ username: account.username, device_id: account.deviceId });
  const res = await fetch(`${origin}/legacy/${account.token}/download?${query}`);
  if (res.status !== 200) throw new Error(`seed download answered ${res.status}: ${await res.text()}`);
  const { encrypted_data } = (await res.json()) as { encrypted_data: string };
  await account.fernet.decrypt(Buffer.from(encrypted_data, "hex").toString("ascii"));
}
