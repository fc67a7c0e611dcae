/**
 * A device that writes real encrypted documents through the client core (ApiClient + Fernet +
 * envelope), for tests that need a user's account populated by known devices.
 */
import { deriveAuthToken } from "../../client/core/crypto/credential.ts";
import { encodeEnvelope, pythonTimestamp } from "../../client/core/wire/envelope.ts";
import { Fernet } from "../../client/core/crypto/fernet.ts";
import { ApiClient } from "../../client/core/wire/api-client.ts";
import type { DocumentInfo } from "../../client/core/wire/api-responses.ts";
import type { Json } from "../../client/core/merge/json-value.ts";

export interface SeedDevice {
  deviceId: string;
  api: ApiClient;
  /** Writes `data` as the next version of `doc` (unconditionally). */
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
  return {
    deviceId: options.deviceId,
    api,
    async write(doc, data) {
      const envelope = {
        username: options.username,
        device_id: options.deviceId,
        timestamp: pythonTimestamp(Date.now()),
        data,
      };
      const bytes = await fernet.encrypt(await encodeEnvelope(envelope, { compress: false }));
      const outcome = await api.putDocument(options.username, doc, bytes, {});
      if (!outcome.ok) throw new Error(`write of ${doc} lost a race`);
      return outcome.info;
    },
  };
}
