/** Bounded reading and replaying of byte streams, as the capped gunzip and the Worker's body readers use them. */
import { describe, expect, it } from "vitest";
import { concatBytes, readCapped, replayStream } from "../../../../client/core/protocol/byte-stream.ts";

/** A stream of `chunks` that records whether it was cancelled and how many chunks were pulled. */
function source(chunks: Uint8Array[]) {
  const seen = { pulled: 0, cancelled: false };
  let next = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[next++];
      if (chunk === undefined) return controller.close();
      seen.pulled += 1;
      controller.enqueue(chunk);
    },
    cancel() {
      seen.cancelled = true;
    },
  });
  return { reader: stream.getReader(), seen };
}

const bytes = (...values: number[]) => new Uint8Array(values);

async function drain(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

describe("concatBytes", () => {
  it("joins chunks in order, empty ones included, and gives an empty array for none", () => {
    expect(concatBytes([bytes(1, 2), bytes(), bytes(3)])).toEqual(bytes(1, 2, 3));
    expect(concatBytes([])).toEqual(bytes());
  });
});

describe("readCapped", () => {
  it("reads a stream of exactly the cap to its end", async () => {
    const { reader } = source([bytes(1, 2), bytes(3, 4)]);
    expect(await readCapped(reader, 4, () => new RangeError("too large"))).toEqual(bytes(1, 2, 3, 4));
  });

  it("cancels the stream and throws the caller's error at the first chunk past the cap", async () => {
    const { reader, seen } = source([bytes(1, 2), bytes(3, 4), bytes(5), bytes(6)]);
    const error = await readCapped(reader, 3, () => new RangeError("over 3 bytes")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toBe("over 3 bytes");
    expect(seen.cancelled).toBe(true);
    expect(seen.pulled).toBeLessThan(4);
  });

  it("rejects with the stream's own error when a read fails", async () => {
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new TypeError("connection reset"));
      },
    });
    await expect(readCapped(stream.getReader(), 10, () => new RangeError("too large"))).rejects.toThrow(
      "connection reset",
    );
  });
});

describe("replayStream", () => {
  it("gives the chunks already read, then the rest of the stream", async () => {
    const { reader } = source([bytes(1), bytes(2, 3), bytes(4)]);
    const first = await reader.read();
    expect(await drain(replayStream([first.value!], reader))).toEqual(bytes(1, 2, 3, 4));
  });

  it("cancels the underlying stream when it is cancelled", async () => {
    const { reader, seen } = source([bytes(1), bytes(2)]);
    await replayStream([], reader).cancel("not wanted");
    expect(seen.cancelled).toBe(true);
  });
});
