/**
 * Where the CLI writes: results on stdout (JSON with `--json`), notes, `--verbose` details and the
 * one-line error on stderr. Everything on stderr passes a mask first, so a key or a capability URL
 * never reaches a terminal log, even in a cause's message; stdout carries only what a command means
 * to print (keygen's key and legacy-url's URL are the point of those commands).
 */

/** What a command printed: `json` for `--json`, `text` (possibly empty) otherwise, both on stdout. */
export interface CommandResult {
  json: unknown;
  text: string;
  /** One JSON line instead of indented JSON: the last of a stream of events (watch). */
  compact?: boolean;
}

export interface TextStream {
  write(chunk: string, callback?: (error?: Error | null) => void): boolean;
  isTTY?: boolean;
  columns?: number;
}

const LEGACY_TOKEN = /\/legacy\/[^/\s"']+/g;

export class Output {
  readonly json: boolean;
  readonly verbose: boolean;
  readonly stdout: TextStream;
  readonly stderr: TextStream;
  readonly #secrets = new Set<string>();

  constructor(streams: { stdout: TextStream; stderr: TextStream }, flags: { json: boolean; verbose: boolean }) {
    this.stdout = streams.stdout;
    this.stderr = streams.stderr;
    this.json = flags.json;
    this.verbose = flags.verbose;
  }

  /** Masks `value` wherever it would appear on stderr (keys, claim secrets). */
  addSecret(value: string): void {
    if (value.length >= 8) this.#secrets.add(value);
  }

  /** A command's result: its JSON with `--json`, else its text (nothing when empty). */
  result(result: CommandResult): void {
    if (this.json) this.stdout.write(`${JSON.stringify(result.json, null, result.compact === true ? undefined : 2)}\n`);
    else if (result.text !== "") this.stdout.write(result.text.endsWith("\n") ? result.text : `${result.text}\n`);
  }

  /** One event of a long-running command: a JSON line with `--json`, else a line of text. */
  event(json: unknown, text: string): void {
    this.stdout.write(this.json ? `${JSON.stringify(json)}\n` : `${text}\n`);
  }

  /** Something the user should see beside the result (never parsed by scripts). */
  note(text: string): void {
    this.stderr.write(`${this.mask(text)}\n`);
  }

  /** Shown with `--verbose` only. */
  detail(text: string): void {
    if (this.verbose) this.stderr.write(`${this.mask(text)}\n`);
  }

  /** The failure, as one line (newlines folded), prefixed with the program's name. */
  error(message: string): void {
    this.stderr.write(`cloud-sync: ${this.mask(message).replace(/\s*\n\s*/g, " ")}\n`);
  }

  mask(text: string): string {
    let masked = text.replace(LEGACY_TOKEN, "/legacy/<redacted>");
    for (const secret of this.#secrets) masked = masked.split(secret).join("<redacted>");
    return masked;
  }

  /** Resolves once both streams have handed over what was written (before the process exits). */
  async flush(): Promise<void> {
    await Promise.all(
      [this.stdout, this.stderr].map((s) => new Promise<void>((resolve) => s.write("", () => resolve()))),
    );
  }
}
