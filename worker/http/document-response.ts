// worker/http/: HTTP details the routes share: token bodies, conditional headers, body limit, `Date`, 405s.
/** How a stored version appears on the wire: its JSON description and its raw-bytes answer with sync headers. */
import type { VersionInfo } from "../storage/version-info.ts";
import { etagOf } from "../write/condition.ts";

export function versionJson(info: VersionInfo) {
  return {
    version: info.version,
    etag: etagOf(info.version),
    size: info.size,
    updated_at: info.updatedAt,
    device_id: info.deviceId,
  };
}

export function documentJson(info: VersionInfo) {
  return { name: info.doc, ...versionJson(info) };
}

export function versionHeaders(info: VersionInfo): Record<string, string> {
  return {
    // With an ETag and Last-Modified, a browser would otherwise reuse a read without asking.
    "Cache-Control": "no-cache",
    ETag: etagOf(info.version),
    "X-Sync-Version": String(info.version),
    "X-Sync-Device": info.deviceId,
    "Last-Modified": new Date(info.updatedAt).toUTCString(),
  };
}

/** The raw token bytes of one version (`application/octet-stream`). */
export function tokenBytesResponse(info: VersionInfo, body: ReadableStream | Uint8Array): Response {
  return new Response(body, {
    status: 200,
    headers: {
      "Content-Type": "application/octet-stream",
      "Content-Length": String(info.size),
      ...versionHeaders(info),
    },
  });
}
