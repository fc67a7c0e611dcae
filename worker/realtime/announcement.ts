/** The one message the live channel carries: a new document version exists (never its data). */

export interface VersionAnnouncement {
  doc: string;
  version: number;
  device_id: string;
  updated_at: string;
  /** The entry's sequence number and kind (worker/changes/): a device whose cursor is seq - 1 knows it missed nothing else. */
  seq?: number;
  kind?: "whole" | "change" | "tombstone";
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
    ...(a.seq === undefined ? {} : { seq: a.seq }),
    ...(a.kind === undefined ? {} : { kind: a.kind }),
  });
}
