import { describe, expect, it } from "vitest";
import { ApiClient } from "../../../../client/core/wire/api-client.ts";
import { parseEtag } from "../../../../client/core/wire/api-responses.ts";
import { isTransientError } from "../../../../client/core/errors.ts";
import type { FetchLike } from "../../../../client/core/ports.ts";
import { failure } from "../../../support/sync-failure.ts";

interface Seen {
  url: string;
  init: RequestInit;
}

/** A fake fetch in addition to the e2e suite (which uses the real Worker): it lets a test pick any status. */
function client(
  respond: (seen: Seen) => Response | Promise<Response>,
  extra: Partial<ConstructorParameters<typeof ApiClient>[0]> = {},
) {
  const calls: Seen[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push({ url, init });
    return respond({ url, init });
  };
  const api = new ApiClient({
    baseUrl: "https://sync.example/",
    deviceId: "dev1",
    token: async (u) => `tok-${u}`,
    fetch,
    ...extra,
  });
  return { api, calls };
}

function header(init: RequestInit, name: string): string | undefined {
  return (init.headers as Record<string, string>)[name];
}

function errorBody(status: number, code: string, message = "nope", headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

describe("ApiClient", () => {
  it("checks its options before any request", () => {
    const token = async () => "t";
    expect(() => new ApiClient({ baseUrl: "ftp://x", deviceId: "d", token })).toThrow(TypeError);
    expect(() => new ApiClient({ baseUrl: "not a url", deviceId: "d", token })).toThrow(TypeError);
    expect(() => new ApiClient({ baseUrl: "https://x?q=1", deviceId: "d", token })).toThrow(TypeError);
    expect(() => new ApiClient({ baseUrl: "https://x", deviceId: "", token })).toThrow(TypeError);
    expect(() => new ApiClient({ baseUrl: "https://x", deviceId: "d", token, timeoutMs: 0 })).toThrow(RangeError);
  });

  it("sends the bearer token, the device id and If-Match on a conditional write", async () => {
    const info = {
      name: "default",
      version: 4,
      etag: '"4"',
      size: 3,
      updated_at: "2025-01-01T00:00:00Z",
      device_id: "dev1",
    };
    const { api, calls } = client(() => Response.json(info, { status: 200 }));
    const outcome = await api.putDocument("alice", "default", new Uint8Array([1, 2, 3]), { ifMatch: 3 });
    expect(outcome).toEqual({ ok: true, info });
    const [call] = calls;
    expect(call?.url).toBe("https://sync.example/v1/users/alice/docs/default");
    expect(call?.init.method).toBe("PUT");
    expect(header(call!.init, "Authorization")).toBe("Bearer tok-alice");
    expect(header(call!.init, "X-Device-Id")).toBe("dev1");
    expect(header(call!.init, "If-Match")).toBe('"3"');
  });

  it("turns a 412 into a lost compare-and-swap naming the current version", async () => {
    const { api } = client(() => errorBody(412, "precondition_failed", "stale", { ETag: '"7"' }));
    expect(await api.putDocument("alice", "default", new Uint8Array(1), { ifMatch: 3 })).toEqual({
      ok: false,
      currentVersion: 7,
      nextVersion: null,
    });
  });

  it("names the version sealed in the token as X-Sync-Version, and reads the number a 412 says to seal instead", async () => {
    const { api, calls } = client(() =>
      errorBody(412, "precondition_failed", "would be 5", { "X-Sync-Next-Version": "5" }),
    );
    expect(await api.putDocument("alice", "notes", new Uint8Array(1), { ifNoneMatch: "*" }, 1)).toEqual({
      ok: false,
      currentVersion: null,
      nextVersion: 5,
    });
    expect(header(calls[0]!.init, "X-Sync-Version")).toBe("1");
    expect(header(calls[0]!.init, "If-None-Match")).toBe("*");
  });

  it("reads a document's bytes and version, a 404 as null and a 304 as not_modified", async () => {
    const { api, calls } = client(({ init }) => {
      const inm = header(init, "If-None-Match");
      if (inm === '"9"') return new Response(null, { status: 304 });
      if (inm === '"1"') return errorBody(404, "not_found");
      return new Response(new Uint8Array([7, 8]), {
        headers: { ETag: '"9"', "X-Sync-Device": "dev2", "Last-Modified": "Wed, 01 Jan 2025 10:00:00 GMT" },
      });
    });
    expect(await api.getDocument("alice", "notes")).toEqual({
      bytes: new Uint8Array([7, 8]),
      version: 9,
      deviceId: "dev2",
      storedAt: Date.UTC(2025, 0, 1, 10),
    });
    expect(await api.getDocument("alice", "notes", { ifNoneMatch: 9 })).toBe("not_modified");
    expect(await api.getDocument("alice", "notes", { ifNoneMatch: 1 })).toBeNull();
    expect(calls[0]?.url).toBe("https://sync.example/v1/users/alice/docs/notes");
  });

  it("maps server errors to SyncError codes, with the server's message", async () => {
    const cases: Array<[Response, string]> = [
      [errorBody(401, "unauthorized"), "unauthorized"],
      [errorBody(409, "username_taken"), "username_taken"],
      [errorBody(413, "quota_exceeded"), "quota_exceeded"],
      [errorBody(429, "rate_limited"), "rate_limited"],
      [errorBody(503, "unavailable"), "network"],
      [errorBody(500, "internal_error"), "server_error"],
      [new Response("<html>bad gateway</html>", { status: 502 }), "network"],
      [new Response("teapot", { status: 418 }), "bad_request"],
    ];
    for (const [response, code] of cases) {
      const { api } = client(() => response);
      const error = await failure(api.listDocuments("alice"));
      expect(error.code).toBe(code);
      expect(error.status).toBe(response.status);
    }
    const { api } = client(() => errorBody(401, "unauthorized"));
    expect((await failure(api.listDocuments("alice"))).message).toContain("FERNET_KEY");
  });

  it("reports an unreachable server and a timeout as network errors, which are transient", async () => {
    const { api } = client(() => {
      throw new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } });
    });
    const refused = await failure(api.listDevices("alice"));
    expect(refused.code).toBe("network");
    expect(refused.message).toContain("ECONNREFUSED");
    expect(isTransientError(refused)).toBe(true);

    const slow = client(
      ({ init }) =>
        new Promise<Response>((_, reject) => {
          init.signal?.addEventListener("abort", () => reject(init.signal?.reason));
        }),
      { timeoutMs: 20 },
    );
    const timeout = await failure(slow.api.listDevices("alice"));
    expect(timeout.code).toBe("network");
    expect(timeout.message).toContain("no answer within 0.02 s");
  });

  it("reports the server's Date against the local clock", async () => {
    const dates: Array<[number, number]> = [];
    const { api } = client(
      () => Response.json({ devices: [] }, { headers: { Date: "Wed, 01 Jan 2025 10:00:00 GMT" } }),
      {
        clock: { now: () => 1000 },
        onServerDate: (server, local) => void dates.push([server, local]),
      },
    );
    await api.listDevices("alice");
    expect(dates).toEqual([[Date.UTC(2025, 0, 1, 10), 1000]]);
  });

  it("parses strong and weak version ETags", () => {
    expect(parseEtag('"12"')).toBe(12);
    expect(parseEtag('W/"3"')).toBe(3);
    expect(parseEtag('"abc"')).toBeNull();
    expect(parseEtag(null)).toBeNull();
  });
});
