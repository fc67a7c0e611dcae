/**
 * Large bodies from callers who cannot authenticate, on every route that takes a body: each is
 * refused with 401 after at most its first chunks were pulled, whatever the body's size, whether its
 * length is declared, and however the credential is wrong; storage is byte-identical afterwards.
 * Bounded in `npm test`, longer under SOAK=1; the seed is fixed and printed on failure.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { callWith } from "./support/api.ts";
import { claimedUser, type TestUser } from "./support/docs.ts";
import { SOAK } from "./support/soak-mode.ts";
import { storageSnapshot } from "./support/storage-snapshot.ts";
import { tokenFor } from "./support/tokens.ts";

const RUNS = SOAK ? 400 : 60;
const SEED = 0xb0d1e5;
const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;

type Credential = "none" | "malformed" | "made-up" | "other-user";

interface Shape {
  route: "document" | "change" | "snapshot" | "device" | "credential" | "upload-bearer" | "upload-capability";
  credential: Credential;
  size: number;
  declared: boolean;
}

let owner: TestUser;
let other: TestUser;

beforeAll(async () => {
  owner = await claimedUser("owner");
  other = await claimedUser("other");
});

async function tokenOf(credential: Credential): Promise<string | null> {
  switch (credential) {
    case "none":
      return null;
    case "malformed":
      return "not a token!";
    case "made-up":
      return tokenFor(`made-up-${crypto.randomUUID()}`);
    case "other-user":
      return other.token;
  }
}

function countedBody(size: number): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  let sent = 0;
  const chunk = new Uint8Array(CHUNK).fill(0x7b);
  chunk[0] = 0x80;
  return {
    body: new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= size) return controller.close();
        const part = chunk.slice(0, Math.min(CHUNK, size - sent));
        sent += part.byteLength;
        controller.enqueue(part);
      },
    }),
    pulled: () => sent,
  };
}

async function attempt(shape: Shape): Promise<{ status: number; pulled: number }> {
  const token = await tokenOf(shape.credential);
  const bearer: Record<string, string> = token === null ? {} : { Authorization: `Bearer ${token}` };
  const base = `/v1/users/${owner.user}`;
  const [method, path, headers] = ((): [string, string, Record<string, string>] => {
    switch (shape.route) {
      case "document":
        return ["PUT", `${base}/docs/notes`, { ...bearer, "Content-Type": "application/octet-stream" }];
      case "change":
        return [
          "POST",
          `${base}/docs/notes/changes`,
          { ...bearer, "Content-Type": "application/octet-stream", "X-Device-Id": "dev-1", "X-Sync-Version": "2" },
        ];
      case "snapshot":
        return ["PUT", `${base}/docs/notes/snapshots/1`, { ...bearer, "Content-Type": "application/octet-stream" }];
      case "device":
        return ["PUT", `${base}/devices/dev-1`, { ...bearer, "Content-Type": "application/json" }];
      case "credential":
        return ["PUT", `${base}/credential`, { ...bearer, "Content-Type": "application/json" }];
      case "upload-bearer":
        return ["POST", "/upload", { ...bearer, "Content-Type": "application/json" }];
      case "upload-capability":
        return ["POST", `/legacy/${encodeURIComponent(token ?? "x")}/upload`, { "Content-Type": "application/json" }];
    }
  })();
  const { body, pulled } = countedBody(shape.size);
  const res = await callWith({}, path, {
    method,
    headers: shape.declared ? { ...headers, "Content-Length": String(shape.size) } : headers,
    body,
    duplex: "half",
  } as RequestInit);
  await res.body?.cancel();
  return { status: res.status, pulled: pulled() };
}

// A Python-style upload names its account in the body's first bytes; these bodies name none, so
// every shape, made-up and other users' tokens included, is refused after at most those bytes.
const shapes = fc.record({
  route: fc.constantFrom<Shape["route"]>(
    "document",
    "change",
    "snapshot",
    "device",
    "credential",
    "upload-bearer",
    "upload-capability",
  ),
  credential: fc.constantFrom<Credential>("none", "malformed", "made-up", "other-user"),
  size: fc.constantFrom(2 * CHUNK, 8 * MiB, 60 * MiB),
  declared: fc.boolean(),
});
describe("large bodies from callers who cannot authenticate", () => {
  it("are refused with 401 before more than one chunk is read, and change nothing", async () => {
    const before = await storageSnapshot([owner.user, other.user]);
    await fc.assert(
      fc.asyncProperty(shapes, async (shape) => {
        const { status, pulled } = await attempt(shape);
        expect({ shape, status }).toEqual({ shape, status: 401 });
        expect(pulled).toBeLessThanOrEqual(2 * CHUNK);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    expect(await storageSnapshot([owner.user, other.user])).toEqual(before);
  });
});
