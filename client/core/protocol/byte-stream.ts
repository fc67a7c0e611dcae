/**
 * Reading byte streams with a bound, shared by the client's capped gunzip and the Worker's request
 * body readers: each must stop reading the moment a stream passes its limit, not after buffering it.
 */

/** The chunks joined into one array. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * Reads `reader` to its end into one array. As soon as more than `cap` bytes have come it cancels
 * the stream and throws `tooLarge()`; a failed read rejects with the stream's own error.
 */
export async function readCapped(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  cap: number,
  tooLarge: () => Error,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) break;
    total += chunk.value.byteLength;
    if (total > cap) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(chunk.value);
  }
  return concatBytes(chunks);
}

/**
 * A stream of the chunks already taken from `reader` and then the rest of it, for a check that
 * looks at a body's first bytes and passes the body on whole. Cancelling it cancels `reader`.
 */
export function replayStream(
  seen: readonly Uint8Array[],
  reader: ReadableStreamDefaultReader<Uint8Array>,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of seen) controller.enqueue(chunk);
    },
    async pull(controller) {
      const chunk = await reader.read();
      if (chunk.done) controller.close();
      else controller.enqueue(chunk.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
