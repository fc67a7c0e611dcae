/**
 * The quiet window: how writes skip the hub while nobody listens, without a listener ever missing one.
 *
 * Telling the hub of every write costs a Durable Object round trip per write, most of them to a
 * hub with no socket (a user's other devices are usually offline). So a hub with no socket answers
 * an announcement with a grant: "skip me for QUIET_MS". The isolate that asked then skips its
 * announcements for that user until the grant ends (timed from before it asked, so it ends no later
 * than the hub's own record of it). A socket that connects while a grant may still be running
 * cannot rely on announcements for writes made in it, so the hub checks R2 itself once every grant
 * has ended (SWEEP_DELAY_MS after the last one) and sends that socket the current version of each
 * document stored since it connected. A device also pulls everything when its socket opens, which
 * covers writes from before it connected. So every write reaches every connected device, live or
 * at most QUIET_MS + SWEEP_DELAY_MS after it connected.
 */

/** How long a hub with no socket lets writers skip announcing to it. */
export const QUIET_MS = 2_000;

/** How long after the last grant ends the hub looks at R2: covers clock drift and writes still finishing. */
export const SWEEP_DELAY_MS = 500;

/**
 * How far before a socket's connection a version's R2 upload time may lie and still be sent to it
 * (clock drift between the hub and R2; a version sent twice costs the device one 304).
 */
export const SWEEP_CLOCK_SLACK_MS = 2_000;

/** The hub's answer to an announcement. */
export interface AnnounceAnswer {
  /** Sockets that were sent the announcement. */
  delivered: number;
  /** When no socket heard it: how long the writer may skip this hub (0 otherwise). */
  quietForMs: number;
}
