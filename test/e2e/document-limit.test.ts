/** A document that decompresses past maxDocumentBytes (a gzip bomb from a compromised device) is refused, merged nowhere. */
import { describe, expect, it } from "vitest";
import { SyncError } from "../../client/core/errors.ts";
import { freshKey, freshUser, manager } from "../support/sync-clients.ts";
import { useWorkerServer } from "../support/use-worker-server.ts";

const server = useWorkerServer();

describe("a document larger than maxDocumentBytes once decompressed", () => {
  it("is refused as payload_too_large on pull, and the device keeps what it had", async () => {
    const [user, key] = [freshUser("bomb"), freshKey()];
    const writer = await manager(server.url, { key, deviceId: "compromised" });
    const reader = await manager(server.url, { key, deviceId: "phone", maxDocumentBytes: 1024 * 1024 });
    await writer.syncUpload(user, { note: "small" }, { doc: "memory" });
    expect(await reader.syncDownload(user, { doc: "memory" })).toEqual({ note: "small" });
    // 8 MiB of one letter gzips to a few KiB: what a compromised device could seal.
    await writer.syncUpload(user, { note: "a".repeat(8 * 1024 * 1024) }, { doc: "memory" });
    const error = await reader.syncDownload(user, { doc: "memory" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyncError);
    expect(error).toMatchObject({ code: "payload_too_large" });
    expect((error as Error).message).toContain("maxDocumentBytes");
    const roomy = await manager(server.url, { key, deviceId: "desktop" });
    expect(((await roomy.syncDownload(user, { doc: "memory" })) as { note: string }).note).toHaveLength(
      8 * 1024 * 1024,
    );
  });

  it("is refused at construction when below 1024 bytes", async () => {
    await expect(manager(server.url, { key: freshKey(), deviceId: "x", maxDocumentBytes: 10 })).rejects.toThrow(
      RangeError,
    );
  });
});
