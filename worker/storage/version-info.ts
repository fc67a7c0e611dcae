/** What is known of one stored document version without reading its bytes. */
export interface VersionInfo {
  doc: string;
  version: number;
  size: number;
  /** ISO-8601 UTC time of the write. */
  updatedAt: string;
  deviceId: string;
  /** R2's ETag of the object (its content's MD5): with the key, names these exact bytes. */
  contentTag: string;
  /**
   * Present on a change entry, which holds only the registers one edit wrote (never a whole
   * document); "folded" on a whole version whose content was dropped because a later snapshot and
   * the undo the changes between carry rebuild it (docs/PROTOCOL.md "Retention").
   */
  kind?: "change" | "folded";
}
