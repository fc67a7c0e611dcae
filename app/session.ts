/**
 * Signing in on the dashboard: the key (or the passphrase that makes it) stays in this page's
 * memory; only the derived credential token goes to the server, exactly as a device does.
 */
import { createBrowserSyncManager } from "../client/browser/index.ts";
import {
  ApiClient,
  MemoryStore,
  SyncError,
  deriveAdminToken,
  deriveAuthToken,
  isUsername,
  keyFromPassphrase,
  randomDeviceId,
  type Envelope,
  type SyncManager,
} from "../client/core/index.ts";

export interface Session {
  username: string;
  baseUrl: string;
  /** The credential token: sent to the server, and offered to the live socket. */
  token: string;
  api: ApiClient;
  /**
   * Reads of history and writes (restores) go through the client library, as any device's: a
   * version is shown only if its token is bound to this user, document and version, and a restore
   * re-seals the old content as a fresh edit on top of the current version, which every device then
   * merges (the server keeps no way to copy an old token: devices would refuse it, tamper_detected).
   */
  manager: SyncManager;
}

export interface SignIn {
  username: string;
  secret: string;
  kind: "key" | "passphrase";
  baseUrl: string;
}

const DEVICE_ID_KEY = "cloud-sync.dashboard.device-id";

/** Derives everything from the secret, then checks the credential with `GET /v1/users/:u`. */
export async function openSession(input: SignIn): Promise<Session> {
  const username = input.username.trim();
  if (!isUsername(username)) {
    throw new SyncError(
      "invalid_name",
      "Usernames are 1-64 letters, digits and . _ @ + -, starting with a letter or digit.",
    );
  }
  if (input.secret === "") throw new SyncError("invalid_key", "Enter your Fernet key or passphrase.");
  const key = input.kind === "passphrase" ? await keyFromPassphrase(input.secret, username) : input.secret.trim();
  const [token, admin] = await Promise.all([deriveAuthToken(key, username), deriveAdminToken(key, username)]);
  const deviceId = dashboardDeviceId();
  // The admin token only for removing a device (after a confirmation); every other call is routine.
  const api = new ApiClient({
    baseUrl: input.baseUrl,
    deviceId,
    token: async () => token,
    adminToken: async () => admin,
  });
  await api.account(username);
  const manager = await createBrowserSyncManager({
    url: input.baseUrl,
    key,
    // In memory: decrypted content and merge bases leave nothing in the browser after sign-out.
    store: new MemoryStore(),
    deviceId,
    deviceName: "Web dashboard",
  });
  return { username, baseUrl: input.baseUrl, token, api, manager };
}

/** One random id per browser, so repeated restores from here count as one device. */
function dashboardDeviceId(): string {
  try {
    const stored = localStorage.getItem(DEVICE_ID_KEY);
    if (stored) return stored;
    const fresh = `web-${randomDeviceId()}`.slice(0, 64);
    localStorage.setItem(DEVICE_ID_KEY, fresh);
    return fresh;
  } catch {
    // Storage blocked (private mode, policy): an id for this page only.
    return `web-${randomDeviceId()}`.slice(0, 64);
  }
}

/**
 * A version's envelope, decrypted here by the client library, which refuses a token bound to
 * another user, document or version (`tamper_detected`) and reads a device with a fast clock fine.
 */
export async function readVersion(session: Session, doc: string, version: number): Promise<Envelope> {
  const content = await session.manager.getVersion(session.username, { doc, version });
  return { username: session.username, device_id: content.deviceId, timestamp: content.timestamp, data: content.data };
}

/** Words for an error a person can act on. */
export function describeError(error: unknown): string {
  if (error instanceof SyncError) {
    switch (error.code) {
      case "unauthorized":
        return "The server did not accept this key for this username.";
      case "invalid_key":
        return "That is not a Fernet key (44 characters of URL-safe base64).";
      case "invalid_token":
      case "wrong_key":
        return "This version does not decrypt with your key.";
      case "network":
        return "The server cannot be reached. Try again in a moment.";
      default:
        return error.message;
    }
  }
  return error instanceof Error ? error.message : String(error);
}
