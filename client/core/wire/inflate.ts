/**
 * Gunzip with a hard cap on the output: a small token from a compromised device or a hostile
 * server could otherwise inflate to gigabytes (gzip reaches about 1000:1) before anything looks at
 * it. The output is counted as it streams and the inflation stops the moment it passes the cap.
 */
import { SyncError } from "../errors.ts";
import { readCapped } from "../protocol/byte-stream.ts";

/** The most a document may inflate to unless the application says otherwise: 256 MiB. */
export const DEFAULT_MAX_DOCUMENT_BYTES = 256 * 1024 * 1024;

/** Gunzips `bytes`; SyncError `payload_too_large` as soon as the output passes `maxBytes`. */
export async function gunzipCapped(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
  const reader = source
    .pipeThrough(new DecompressionStream("gzip") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>)
    .getReader();
  return readCapped(reader, maxBytes, () => tooLarge(maxBytes));
}

export function tooLarge(maxBytes: number): SyncError {
  return new SyncError(
    "payload_too_large",
    `The document is larger than ${maxBytes} bytes once decompressed (maxDocumentBytes): nothing was merged or written.`,
  );
}
