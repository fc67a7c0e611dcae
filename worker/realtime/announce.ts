/** Tells a user's hub about a document write, after the response, never failing the write. */
import type { Env } from "../config.ts";
import type { VersionAnnouncement } from "./announcement.ts";

/**
 * Schedules the announcement of a stored version to `username`'s live sockets. A hub that is
 * unavailable only delays the others: they still pull at their polling interval or on reconnect.
 *
 * @example
 * announceVersion(c.env, (p) => c.executionCtx.waitUntil(p), "alice", { doc: "default", version: 4, device_id, updated_at });
 */
export function announceVersion(
  env: Env,
  waitUntil: (promise: Promise<unknown>) => void,
  username: string,
  announcement: VersionAnnouncement,
): void {
  const task = (async () => {
    const hub = env.USER_HUB.get(env.USER_HUB.idFromName(username));
    await hub.announce(announcement);
  })().catch((err: unknown) => {
    console.warn("live announce failed", announcement.doc, announcement.version, err instanceof Error ? err.message : String(err));
  });
  waitUntil(task);
}
