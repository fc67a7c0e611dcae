/**
 * A progress bar on stderr for transfers over 1 MB when stderr is a terminal (docs/CLI.md): a `fetch`
 * wrapper that streams large request bodies in slices and counts large response bodies as they
 * arrive, drawing one line that it rewrites in place.
 */
import type { FetchLike } from "../core/index.ts";
import type { TextStream } from "./output.ts";

export const PROGRESS_THRESHOLD_BYTES = 1024 * 1024;
const SLICE_BYTES = 64 * 1024;
const BAR_WIDTH = 24;

/** One line, redrawn with `\r`; whole percents only, so a fast transfer draws at most 101 times. */
export class ProgressBar {
  readonly #stream: TextStream;
  readonly #label: string;
  readonly #total: number;
  #done = 0;
  #drawnPercent = -1;
  #finished = false;

  constructor(stream: TextStream, label: string, total: number) {
    this.#stream = stream;
    this.#label = label;
    this.#total = total;
  }

  advance(bytes: number): void {
    this.#done = Math.min(this.#total, this.#done + bytes);
    const percent = Math.floor((this.#done / this.#total) * 100);
    if (percent !== this.#drawnPercent) this.#draw(percent);
  }

  /** Ends the line; `ok` false leaves the bar where the transfer stopped. */
  finish(ok: boolean): void {
    if (this.#finished) return;
    this.#finished = true;
    if (ok && this.#done < this.#total) this.advance(this.#total - this.#done);
    this.#stream.write("\n");
  }

  #draw(percent: number): void {
    this.#drawnPercent = percent;
    const filled = Math.round((percent / 100) * BAR_WIDTH);
    const bar = "#".repeat(filled) + "-".repeat(BAR_WIDTH - filled);
    const line = `${this.#label} [${bar}] ${String(percent).padStart(3)}% ${megabytes(this.#done)}/${megabytes(this.#total)} MB`;
    // \x1b[K clears what a longer earlier line left behind.
    this.#stream.write(`\r${line}\x1b[K`);
  }
}

function megabytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}

/** `inner`, with a bar on `stream` for bodies of at least `threshold` bytes, when `stream` is a terminal. */
export function progressFetch(inner: FetchLike, stream: TextStream, threshold = PROGRESS_THRESHOLD_BYTES): FetchLike {
  if (stream.isTTY !== true) return inner;
  return async (input, init) => {
    const body = init.body;
    let upload: ProgressBar | null = null;
    let sent = init;
    if (body instanceof Uint8Array && body.byteLength >= threshold) {
      upload = new ProgressBar(stream, `upload  ${pathOf(input)}`, body.byteLength);
      // A stream body is sent as it is read, so the bar follows the socket; `duplex` is required for it.
      // Its length is declared as the bytes' was: sent chunked instead, a large body is refused (411),
      // as the Worker buffers a body of undeclared length only up to 1 MB.
      const headers = new Headers(init.headers);
      headers.set("Content-Length", String(body.byteLength));
      sent = { ...init, headers, body: sliced(body, upload), duplex: "half" } as RequestInit;
    }
    let res: Response;
    try {
      res = await inner(input, sent);
    } catch (error) {
      upload?.finish(false);
      throw error;
    }
    upload?.finish(true);
    return countedResponse(res, stream, threshold, pathOf(input));
  };
}

function sliced(bytes: Uint8Array, bar: ProgressBar): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) {
        controller.close();
        return;
      }
      const slice = bytes.subarray(offset, offset + SLICE_BYTES);
      offset += slice.byteLength;
      controller.enqueue(slice);
      bar.advance(slice.byteLength);
    },
  });
}

function countedResponse(res: Response, stream: TextStream, threshold: number, path: string): Response {
  const length = Number(res.headers.get("Content-Length"));
  if (res.body === null || !Number.isFinite(length) || length < threshold) return res;
  const bar = new ProgressBar(stream, `download ${path}`, length);
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      bar.advance(chunk.byteLength);
      controller.enqueue(chunk);
    },
    flush() {
      bar.finish(true);
    },
  });
  return new Response(res.body.pipeThrough(counter), {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
}

function pathOf(input: string): string {
  try {
    return new URL(input).pathname;
  } catch {
    return input;
  }
}
