import { describe, expect, it } from "vitest";
import { checkBinding, tokenKind } from "../../../../client/core/sync/binding.ts";
import type { Envelope } from "../../../../client/core/wire/envelope.ts";
import type { SyncError } from "../../../../client/core/errors.ts";

const sync = { v: 1 as const, base: null, counter: 1, hlc: "h", clocks: {} };
const bound: Envelope = {
  username: "alice",
  device_id: "laptop",
  timestamp: "2025-01-01T10:00:00",
  data: {},
  sync: { ...sync, doc: "notes", version: 3 },
};
const unbound: Envelope = { ...bound, sync };
const python: Envelope = { username: "alice", device_id: "py", timestamp: "2025-01-01T10:00:00", data: {} };
const where = 'document "notes" of alice';

function refusal(envelope: Envelope, place: { username: string; doc: string; version: number }): SyncError {
  try {
    checkBinding(envelope, place, where);
  } catch (error) {
    return error as SyncError;
  }
  throw new Error("expected tamper_detected");
}

describe("the binding check", () => {
  it("tells bound, unbound (previous release) and Python tokens apart", () => {
    expect([tokenKind(bound), tokenKind(unbound), tokenKind(python)]).toEqual(["bound", "unbound", "python"]);
  });

  it("accepts a bound token served as the user, document and version it names", () => {
    expect(checkBinding(bound, { username: "alice", doc: "notes", version: 3 }, where)).toBe("bound");
  });

  it("refuses a token of another document served under this name as tamper_detected", () => {
    const error = refusal(bound, { username: "alice", doc: "default", version: 3 });
    expect(error.code).toBe("tamper_detected");
    expect(error.message).toBe(
      `The server served ${where} as version 3, but the token says it is version 3 of document "notes" of alice: ` +
        "a token was moved or copied to where it does not belong. Nothing was merged.",
    );
  });

  it("refuses an old token served as a later version as tamper_detected", () => {
    const error = refusal(bound, { username: "alice", doc: "notes", version: 5 });
    expect(error.code).toBe("tamper_detected");
    expect(error.message).toContain("as version 5, but the token says it is version 3");
  });

  it("refuses a token of another user, bound or not, as tamper_detected", () => {
    for (const envelope of [bound, unbound, python]) {
      expect(refusal(envelope, { username: "bob", doc: "default", version: 3 }).code).toBe("tamper_detected");
    }
  });

  it("takes an unbound token on its username alone, for any document and version", () => {
    expect(checkBinding(unbound, { username: "alice", doc: "notes", version: 9 }, where)).toBe("unbound");
  });

  it("takes a Python envelope only under default, the one document the Python module writes", () => {
    expect(checkBinding(python, { username: "alice", doc: "default", version: 9 }, where)).toBe("python");
    const error = refusal(python, { username: "alice", doc: "notes", version: 9 });
    expect(error.code).toBe("tamper_detected");
    expect(error.message).toContain('written by the Python module (document "default" only)');
  });
});
