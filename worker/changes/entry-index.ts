// worker/changes/: the account's index of entries (sequence numbers, cursors, snapshots, compaction), kept by its hub.
/**
 * The account's entries in the hub's SQLite (docs/PROTOCOL.md "Incremental sync"). R2 holds every
 * entry's token (its create-only put is the compare-and-swap); this index gives each stored entry a
 * sequence number, keeps small tokens inline so a cursor read needs no R2 operation, and tracks per
 * document its base (newest whole entry or snapshot) and the change bytes after it, which drive
 * compaction. Everything here is synchronous SQL, so each method is atomic inside the hub.
 */

/** Tokens up to this size are kept inline in the index (and so in the answer to a cursor read). */
export const INLINE_LIMIT = 16 * 1024;
/** A cursor read answers at most this many entries, and stops adding inline tokens past MAX_PAGE_BYTES. */
export const MAX_PAGE_ENTRIES = 1000;
export const MAX_PAGE_BYTES = 1024 * 1024;
/**
 * A document is compacted when the change bytes after its base reach a fifth of the base (and 4
 * KiB): a full download is then at most 1.2 x a snapshot, which for a Project-AI state (sealed at
 * 0.331 of its plaintext) is at most 0.4 of the plaintext.
 */
export const COMPACT_FRACTION = 5;
export const COMPACT_MIN_BYTES = 4096;
/** Whole entries past the count kept leave the index every this many versions. */
const PRUNE_BATCH = 16;

export type StoredKind = "whole" | "change" | "tombstone";

export interface EntryInput {
  doc: string;
  version: number;
  kind: StoredKind;
  device_id: string;
  updated_at: string;
  size: number;
  /** The token when it is at most INLINE_LIMIT bytes; null otherwise (and for a tombstone). */
  token: Uint8Array | null;
  /** A change whose writer says it carries its undo (X-Sync-Undo): history can be rebuilt backwards across it. */
  undo?: boolean;
}

export interface IndexedEntry extends EntryInput {
  seq: number;
}

export interface SnapshotRow {
  doc: string;
  version: number;
  size: number;
  stored_at: number;
  token: Uint8Array | null;
}

/** A document's base in a reset: a whole entry (or tombstone), or a snapshot with the sequence number of the entry it covers. */
export type ResetBase = IndexedEntry | (SnapshotRow & { kind: "snapshot"; seq: number });

/** What storing a snapshot lets go (`EntryIndex.recordSnapshot`). */
export interface SnapshotTrim {
  /** R2 may delete the document's versions below this. */
  entriesBelow: number;
  /** R2 may delete these snapshots. */
  snapshots: number[];
  /** The whole version to fold into a marker, with what the marker keeps of it. */
  folded: { version: number; device_id: string; updated_at: string } | null;
}

export interface AccountUsage {
  /** Bytes of the entries R2 holds (tombstones are 0). */
  entries: number;
  /** Bytes of the snapshots R2 holds. */
  snapshots: number;
  /** Bytes of the tokens kept inline in the index, copies of entries and snapshots above. */
  inline: number;
  /** The live documents, by name. */
  documents: string[];
}

export type RecordOutcome =
  | { recorded: true; seq: number; compact: number | null }
  /** The index's head of the document is below version - 1: the versions between must be recorded first. */
  | { recorded: false; head: number };

interface DocRow {
  doc: string;
  head: number;
  head_kind: StoredKind;
  base_version: number;
  base_bytes: number;
  change_bytes: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS entries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  doc TEXT NOT NULL, version INTEGER NOT NULL, kind TEXT NOT NULL,
  device_id TEXT NOT NULL, updated_at TEXT NOT NULL, size INTEGER NOT NULL, token BLOB,
  UNIQUE (doc, version));
CREATE TABLE IF NOT EXISTS snapshots (
  doc TEXT NOT NULL, version INTEGER NOT NULL, size INTEGER NOT NULL, stored_at INTEGER NOT NULL, token BLOB,
  PRIMARY KEY (doc, version));
CREATE TABLE IF NOT EXISTS docs (
  doc TEXT PRIMARY KEY, head INTEGER NOT NULL, head_kind TEXT NOT NULL,
  base_version INTEGER NOT NULL, base_bytes INTEGER NOT NULL, change_bytes INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS folded (
  doc TEXT NOT NULL, version INTEGER NOT NULL, stored_at INTEGER NOT NULL, PRIMARY KEY (doc, version));
`;

function bytesOf(value: unknown): Uint8Array | null {
  return value instanceof ArrayBuffer ? new Uint8Array(value) : null;
}

function entryOf(row: Record<string, SqlStorageValue>): IndexedEntry {
  return {
    seq: row.seq as number,
    doc: row.doc as string,
    version: row.version as number,
    kind: row.kind as StoredKind,
    device_id: row.device_id as string,
    updated_at: row.updated_at as string,
    size: row.size as number,
    token: bytesOf(row.token),
  };
}

export class EntryIndex {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    this.#sql.exec(SCHEMA);
    // Indexes created before changes carried their undo gain the column; their changes count as without.
    if ((this.#meta("schema") ?? 1) < 2) {
      const columns = this.#sql.exec("SELECT name FROM pragma_table_info('entries')").toArray();
      if (!columns.some((c) => c.name === "undo"))
        this.#sql.exec("ALTER TABLE entries ADD COLUMN undo INTEGER NOT NULL DEFAULT 0");
      this.#setMeta("schema", 2);
    }
  }

  #meta(key: string): number | null {
    const row = this.#sql.exec("SELECT value FROM meta WHERE key = ?", key).toArray()[0];
    return row === undefined ? null : (row.value as number);
  }

  #setMeta(key: string, value: number): void {
    this.#sql.exec(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = ?",
      key,
      value,
      value,
    );
  }

  #imported = false;

  /** Whether the documents stored before the index existed have been recorded (entry-import.ts). */
  get imported(): boolean {
    this.#imported ||= this.#meta("imported") !== null;
    return this.#imported;
  }

  markImported(): void {
    this.#setMeta("imported", Date.now());
    this.#imported = true;
  }

  /** The newest sequence number handed out (0: none yet). Never goes back, even when rows are deleted. */
  get head(): number {
    const row = this.#sql.exec("SELECT seq FROM sqlite_sequence WHERE name = 'entries'").toArray()[0];
    return row === undefined ? 0 : (row.seq as number);
  }

  /** A cursor below this may have missed deleted entries: its reader gets a reset. */
  get floor(): number {
    return this.#meta("floor") ?? 0;
  }

  #raiseFloor(seq: number): void {
    if (seq > this.floor) this.#setMeta("floor", seq);
  }

  doc(name: string): DocRow | null {
    const row = this.#sql.exec("SELECT * FROM docs WHERE doc = ?", name).toArray()[0];
    return row === undefined ? null : (row as unknown as DocRow);
  }

  docs(): DocRow[] {
    return this.#sql.exec("SELECT * FROM docs ORDER BY doc").toArray() as unknown as DocRow[];
  }

  entry(doc: string, version: number): IndexedEntry | null {
    const row = this.#sql.exec("SELECT * FROM entries WHERE doc = ? AND version = ?", doc, version).toArray()[0];
    return row === undefined ? null : entryOf(row);
  }

  /**
   * Records an entry R2 has stored. Idempotent: an entry already recorded keeps its number. An
   * entry below the document's head that is not recorded (pruned since) is skipped with seq 0.
   */
  record(e: EntryInput, keep = Number.MAX_SAFE_INTEGER): RecordOutcome {
    const doc = this.doc(e.doc);
    const inline = e.token !== null && e.token.length <= INLINE_LIMIT ? e.token : null;
    if (doc !== null && e.version <= doc.head) {
      const existing = this.entry(e.doc, e.version);
      // Recorded already (idempotent); an entry first recorded by reference (imported, or a gap)
      // learns its token when its writer's record arrives. Below the head and unrecorded: pruned since.
      if (existing === null) return { recorded: true, seq: 0, compact: null };
      if (existing.token === null && inline !== null) {
        this.#sql.exec("UPDATE entries SET token = ? WHERE seq = ?", inline, existing.seq);
      }
      return { recorded: true, seq: existing.seq, compact: null };
    }
    if (doc !== null && e.version > doc.head + 1) return { recorded: false, head: doc.head };
    const row = this.#sql
      .exec(
        "INSERT INTO entries (doc, version, kind, device_id, updated_at, size, token, undo) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
        e.doc,
        e.version,
        e.kind,
        e.device_id,
        e.updated_at,
        e.size,
        inline,
        e.kind === "change" && e.undo === true ? 1 : 0,
      )
      .one();
    const seq = row.seq as number;
    let base = { version: doc?.base_version ?? 0, bytes: doc?.base_bytes ?? 0, changes: doc?.change_bytes ?? 0 };
    if (e.kind === "whole") base = { version: e.version, bytes: e.size, changes: 0 };
    else if (e.kind === "tombstone") base = { version: e.version, bytes: 0, changes: 0 };
    else base.changes += e.size;
    this.#sql.exec(
      `INSERT INTO docs (doc, head, head_kind, base_version, base_bytes, change_bytes) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (doc) DO UPDATE SET head = excluded.head, head_kind = excluded.head_kind,
         base_version = excluded.base_version, base_bytes = excluded.base_bytes, change_bytes = excluded.change_bytes`,
      e.doc,
      e.version,
      e.kind,
      base.version,
      base.bytes,
      base.changes,
    );
    if (e.kind === "tombstone") this.#dropBelow(e.doc, e.version, { snapshotsToo: true });
    // Whole entries past the count kept leave the index in batches, as R2 prunes their objects
    // (write-document.ts); the usage already leaves them out (`usage`).
    else if (e.kind === "whole" && e.version > keep && e.version % PRUNE_BATCH === 0) {
      this.#dropBelow(e.doc, e.version - keep + 1, { snapshotsToo: false });
    }
    const due = e.kind === "change" && base.changes >= Math.max(base.bytes / COMPACT_FRACTION, COMPACT_MIN_BYTES);
    return { recorded: true, seq, compact: due ? e.version : null };
  }

  /**
   * Moves a document's head past a version the index will never hold (not in R2 any more), so the
   * entries after it can be recorded; readers that may have needed it get a reset (the floor).
   */
  skipTo(doc: string, version: number): void {
    this.#sql.exec("UPDATE docs SET head = ? WHERE doc = ? AND head < ?", version, doc, version);
    this.#raiseFloor(this.head);
  }

  /** Removes the document's entries below `version` (and its snapshots below it), raising the floor. */
  #dropBelow(doc: string, version: number, options: { snapshotsToo: boolean }): void {
    const gone = this.#sql
      .exec("SELECT max(seq) AS seq FROM entries WHERE doc = ? AND version < ?", doc, version)
      .one();
    if (gone.seq !== null) {
      this.#sql.exec("DELETE FROM entries WHERE doc = ? AND version < ?", doc, version);
      this.#raiseFloor(gone.seq as number);
    }
    if (options.snapshotsToo) {
      this.#sql.exec("DELETE FROM snapshots WHERE doc = ? AND version < ?", doc, version);
      this.#sql.exec("DELETE FROM folded WHERE doc = ? AND version < ?", doc, version);
    }
  }

  snapshot(doc: string, version: number): SnapshotRow | null {
    const row = this.#sql.exec("SELECT * FROM snapshots WHERE doc = ? AND version = ?", doc, version).toArray()[0];
    return row === undefined ? null : { ...(row as unknown as SnapshotRow), token: bytesOf(row.token) };
  }

  snapshots(doc: string): SnapshotRow[] {
    return this.#sql
      .exec("SELECT doc, version, size, stored_at FROM snapshots WHERE doc = ? ORDER BY version", doc)
      .toArray()
      .map((row) => ({ ...(row as unknown as SnapshotRow), token: null }));
  }

  /**
   * Whether snapshot `version` of `doc` may be stored: the entry exists, is not a tombstone, and
   * nothing newer than it is a base already.
   */
  snapshotAllowed(doc: string, version: number): "ok" | "exists" | "no_entry" | "tombstone" | "stale" {
    if (this.snapshot(doc, version) !== null) return "exists";
    const entry = this.entry(doc, version);
    if (entry === null) return "no_entry";
    if (entry.kind === "tombstone") return "tombstone";
    const row = this.doc(doc);
    if (row === null || row.base_version >= version) return "stale";
    return "ok";
  }

  /**
   * Records snapshot `version` (stored in R2 by now) as the document's base, then applies the
   * history window: with `windowStart` (ms), keeps the newest base stored at or before it (B) and
   * everything after B; the snapshots between B and this one are dropped (B and the entries rebuild
   * them). When every entry after B up to the snapshot is a change carrying its undo, B itself is
   * folded too: the snapshot and those undos rebuild it, so the window holds one whole copy of the
   * document, not two. Returns the versions whose R2 objects may now be deleted, and the whole
   * version to fold (its object becomes a marker keeping its place in the history).
   */
  recordSnapshot(s: SnapshotRow, windowStart: number): SnapshotTrim {
    const inline = s.token !== null && s.token.length <= INLINE_LIMIT ? s.token : null;
    this.#sql.exec(
      "INSERT INTO snapshots (doc, version, size, stored_at, token) VALUES (?, ?, ?, ?, ?)",
      s.doc,
      s.version,
      s.size,
      s.stored_at,
      inline,
    );
    const after = this.#sql
      .exec(
        "SELECT coalesce(sum(size), 0) AS bytes FROM entries WHERE doc = ? AND version > ? AND kind = 'change'",
        s.doc,
        s.version,
      )
      .one();
    this.#sql.exec(
      "UPDATE docs SET base_version = ?, base_bytes = ?, change_bytes = ? WHERE doc = ?",
      s.version,
      s.size,
      after.bytes as number,
      s.doc,
    );
    // B, the window's base: the newest base (snapshot, whole entry, or one folded before) stored at
    // or before the window's start; for a document younger than the window, its oldest base.
    const snapshots = this.snapshots(s.doc);
    const wholes = this.#sql
      .exec("SELECT version, updated_at FROM entries WHERE doc = ? AND kind = 'whole' ORDER BY version", s.doc)
      .toArray()
      .map((row) => ({ version: row.version as number, at: Date.parse(row.updated_at as string), kind: "whole" }));
    const folds = this.#sql
      .exec("SELECT version, stored_at FROM folded WHERE doc = ? ORDER BY version", s.doc)
      .toArray()
      .map((row) => ({ version: row.version as number, at: row.stored_at as number, kind: "folded" }));
    const bases = [
      ...snapshots.map((x) => ({ version: x.version, at: x.stored_at, kind: "snapshot" })),
      ...wholes,
      ...folds,
    ].sort((a, b) => a.version - b.version);
    const b = bases.filter((x) => x.at <= windowStart).at(-1) ?? bases[0]!;
    // B folds into this snapshot when every entry after it is a change carrying its undo.
    const fold = b.kind !== "folded" && b.version < s.version && this.#undoableBetween(s.doc, b.version, s.version);
    const dropped = snapshots.filter(
      (x) =>
        x.version < b.version || (x.version > b.version && x.version < s.version) || (fold && x.version === b.version),
    );
    for (const x of dropped) this.#sql.exec("DELETE FROM snapshots WHERE doc = ? AND version = ?", s.doc, x.version);
    let folded: SnapshotTrim["folded"] = null;
    if (fold) {
      this.#sql.exec("INSERT INTO folded (doc, version, stored_at) VALUES (?, ?, ?)", s.doc, b.version, b.at);
      const row = b.kind === "whole" ? this.entry(s.doc, b.version) : null;
      if (row !== null) folded = { version: row.version, device_id: row.device_id, updated_at: row.updated_at };
    }
    this.#sql.exec("DELETE FROM folded WHERE doc = ? AND version < ?", s.doc, b.version);
    // A folded whole entry leaves the index (a reader behind it gets a reset; its marker keeps its
    // place in R2's history); a snapshot's own entry is a change, which stays.
    this.#dropBelow(s.doc, folded !== null ? b.version + 1 : b.version, { snapshotsToo: false });
    // The entries the snapshot covers stay listed, inline, while the window keeps them: a device a
    // few changes behind the snapshot gets those changes, not the whole snapshot again.
    return { entriesBelow: b.version, snapshots: dropped.map((x) => x.version), folded };
  }

  /** Whether every version after `from` up to `to` is an indexed change that carries its undo. */
  #undoableBetween(doc: string, from: number, to: number): boolean {
    const row = this.#sql
      .exec(
        "SELECT count(*) AS n FROM entries WHERE doc = ? AND version > ? AND version <= ? AND kind = 'change' AND undo = 1",
        doc,
        from,
        to,
      )
      .one();
    return (row.n as number) === to - from;
  }

  /**
   * Everything after cursor `after`, in sequence order, at most one page. Entries whose token is
   * not inline, or past the page's inline budget, come as references (`token: null`).
   */
  since(after: number): { entries: IndexedEntry[]; more: boolean } {
    const rows = this.#sql
      .exec("SELECT * FROM entries WHERE seq > ? ORDER BY seq LIMIT ?", after, MAX_PAGE_ENTRIES + 1)
      .toArray()
      .map(entryOf);
    let more = rows.length > MAX_PAGE_ENTRIES;
    if (more) rows.pop();
    let budget = MAX_PAGE_BYTES;
    const page: IndexedEntry[] = [];
    for (const row of rows) {
      if (row.token !== null && row.token.length > budget) {
        // The page ends before an inline token that would overflow it; the next page starts with it.
        if (page.length > 0) {
          more = true;
          break;
        }
      }
      budget -= row.token?.length ?? 0;
      page.push(row);
    }
    return { entries: page, more };
  }

  /**
   * A reset for a device at cursor `after` (0: a new device): per document, its base (newest
   * snapshot, or whole entry when newer; a deleted document as its tombstone) and the entries
   * after it. A document whose base the device already had (at or below its cursor) gets only
   * its entries after the cursor, as a read that is not a reset would.
   */
  reset(after: number): Array<{ base: ResetBase | null; after: IndexedEntry[] }> {
    const out: Array<{ base: ResetBase | null; after: IndexedEntry[] }> = [];
    for (const doc of this.docs()) {
      const baseEntry = this.entry(doc.doc, doc.base_version);
      const snapshot = this.snapshot(doc.doc, doc.base_version);
      let base: ResetBase | null = null;
      if (snapshot !== null && (baseEntry === null || baseEntry.kind === "change")) {
        base = { ...snapshot, kind: "snapshot", seq: baseEntry?.seq ?? 0 };
      } else if (baseEntry !== null) base = baseEntry;
      if (base === null) continue;
      if (after > 0 && base.seq <= after) {
        const rest = this.#sql
          .exec("SELECT * FROM entries WHERE doc = ? AND seq > ? ORDER BY version", doc.doc, after)
          .toArray()
          .map(entryOf);
        if (rest.length > 0) out.push({ base: null, after: rest });
        continue;
      }
      const rest = this.#sql
        .exec("SELECT * FROM entries WHERE doc = ? AND version > ? ORDER BY version", doc.doc, doc.base_version)
        .toArray()
        .map(entryOf);
      out.push({ base, after: rest });
    }
    return out;
  }

  /**
   * What the account stores, kept by the index as entries come and go (no listing): the bytes R2
   * holds for its entries and snapshots, the copies kept inline here, and its live documents.
   */
  usage(keep = Number.MAX_SAFE_INTEGER): AccountUsage {
    // A document written whole counts its newest `keep` versions only: older ones await pruning.
    const e = this.#sql
      .exec(
        `SELECT coalesce(sum(e.size), 0) AS bytes, coalesce(sum(length(e.token)), 0) AS inline
         FROM entries e JOIN docs d ON d.doc = e.doc
         WHERE d.base_version != d.head OR e.version > d.head - ?`,
        keep,
      )
      .one();
    const s = this.#sql
      .exec("SELECT coalesce(sum(size), 0) AS bytes, coalesce(sum(length(token)), 0) AS inline FROM snapshots")
      .one();
    const documents = this.#sql
      .exec("SELECT doc FROM docs WHERE head_kind != 'tombstone' ORDER BY doc")
      .toArray()
      .map((row) => row.doc as string);
    return {
      entries: e.bytes as number,
      snapshots: s.bytes as number,
      inline: (e.inline as number) + (s.inline as number),
      documents,
    };
  }

  /** Forgets everything (the account was deleted). */
  clear(): void {
    this.#sql.exec(
      "DELETE FROM entries; DELETE FROM snapshots; DELETE FROM docs; DELETE FROM meta; DELETE FROM folded;",
    );
    this.#imported = false;
  }
}
