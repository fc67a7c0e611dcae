/** The Python module's `encrypted_data`, streamed: the same bytes as the whole-token encoding, whatever the chunking. */
import { describe, expect, it } from "vitest";
import { encodeEncryptedData, encryptedDataLength, encryptedDataStream } from "../../worker/http/legacy-token.ts";

function chunked(bytes: Uint8Array, sizes: number[]): ReadableStream<Uint8Array> {
  let offset = 0;
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) return controller.close();
      const size = sizes[i++ % sizes.length]!;
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
  });
}

describe("encryptedDataStream", () => {
  for (const length of [0, 1, 2, 3, 89, 90, 91, 70_001]) {
    it(`gives the hex of the padded base64 of a ${length}-byte token, split into odd chunks`, async () => {
      const token = new Uint8Array(length);
      crypto.getRandomValues(token.subarray(0, Math.min(length, 65536)));
      const streamed = await new Response(encryptedDataStream(chunked(token, [1, 7, 4096, 2, 65537]))).text();
      expect(streamed).toBe(encodeEncryptedData(token));
      expect(streamed.length).toBe(encryptedDataLength(length));
    });
  }
});
