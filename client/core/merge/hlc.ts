/** Hybrid logical clock: timestamps that follow wall time yet never run backwards, so an edit made after seeing another sorts after it, whatever the devices' clocks say. */

import { SyncError } from "../errors.ts";

/**
 * Encoding: `<13-digit ms>:<4 hex counter>:<nodeId>`. Fixed-width fields make plain string order
 * equal HLC order, and the node id at the end breaks ties between devices deterministically.
 */
const HLC_PATTERN = /^(\d{13}):([0-9a-f]{4}):([\x21-\x7e]{1,128})$/;
const NODE_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;
const MAX_COUNTER = 0xffff;
const MAX_MS = 9_999_999_999_999; // 13 digits: year 2286

/** Sorts before every real HLC: the clock of data whose time is unknown (an unstamped root). */
export const MIN_HLC = "";

export interface HlcParts {
  ms: number;
  counter: number;
  nodeId: string;
}

export interface HlcOptions {
  /** Local wall time in ms; defaults to `Date.now`. */
  now?: () => number;
  /** Server-minus-local correction in ms (from the server's `Date`), added to `now()`; default 0. */
  offsetMs?: () => number;
}

export function formatHlc({ ms, counter, nodeId }: HlcParts): string {
  return `${String(ms).padStart(13, "0")}:${counter.toString(16).padStart(4, "0")}:${nodeId}`;
}

/** Parses an HLC from another device; a malformed one is untrusted input and fails as `invalid_payload`. */
export function parseHlc(value: string): HlcParts {
  const match = HLC_PATTERN.exec(value);
  if (!match)
    throw new SyncError(
      "invalid_payload",
      `not a hybrid logical clock timestamp: ${JSON.stringify(value.slice(0, 160))}`,
    );
  return { ms: Number(match[1]), counter: parseInt(match[2]!, 16), nodeId: match[3]! };
}

export function isHlc(value: unknown): value is string {
  return typeof value === "string" && HLC_PATTERN.test(value);
}

/** Total order on HLCs (and `MIN_HLC`): time, then counter, then node id. */
export function compareHlc(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The later of two HLCs. */
export function maxHlc(a: string, b: string): string {
  return a < b ? b : a;
}

/**
 * The HLC of a write known only by its wall time, such as a Python device's upload, which carries
 * one timestamp for the whole document. A fractional `ms` keeps its microseconds in the counter
 * (0 to 999), so two uploads of one Python device within a millisecond still sort in time order.
 * @example hlcFromWallTime(Date.parse("2025-01-01T10:00:00Z") + 0.123, "a1b2c3d4e5f60718") // "1735725600000:007b:a1b2c3d4e5f60718"
 */
export function hlcFromWallTime(ms: number, nodeId: string): string {
  checkNodeId(nodeId);
  if (!Number.isFinite(ms)) throw new RangeError(`wall time must be a finite number of ms, got ${ms}`);
  const whole = clampMs(ms);
  const micros = ms > whole ? Math.min(999, Math.round((ms - whole) * 1000)) : 0;
  return formatHlc({ ms: whole, counter: micros, nodeId });
}

/**
 * A device's clock. `tick()` stamps local edits; `observe()` takes in every timestamp read from
 * another device (and, at start-up, the newest one this device persisted), so later ticks sort after it.
 *
 * `observe` accepts a remote timestamp however far ahead it is. Refusing or capping it would let an
 * edit made after seeing another sort before it, and the merge would then drop the later edit. The
 * cost is that a device whose clock runs fast pulls the others' clocks along; that is bounded by
 * correcting local time with `offsetMs` (the server's clock) and made visible by the status report of
 * devices whose clock is off by more than a minute.
 *
 * @example
 * const clock = new HybridLogicalClock("a1b2c3d4e5f60718");
 * clock.observe(remoteHlc);
 * const stampOfMyEdit = clock.tick();
 */
export class HybridLogicalClock {
  readonly nodeId: string;
  readonly #now: () => number;
  readonly #offsetMs: () => number;
  #ms = 0;
  #counter = 0;

  constructor(nodeId: string, options: HlcOptions = {}) {
    checkNodeId(nodeId);
    this.nodeId = nodeId;
    this.#now = options.now ?? Date.now;
    this.#offsetMs = options.offsetMs ?? (() => 0);
  }

  /** A timestamp for a local event, strictly greater than every timestamp issued or observed before. */
  tick(): string {
    const physical = this.#physical();
    if (physical > this.#ms) {
      this.#ms = physical;
      this.#counter = 0;
    } else {
      this.#advanceCounter();
    }
    return this.#format();
  }

  /** Takes in a timestamp seen from elsewhere; a malformed one throws `SyncError("invalid_payload")`. */
  observe(remote: string): void {
    if (remote === MIN_HLC) return;
    const { ms, counter } = parseHlc(remote);
    if (ms > this.#ms || (ms === this.#ms && counter > this.#counter)) {
      this.#ms = ms;
      this.#counter = counter;
    }
    // Nothing issued later may equal what was observed: the next tick moves past it.
  }

  /** The newest timestamp issued or observed, for persisting across restarts (`MIN_HLC` if none). */
  get last(): string {
    return this.#ms === 0 && this.#counter === 0 ? MIN_HLC : this.#format();
  }

  #physical(): number {
    const value = this.#now() + this.#offsetMs();
    return Number.isFinite(value) ? clampMs(value) : 0;
  }

  #advanceCounter(): void {
    // A full counter rolls into the next millisecond rather than wrapping, so order is kept.
    if (this.#counter >= MAX_COUNTER) {
      this.#ms = Math.min(this.#ms + 1, MAX_MS);
      this.#counter = 0;
    } else {
      this.#counter += 1;
    }
  }

  #format(): string {
    return formatHlc({ ms: this.#ms, counter: this.#counter, nodeId: this.nodeId });
  }
}

function clampMs(ms: number): number {
  return Math.min(Math.max(Math.floor(ms), 0), MAX_MS);
}

function checkNodeId(nodeId: string): void {
  if (!NODE_ID_PATTERN.test(nodeId)) {
    throw new TypeError("nodeId must be 1 to 128 printable ASCII characters without spaces (a device id)");
  }
}
