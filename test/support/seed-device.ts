/**
 * A device that writes real encrypted documents through the client core (ApiClient + Fernet +
 * envelope), for tests that need a user's account populated by known devices. Its tokens are bound
 * as the client's are (docs/PROTOCOL.md, "The binding"), each written as the whole document.
 */
import { deriveAuthToken } from "../../client/core/crypto/credential.ts";
import { encodeEnvelope, pythonTimestamp, type Envelope } from "../../client/core/wire/envelope.ts";
import { Fernet } from "../../client/core/crypto/fernet.ts";
import { ApiClient } from "../../client/core/wire/api-client.ts";
import type { DocumentInfo } from "../../client/core/wire/api-responses.ts";
import type { Json } from "../../client/core/merge/json-value.ts";
import { hlcFromWallTime } from "../../client/core/merge/hlc.ts";
import { tokenHash } from "../../client/core/sync/integrity.ts";

export interface SeedDevice {
  deviceId: string;
  api: ApiClient;
  /** Writes `data` as the next version of `doc`, on top of whatever is current. */
  write(doc: string, data: Json): Promise<DocumentInfo>;
}

export async function seedDevice(options: {
  baseUrl: string;
  username: string;
  key: string;
  deviceId: string;
  name: string;
  platform: string;
}): Promise<SeedDevice> {
  const token = await deriveAuthToken(options.key, options.username);
  const fernet = await Fernet.create(options.key);
  const api = new ApiClient({ baseUrl: options.baseUrl, deviceId: options.deviceId, token: async () => token });
  await api.claim(options.username);
  await api.registerDevice(options.username, options.deviceId, { name: options.name, platform: options.platform });
  let counter = 0;
  return {
    deviceId: options.deviceId,
    api,
    async write(doc, data) {
      const current = await api.getDocument(options.username, doc);
      const served = current === "not_modified" ? null : current;
      const version = (served?.version ?? 0) + 1;
      const hlc = hlcFromWallTime(Date.now(), options.deviceId);
      counter += 1;
      const envelope: Envelope = {
        username: options.username,
        device_id: options.deviceId,
        timestamp: pythonTimestamp(Date.now()),
        data,
        sync: {
          v: 1,
          base: served === null ? null : await tokenHash(served.bytes),
          doc,
          version,
          counter,
          hlc,
          clocks: { "": hlc },
        },
      };
      const bytes = await fernet.encrypt(await encodeEnvelope(envelope, { compress: false }));
      const precondition = served === null ? { ifNoneMatch: "*" as const } : { ifMatch: served.version };
      const outcome = await api.putDocument(options.username, doc, bytes, precondition, version);
      if (!outcome.ok) throw new Error(`write of ${doc} lost a race`);
      return outcome.info;
    },
  };
}
