/** Python devices keep working: a Python client speaking CloudSyncManager's wire format (docs/PYTHON-DEVICES.md) against the Worker over real HTTP. */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { deriveAuthToken } from "../../client/core/crypto/credential.ts";
import { useWorkerServer } from "../support/use-worker-server.ts";

const SCRIPT = fileURLToPath(new URL("./legacy_client.py", import.meta.url));
const run = promisify(execFile);

const server = useWorkerServer();

interface Report {
  http_client: string;
  token_length: number;
  token_sha256: string;
  device_ids: string[];
  checks: Record<string, unknown>;
}

async function pythonClient(username: string, http: "requests" | "urllib", key: string): Promise<Report> {
  const { stdout } = await run("python3", [SCRIPT, server.url, username], {
    env: { ...process.env, LEGACY_CLIENT_HTTP: http, LEGACY_CLIENT_KEY: key },
    timeout: 60_000,
  });
  return JSON.parse(stdout) as Report;
}

describe("the Python client through CLOUD_SYNC_URL=<origin>/legacy/<token>", () => {
  for (const http of ["requests", "urllib"] as const) {
    it(`claims, uploads from two devices, downloads the latest and lists devices (${http})`, async () => {
      const key = `${randomBytes(32).toString("base64url")}=`;
      const report = await pythonClient(`py-${http}`, http, key);
      expect(report.http_client).toBe(http);
      expect(report.token_length).toBe(43);
      // Python's HKDF and ours derive the same credential from the same key and name.
      const ours = await deriveAuthToken(key, `py-${http}`);
      expect(report.token_sha256).toBe(createHash("sha256").update(ours).digest("hex"));
      const [desktop, laptop] = report.device_ids;
      expect(report.checks).toEqual({
        claim_status: 201,
        download_before_upload_status: 404,
        download_before_upload_is_none: true,
        uploads_ok: [true, true],
        upload_answer_keys: ["status", "timestamp"],
        upload_answer_status: "success",
        download_status: 200,
        download_answer_keys: ["device_id", "encrypted_data", "timestamp", "username"],
        download_device_id: laptop,
        download_username: `py-${http}`,
        download_payload: { preferences: { theme: "light" }, counter: 2 },
        download_payload_device_id: laptop,
        payload_timestamp_is_naive: true,
        devices_status: 200,
        device_ids_listed: [desktop, laptop].sort(),
        device_entry_keys: ["device_id", "last_sync"],
        wrong_token_status: 401,
        wrong_token_error: "unauthorized",
        wrong_token_upload_ok: false,
        wrong_token_upload_status: 401,
      });
    });
  }
});
