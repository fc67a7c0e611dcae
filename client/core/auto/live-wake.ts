/**
 * Joins a live subscription to auto-sync: an announcement from another device wakes a sync of that
 * document at once; every (re)opened socket wakes a sync of all, since announcements sent while it
 * was down are lost; while it is down the auto-sync timer's interval polling is what remains.
 */
import { LiveSubscription, type LiveStatus, type WebSocketConstructorLike } from "../wire/live.ts";

export interface LiveAutoSyncOptions {
  baseUrl: string;
  username: string;
  /** This device: its own writes are announced back to it and need no sync. */
  deviceId: string;
  token: () => string | Promise<string>;
  /** The documents auto-sync keeps; announcements of others are ignored. */
  documents: readonly string[];
  /** Runs auto-sync now, for one document or (undefined) for all. */
  wake: (doc?: string) => void;
  WebSocket?: WebSocketConstructorLike;
  /** Told on each state change, e.g. to print "live updates unavailable, polling every 300 s". */
  onStatus?: (status: LiveStatus) => void;
}

/**
 * @example
 * const live = startLiveAutoSync({ baseUrl, username, deviceId, token, documents: ["default"], wake: (d) => timer.wake(d) });
 * // later
 * live.close();
 */
export function startLiveAutoSync(options: LiveAutoSyncOptions): LiveSubscription {
  const live = new LiveSubscription({
    baseUrl: options.baseUrl,
    username: options.username,
    token: options.token,
    deviceId: options.deviceId,
    ...(options.WebSocket === undefined ? {} : { WebSocket: options.WebSocket }),
  });
  const documents = new Set(options.documents);
  live.onVersion((announcement) => {
    if (announcement.device_id === options.deviceId || !documents.has(announcement.doc)) return;
    options.wake(announcement.doc);
  });
  live.onStatus((status) => {
    if (status.state === "open") options.wake();
    options.onStatus?.(status);
  });
  live.start();
  return live;
}
