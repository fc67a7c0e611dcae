/** Tells a user's hub about a document write, after the response, never failing the write. */
import type { Env } from "../config.ts";
import { perBinding } from "../isolate-memory.ts";
import type { VersionAnnouncement } from "./announcement.ts";

/** Per user: until when (this isolate's clock) the user's hub has granted a quiet window (quiet-window.ts). */
const quietFor = perBinding<Env["USER_HUB"], Map<string, number>>(() => new Map());
const MAX_QUIET_ENTRIES = 10_000;

/**
 * Schedules the announcement of a stored version to `username`'s live sockets, unless the hub has
 * said within its quiet window that it has none. A hub that is unavailable only delays the others:
 * they still pull at their polling interval or on reconnect.
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
  const quiet = quietFor(env.USER_HUB);
  const asked = Date.now();
  if ((quiet.get(username) ?? 0) > asked) return;
  const task = (async () => {
    const hub = env.USER_HUB.get(env.USER_HUB.idFromName(username));
    const answer = await hub.announce(announcement);
    if (answer.quietForMs <= 0) {
      quiet.delete(username);
      return;
    }
    if (quiet.size >= MAX_QUIET_ENTRIES) quiet.clear();
    // Timed from before the question, so this window ends no later than the one the hub recorded.
    quiet.set(username, asked + answer.quietForMs);
  })().catch((err: unknown) => {
    console.warn(
      "live announce failed",
      announcement.doc,
      announcement.version,
      err instanceof Error ? err.message : String(err),
    );
  });
  waitUntil(task);
}
