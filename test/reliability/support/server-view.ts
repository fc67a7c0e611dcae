/**
 * What the Worker holds for a user, read through its API and decrypted with the user's key: the
 * current version of a document, and every retained version, for the checks that all stored
 * documents are valid tokens and that no change was applied twice.
 */
import { deriveAuthToken } from "../../../client/core/crypto/credential.ts";
import { openDocument } from "../../../client/core/wire/document-codec.ts";
import type { Envelope } from "../../../client/core/wire/envelope.ts";
import { Fernet } from "../../../client/core/crypto/fernet.ts";
import { MultiFernet } from "../../../client/core/crypto/multi-fernet.ts";
import { ApiClient } from "../../../client/core/wire/api-client.ts";
import { applyWrites, checkWrites } from "../../../client/core/merge/register-writes.ts";
import { defaultRulesFor } from "../../../client/core/merge/rules.ts";
import { nodeCryptoBackend } from "../../../client/node/crypto-backend.ts";

export interface StoredVersion {
  doc: string;
  version: number;
  envelope: Envelope;
}

export interface ServerView {
  api: ApiClient;
  /** The current version of `doc`, decrypted; null if the document does not exist. */
  current(doc: string): Promise<StoredVersion | null>;
  /** Every retained version of every document, oldest first; throws if any fails to decrypt. */
  everyVersion(): Promise<StoredVersion[]>;
}

export async function serverView(url: string, username: string, key: string): Promise<ServerView> {
  const fernet = new MultiFernet([await Fernet.create(key, { backend: nodeCryptoBackend })]);
  const token = await deriveAuthToken(key, username);
  const api = new ApiClient({ baseUrl: url, deviceId: "inspector", token: async () => token });
  const open = async (doc: string, version: number, bytes: Uint8Array): Promise<StoredVersion> => ({
    doc,
    version,
    envelope: (await openDocument(fernet, bytes, `${doc} v${version}`)).envelope,
  });
  return {
    api,
    async current(doc) {
      // Through the changes feed (what an incremental device reads): the base, and the changes after it joined in.
      const page = await api.getChanges(username, 0);
      if (page.ahead) throw new Error("cursor 0 is never ahead");
      let current: StoredVersion | null = null;
      for (const frame of page.frames.filter((f) => f.header.doc === doc)) {
        const { version, kind } = frame.header;
        if (kind === "tombstone") {
          current = null;
          continue;
        }
        const bytes =
          frame.token ??
          (kind === "snapshot"
            ? await api.getSnapshot(username, doc, version)
            : ((await api.getVersion(username, doc, version))?.bytes ?? null));
        if (bytes === null) throw new Error(`${doc} v${version} is listed but cannot be read`);
        const opened = await open(doc, version, bytes);
        if (kind !== "change" || current === null) {
          current = opened;
          continue;
        }
        const rules = opened.envelope.sync?.rules ?? current.envelope.sync?.rules ?? defaultRulesFor(doc);
        const before = { data: current.envelope.data, clocks: current.envelope.sync?.clocks ?? {} };
        const after = applyWrites(before, checkWrites((opened.envelope.data as { writes: unknown }).writes), rules);
        const sync = { ...opened.envelope.sync!, clocks: after.clocks };
        delete sync.kind;
        current = { doc, version, envelope: { ...opened.envelope, data: after.data, sync } };
      }
      return current;
    },
    async everyVersion() {
      const out: StoredVersion[] = [];
      for (const info of await api.listDocuments(username)) {
        // A folded version is a marker, its content rebuilt from a later snapshot: no token to read.
        const versions = (await api.listVersions(username, info.name))
          .filter((v) => v.kind !== "folded")
          .map((v) => v.version)
          .sort((a, b) => a - b);
        for (const version of versions) {
          const served = await api.getVersion(username, info.name, version);
          if (served === null) throw new Error(`${info.name} v${version} is listed but cannot be read`);
          out.push(await open(info.name, version, served.bytes));
        }
      }
      return out;
    },
  };
}

/** Writes that carry the same device write counter: a change applied twice. */
export function repeatedWrites(versions: readonly StoredVersion[]): string[] {
  const seen = new Map<string, string>();
  const repeated: string[] = [];
  for (const v of versions) {
    const counter = v.envelope.sync?.counter;
    if (counter === undefined) continue;
    const id = `${v.envelope.device_id}#${counter}`;
    const where = `${v.doc} v${v.version}`;
    if (seen.has(id)) repeated.push(`${id} wrote both ${seen.get(id)} and ${where}`);
    else seen.set(id, where);
  }
  return repeated;
}
