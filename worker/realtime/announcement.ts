/** The one message the live channel carries: a new document version exists (never its data). */
import type { VersionInfo } from "../storage/version-info.ts";

export interface VersionAnnouncement {
  doc: string;
  version: number;
  device_id: string;
  updated_at: string;
}

/** What is announced of a stored version: its name, number, writer and time, nothing more. */
export function announcementOf(info: VersionInfo): VersionAnnouncement {
  return { doc: info.doc, version: info.version, device_id: info.deviceId, updated_at: info.updatedAt };
}

/**
 * The wire form of an announcement (PROTOCOL.md, `GET /v1/users/:u/live`). Fields are copied one
 * by one so nothing a caller attaches by accident (sizes, etags, bytes) can ride along.
 */
export function encodeAnnouncement(a: VersionAnnouncement): string {
  return JSON.stringify({
    type: "version",
    doc: a.doc,
    version: a.version,
    device_id: a.device_id,
    updated_at: a.updated_at,
  });
}
