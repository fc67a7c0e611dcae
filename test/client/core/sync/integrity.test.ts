import { describe, expect, it } from "vitest";
import type { SyncError } from "../../../../client/core/errors.ts";
import {
  chainForkError,
  chainStatus,
  checkHistoric,
  checkServed,
  checkVersionNumber,
  recordSeen,
  SEEN_LIMIT,
  tokenHash,
} from "../../../../client/core/sync/integrity.ts";

function thrown(fn: () => void): SyncError {
  try {
    fn();
  } catch (error) {
    return error as SyncError;
  }
  throw new Error("expected a throw");
}

describe("integrity checks", () => {
  const seen = recordSeen(recordSeen(undefined, 4, "h4"), 5, "h5");

  it("accepts anything on a document this device has never seen", () => {
    expect(() => checkServed(undefined, "alice/default", { version: 1, hash: "x", base: "y" })).not.toThrow();
    expect(chainStatus(undefined, { version: 1, hash: "x", base: "y" })).toBe("chains");
  });

  it("accepts the next version when it chains to the one this device saw", () => {
    expect(() => checkServed(seen, "alice/default", { version: 6, hash: "h6", base: "h5" })).not.toThrow();
    expect(chainStatus(seen, { version: 6, hash: "h6", base: "h5" })).toBe("chains");
    expect(() => checkServed(seen, "alice/default", { version: 5, hash: "h5", base: "h4" })).not.toThrow();
    expect(chainStatus(seen, { version: 5, hash: "h5", base: "h4" })).toBe("chains");
  });

  it("reports an older version than the newest seen as rollback_detected", () => {
    const error = thrown(() => checkServed(seen, "alice/default", { version: 4, hash: "h4", base: null }));
    expect(error.code).toBe("rollback_detected");
    expect(error.message).toContain("version 4 of alice/default");
    expect(error.message).toContain("already seen version 5");
    expect(thrown(() => checkVersionNumber(seen, "alice/default", 3)).code).toBe("rollback_detected");
  });

  it("reports a version seen before with other content as fork_detected", () => {
    const error = thrown(() => checkServed(seen, "alice/default", { version: 5, hash: "other", base: "h4" }));
    expect(error.code).toBe("fork_detected");
    expect(error.message).toContain("diverging histories");
  });

  it("finds a next version whose base does not chain, and names it in a fork_detected error", () => {
    expect(chainStatus(seen, { version: 6, hash: "h6", base: "elsewhere" })).toBe("break");
    const error = chainForkError("alice/default", 6);
    expect(error.code).toBe("fork_detected");
    expect(error.message).toContain("not written on top of version 5");
  });

  it("cannot check a Python write, which carries no base, and tells a byte copy of a seen version (a server-side restore)", () => {
    expect(chainStatus(seen, { version: 6, hash: "py", base: undefined })).toBe("chains");
    expect(chainStatus(seen, { version: 6, hash: "h4", base: "h3" })).toBe("copy");
  });

  it("cannot check a version whose predecessor it never saw, and accepts it", () => {
    expect(chainStatus(seen, { version: 9, hash: "h9", base: "h8" })).toBe("chains");
  });

  it("accepts any older version from history unless it differs from the same version seen before", () => {
    expect(() => checkHistoric(seen, "alice/default", 4, "h4")).not.toThrow();
    expect(() => checkHistoric(seen, "alice/default", 2, "anything")).not.toThrow();
    expect(thrown(() => checkHistoric(seen, "alice/default", 4, "other")).code).toBe("fork_detected");
  });

  it("remembers the newest version and a bounded window of hashes", () => {
    let record = recordSeen(undefined, 1, "h1");
    for (let v = 2; v <= SEEN_LIMIT + 10; v++) record = recordSeen(record, v, `h${v}`);
    record = recordSeen(record, 3, "late");
    expect(record.newest).toBe(SEEN_LIMIT + 10);
    expect(record.seen).toHaveLength(SEEN_LIMIT);
    expect(record.seen.at(-1)).toEqual([SEEN_LIMIT + 10, `h${SEEN_LIMIT + 10}`]);
  });

  it("hashes a token as SHA-256 hex", async () => {
    expect(await tokenHash(new TextEncoder().encode("abc"))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });
});
