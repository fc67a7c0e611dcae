import { describe, expect, it } from "vitest";
import type { SyncError } from "../../../../client/core/errors.ts";
import {
  chainForkError,
  checkHistoric,
  checkServed,
  checkVersionNumber,
  recordSeen,
  SEEN_LIMIT,
  tokenHash,
  MAX_CHAIN_WALK,
  verifyServed,
  type HistoryReader,
} from "../../../../client/core/sync/integrity.ts";
import type { Envelope } from "../../../../client/core/wire/envelope.ts";

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
  });

  it("accepts the version this device saw, unchanged", () => {
    expect(() => checkServed(seen, "alice/default", { version: 5, hash: "h5", base: "h4" })).not.toThrow();
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

  it("names the version that breaks the chain in a fork_detected error", () => {
    const error = chainForkError("alice/default", 6);
    expect(error.code).toBe("fork_detected");
    expect(error.message).toContain("not written on top of version 5");
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

/** An in-memory history: version -> token bytes, each "token" a JSON envelope (no encryption needed here). */
function historyOf(versions: Record<number, Envelope>): HistoryReader {
  const bytes = new Map(
    Object.entries(versions).map(([v, e]) => [Number(v), new TextEncoder().encode(JSON.stringify(e))]),
  );
  return {
    readVersion: async (v) => bytes.get(v) ?? null,
    open: async (raw) => JSON.parse(new TextDecoder().decode(raw)) as Envelope,
  };
}

async function hashOf(envelope: Envelope): Promise<string> {
  return tokenHash(new TextEncoder().encode(JSON.stringify(envelope)));
}

function ours(doc: string, base: string | null, version?: number): Envelope {
  const sync = { v: 1 as const, base, counter: 1, hlc: "h", clocks: {} };
  return {
    username: "alice",
    device_id: "laptop",
    timestamp: "t",
    data: {},
    sync: version === undefined ? sync : { ...sync, doc, version },
  };
}

async function refusal(promise: Promise<unknown>): Promise<SyncError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (error === null) throw new Error("expected a refusal");
  return error as SyncError;
}

describe("verifyServed", () => {
  const where = 'document "notes" of alice';
  const place = (version: number) => ({ username: "alice", doc: "notes", version });

  it("accepts the next version when it chains to the one this device saw", async () => {
    const seenFive = recordSeen(undefined, 5, "h5");
    const six = ours("notes", "h5", 6);
    expect(
      await verifyServed(seenFive, place(6), where, { hash: await hashOf(six), envelope: six }, historyOf({})),
    ).toBe("chains");
  });

  it("checks every version of a gap back to the one this device saw", async () => {
    const seenFive = recordSeen(undefined, 5, "h5");
    const six = ours("notes", "h5", 6);
    const seven = ours("notes", await hashOf(six), 7);
    const history = historyOf({ 6: six });
    expect(await verifyServed(seenFive, place(7), where, { hash: await hashOf(seven), envelope: seven }, history)).toBe(
      "chains",
    );
    const forked = ours("notes", "elsewhere", 6);
    const eight = ours("notes", await hashOf(forked), 7);
    const error = await refusal(
      verifyServed(seenFive, place(7), where, { hash: await hashOf(eight), envelope: eight }, historyOf({ 6: forked })),
    );
    expect(error.code).toBe("fork_detected");
    expect(error.message).toContain("Version 6 of");
  });

  it("refuses a version that does not chain to the one this device saw, with no copy exception", async () => {
    const seenFive = recordSeen(recordSeen(undefined, 4, "h4"), 5, "h5");
    // Byte for byte a version seen earlier, bound as what it was: its binding is what refuses it now.
    const old = ours("notes", "h3", 4);
    const error = await refusal(verifyServed(seenFive, place(6), where, { hash: "h4", envelope: old }, historyOf({})));
    expect(error.code).toBe("tamper_detected");
    const unboundCopy = ours("notes", "h3");
    const fork = await refusal(
      verifyServed(seenFive, place(6), where, { hash: "h4", envelope: unboundCopy }, historyOf({})),
    );
    expect(fork.code).toBe("fork_detected");
  });

  it("reports a gap over a pruned predecessor as unverifiable, and refuses an unbound token there", async () => {
    const seenFive = recordSeen(undefined, 5, "h5");
    const eight = ours("notes", "h7", 8);
    expect(await verifyServed(seenFive, place(8), where, { hash: "h8", envelope: eight }, historyOf({}))).toBe(
      "unverifiable",
    );
    const error = await refusal(
      verifyServed(seenFive, place(8), where, { hash: "h8", envelope: ours("notes", "h7") }, historyOf({})),
    );
    expect(error.code).toBe("unverifiable_history");
    expect(error.message).toContain("versions 6 to 7 before it can no longer be read");
  });

  it("takes a bound first write after a delete as a fresh start, and an unbound one as unverifiable", async () => {
    const seenFive = recordSeen(undefined, 5, "h5");
    const recreated = ours("notes", null, 7);
    expect(await verifyServed(seenFive, place(7), where, { hash: "h7", envelope: recreated }, historyOf({}))).toBe(
      "chains",
    );
    const replayed = ours("notes", null);
    expect(
      (await refusal(verifyServed(seenFive, place(7), where, { hash: "h7", envelope: replayed }, historyOf({})))).code,
    ).toBe("unverifiable_history");
    // A first write right after a version this device saw live cannot follow it: another history.
    expect(
      (
        await refusal(
          verifyServed(seenFive, place(6), where, { hash: "h6", envelope: ours("notes", null, 6) }, historyOf({})),
        )
      ).code,
    ).toBe("fork_detected");
  });

  it("takes a Python upload on default across a pruned gap as unverifiable, and refuses one elsewhere", async () => {
    const seenFive = recordSeen(undefined, 5, "h5");
    const python: Envelope = { username: "alice", device_id: "py", timestamp: "2025-01-01T10:00:00", data: {} };
    const onDefault = { username: "alice", doc: "default", version: 8 };
    expect(await verifyServed(seenFive, onDefault, where, { hash: "h8", envelope: python }, historyOf({}))).toBe(
      "unverifiable",
    );
    const elsewhere = await refusal(
      verifyServed(seenFive, place(8), where, { hash: "h8", envelope: python }, historyOf({})),
    );
    expect(elsewhere.code).toBe("tamper_detected");
  });

  it("refuses a token of another document met in the gap as tamper_detected", async () => {
    const seenFive = recordSeen(undefined, 5, "h5");
    const foreign = ours("other", "h5", 6);
    const seven = ours("notes", await hashOf(foreign), 7);
    const error = await refusal(
      verifyServed(seenFive, place(7), where, { hash: "h7", envelope: seven }, historyOf({ 6: foreign })),
    );
    expect(error.code).toBe("tamper_detected");
  });

  it("accepts an unbound token (the previous release) as a first read, as the version seen, or when it chains", async () => {
    const unbound = ours("notes", "h5");
    expect(await verifyServed(undefined, place(6), where, { hash: "h6", envelope: unbound }, historyOf({}))).toBe(
      "chains",
    );
    const seenSix = recordSeen(recordSeen(undefined, 5, "h5"), 6, "h6");
    expect(await verifyServed(seenSix, place(6), where, { hash: "h6", envelope: unbound }, historyOf({}))).toBe(
      "chains",
    );
    const seenFive = recordSeen(undefined, 5, "h5");
    expect(await verifyServed(seenFive, place(6), where, { hash: "h6", envelope: unbound }, historyOf({}))).toBe(
      "chains",
    );
  });
});

describe("the chain walk", () => {
  it("reads at most MAX_CHAIN_WALK versions back, however far ahead the served version is", async () => {
    // A history that chains all the way: every version is bound and based on the one before.
    const top = 6 + MAX_CHAIN_WALK + 50;
    const chain = new Map<number, Envelope>([[5, ours("notes", "h4", 5)]]);
    for (let v = 6; v <= top; v++) chain.set(v, ours("notes", await hashOf(chain.get(v - 1)!), v));
    let reads = 0;
    const history: HistoryReader = {
      readVersion: async (v) => {
        reads += 1;
        const envelope = chain.get(v);
        return envelope === undefined ? null : new TextEncoder().encode(JSON.stringify(envelope));
      },
      open: async (raw) => JSON.parse(new TextDecoder().decode(raw)) as Envelope,
    };
    const seenFive = recordSeen(undefined, 5, await hashOf(chain.get(5)!));
    const served = chain.get(top)!;
    const place = { username: "alice", doc: "notes", version: top };
    expect(
      await verifyServed(seenFive, place, "notes", { hash: await hashOf(served), envelope: served }, history),
    ).toBe("unverifiable");
    expect(reads).toBeLessThanOrEqual(MAX_CHAIN_WALK);
  });
});
