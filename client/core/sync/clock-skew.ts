/**
 * Clock skew: this device's clock against the server's `Date`, and every other device's clock as
 * its tokens show it (the Fernet timestamp its clock wrote, against the time the server stored the
 * token; Python devices included). Devices off by more than a minute are reported by name.
 */
import type { DeviceClock, UserMeta } from "./state.ts";

/** Devices whose clock is off by more than this are reported (`cloud-sync status`: "more than a minute"). */
export const SKEW_REPORT_MS = 60_000;
/** Below this, whole-second `Date` headers and network time cannot tell skew from noise. */
const CORRECTION_MIN_MS = 2_000;

/** This device's clock against the server's, kept from the `Date` of every answer. */
export class ServerClock {
  #skewMs: number | null;
  #at: string | null;

  constructor(initial: DeviceClock | null) {
    this.#skewMs = initial?.skewMs ?? null;
    this.#at = initial?.at ?? null;
  }

  /** `Date` has whole seconds (truncated), so the server's true time was on average half a second later. */
  observe(serverMs: number, localMs: number): void {
    this.#skewMs = Math.round(localMs - (serverMs + 500));
    this.#at = new Date(localMs).toISOString();
  }

  /** Server-minus-local correction for the HLC: zero while the skew is within noise. */
  offsetMs(): number {
    return this.#skewMs !== null && Math.abs(this.#skewMs) >= CORRECTION_MIN_MS ? -this.#skewMs : 0;
  }

  snapshot(): DeviceClock | null {
    return this.#skewMs === null || this.#at === null ? null : { skewMs: this.#skewMs, at: this.#at };
  }
}

export interface SkewedDevice {
  deviceId: string;
  name: string | null;
  /** Positive: the device's clock runs ahead of the server's. */
  skewSeconds: number;
  thisDevice: boolean;
  /** ISO-8601 UTC of the observation. */
  observedAt: string;
}

export interface ClockReport {
  /** This device against the server's `Date`; null before the first answer. */
  thisDevice: { skewSeconds: number; checkedAt: string } | null;
  /** Every device (this one included) whose clock was last seen off by more than a minute. */
  offByMoreThanAMinute: SkewedDevice[];
}

/** Builds the status report from what this device measured and learned. */
export function clockReport(
  deviceId: string,
  deviceName: string | null,
  own: DeviceClock | null,
  meta: UserMeta,
): ClockReport {
  const off: SkewedDevice[] = [];
  if (own !== null && Math.abs(own.skewMs) > SKEW_REPORT_MS) {
    off.push({
      deviceId,
      name: deviceName ?? meta.names[deviceId] ?? null,
      skewSeconds: seconds(own.skewMs),
      thisDevice: true,
      observedAt: own.at,
    });
  }
  for (const [id, peer] of Object.entries(meta.peers)) {
    if (id === deviceId || Math.abs(peer.skewMs) <= SKEW_REPORT_MS) continue;
    off.push({
      deviceId: id,
      name: meta.names[id] ?? null,
      skewSeconds: seconds(peer.skewMs),
      thisDevice: false,
      observedAt: peer.at,
    });
  }
  return {
    thisDevice: own === null ? null : { skewSeconds: seconds(own.skewMs), checkedAt: own.at },
    offByMoreThanAMinute: off,
  };
}

function seconds(ms: number): number {
  // `+ 0` turns a rounded -0 into 0.
  return Math.round(ms / 1000) + 0;
}
