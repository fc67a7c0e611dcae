/**
 * The auto-sync timer: runs a sync every interval (with jitter, so many devices do not hit the
 * server in step), backs off after failures, never starts a run while one is going, can be woken
 * early (the seam for real-time announcements: `wake(doc)`), and stops cleanly.
 */

export interface AutoSyncTimerOptions {
  intervalMs: number;
  /** Spread of each delay, as a fraction of it: 0.1 means ±10 %. Default 0.1. */
  jitter?: number;
  /** Ceiling of the back-off after failures (never below the interval). Default 15 min. */
  maxBackoffMs?: number;
  /** Returns [0, 1). Default Math.random. */
  random?: () => number;
}

export interface AutoSyncState {
  running: boolean;
  /** Consecutive failed runs; the delay doubles with each. */
  failures: number;
  /** When the next run is due (ms since epoch), or null while running or stopped. */
  nextRunAt: number | null;
}

/** `run` gets the documents asked for by `wake` (null: all) and resolves true on success. */
export type AutoSyncRun = (documents: ReadonlySet<string> | null) => Promise<boolean>;

export class AutoSyncTimer {
  readonly #run: AutoSyncRun;
  readonly #intervalMs: number;
  readonly #jitter: number;
  readonly #maxBackoffMs: number;
  readonly #random: () => number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight: Promise<void> | undefined;
  #stopped = true;
  #failures = 0;
  #nextRunAt: number | null = null;
  /** Documents asked for by `wake` since the last run began; null means every document. */
  #requested: Set<string> | null | undefined;

  constructor(run: AutoSyncRun, options: AutoSyncTimerOptions) {
    const { intervalMs, jitter = 0.1, maxBackoffMs = 15 * 60_000, random = Math.random } = options;
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new RangeError("intervalMs must be a positive number");
    if (!(jitter >= 0 && jitter < 1)) throw new RangeError("jitter must be in [0, 1)");
    if (!(maxBackoffMs > 0)) throw new RangeError("maxBackoffMs must be positive");
    this.#run = run;
    this.#intervalMs = intervalMs;
    this.#jitter = jitter;
    this.#maxBackoffMs = Math.max(maxBackoffMs, intervalMs);
    this.#random = random;
  }

  /** Starts the loop; the first run happens at once. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Stops the loop and waits for a run in progress to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#nextRunAt = null;
    await this.#inFlight;
  }

  /** Runs as soon as possible (after the current run, if one is going), for `doc` or for all. */
  wake(doc?: string): void {
    if (this.#stopped) return;
    if (doc === undefined || this.#requested === null) this.#requested = null;
    else {
      this.#requested ??= new Set();
      this.#requested.add(doc);
    }
    if (this.#inFlight !== undefined) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#schedule(0);
  }

  get state(): AutoSyncState {
    return { running: this.#inFlight !== undefined, failures: this.#failures, nextRunAt: this.#nextRunAt };
  }

  /** The delay after a run: the interval, doubled per consecutive failure up to the ceiling, with jitter. */
  nextDelay(): number {
    const base = Math.min(this.#maxBackoffMs, this.#intervalMs * 2 ** Math.min(this.#failures, 20));
    return Math.round(base * (1 - this.#jitter + 2 * this.#jitter * this.#random()));
  }

  #schedule(delayMs: number): void {
    this.#nextRunAt = Date.now() + delayMs;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#nextRunAt = null;
      this.#inFlight = this.#tick().finally(() => {
        this.#inFlight = undefined;
        if (this.#stopped) return;
        this.#schedule(this.#requested !== undefined ? 0 : this.nextDelay());
      });
    }, delayMs);
  }

  async #tick(): Promise<void> {
    const requested = this.#requested === undefined ? null : this.#requested;
    this.#requested = undefined;
    let ok = false;
    try {
      ok = await this.#run(requested);
    } catch {
      // The run reports its own errors; here a throw only counts as a failure.
    }
    this.#failures = ok ? 0 : this.#failures + 1;
  }
}
