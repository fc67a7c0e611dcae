import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { ApiClient } from "../../../../client/core/wire/api-client.ts";
import { decodeEnvelope } from "../../../../client/core/wire/envelope.ts";
import { gunzipCapped } from "../../../../client/core/wire/inflate.ts";

const MiB = 1024 * 1024;

/** What a compromised device could seal: a small gzip that inflates to `size` bytes of JSON. */
function bomb(size: number): Uint8Array {
  const json = `{"username":"u","device_id":"d","timestamp":"t","data":"${"a".repeat(size)}"}`;
  return new Uint8Array(gzipSync(json));
}

describe("gunzipCapped", () => {
  it("inflates what fits under the cap, byte for byte", async () => {
    const text = JSON.stringify({ turns: Array.from({ length: 500 }, (_, i) => ({ id: i, text: "hello" })) });
    const out = await gunzipCapped(new Uint8Array(gzipSync(text)), MiB);
    expect(new TextDecoder().decode(out)).toBe(text);
  });

  it("stops a gzip bomb as soon as the output passes the cap", async () => {
    const small = bomb(64 * MiB);
    expect(small.byteLength).toBeLessThan(128 * 1024);
    const error = await gunzipCapped(small, MiB).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "SyncError", code: "payload_too_large" });
    expect((error as Error).message).toContain(`${MiB} bytes`);
  });
});

describe("decodeEnvelope", () => {
  it("refuses a token whose plaintext inflates past the limit, naming payload_too_large", async () => {
    await expect(decodeEnvelope(bomb(8 * MiB), 2 * MiB)).rejects.toMatchObject({ code: "payload_too_large" });
  });

  it("still reads a compressed envelope under the limit", async () => {
    const envelope = await decodeEnvelope(bomb(1000), 2 * MiB);
    expect(envelope.data).toBe("a".repeat(1000));
  });
});

describe("an answer from a hostile server", () => {
  const api = (body: BodyInit, headers: Record<string, string>) =>
    new ApiClient({
      baseUrl: "https://sync.example/",
      deviceId: "dev1",
      token: async () => "tok",
      fetch: async () => new Response(body, { status: 200, headers: { ETag: '"1"', ...headers } }),
    });

  it("is refused unread when it declares more than the largest document", async () => {
    const error = await api("x", { "Content-Length": String(2 ** 40) })
      .getDocument("alice", "notes")
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "payload_too_large" });
  });

  it("is cut off once an endless body passes the largest document", async () => {
    let sent = 0;
    const chunk = new Uint8Array(4 * MiB);
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const error = await api(endless, {})
      .getDocument("alice", "notes")
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "payload_too_large" });
    expect(sent).toBeLessThan(300 * MiB);
  });
});
