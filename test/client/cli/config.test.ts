/** The CLI's pure parts: `.env` parsing, configuration checks, exit codes, the stderr mask and when the progress bar draws. */
import { describe, expect, it } from "vitest";
import { parseDotenv, syncConfig } from "../../../client/cli/env.ts";
import { EXIT, exitCodeFor } from "../../../client/cli/exit-codes.ts";
import { Output } from "../../../client/cli/output.ts";
import { progressFetch } from "../../../client/cli/progress.ts";
import { SyncError } from "../../../client/core/errors.ts";
import type { FetchLike } from "../../../client/core/ports.ts";

const KEY = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
const OTHER = "dGhpcyBpcyBub3QgYSByZWFsIGtleSBidXQgMzIgYnk=";

describe("parseDotenv", () => {
  it("reads NAME=value lines with export, quotes, comments and blank lines as python-dotenv does", () => {
    const text = [
      "# comment",
      "",
      "CLOUD_SYNC_URL=http://127.0.0.1:8787",
      "export FERNET_KEY='abc=#not-a-comment'",
      'GREETING="line one\\nline \\"two\\""',
      "PLAIN=value # trailing comment",
      "  SPACED  =  padded  ",
      "not a line",
    ].join("\r\n");
    expect(parseDotenv(text)).toEqual({
      CLOUD_SYNC_URL: "http://127.0.0.1:8787",
      FERNET_KEY: "abc=#not-a-comment",
      GREETING: 'line one\nline "two"',
      PLAIN: "value",
      SPACED: "padded",
    });
  });
});

describe("syncConfig", () => {
  it("keeps the base of a legacy capability URL, splits FERNET_KEY into keys and resolves a relative data folder", () => {
    const config = syncConfig(
      {
        CLOUD_SYNC_URL: "https://sync.example.com/prefix/legacy/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG/",
        FERNET_KEY: ` ${KEY} , ${OTHER} `,
        CLOUD_SYNC_DATA_DIR: "state",
      },
      "/work/here",
    );
    expect(config).toEqual({
      url: "https://sync.example.com/prefix",
      keys: [KEY, OTHER],
      deviceId: null,
      dataDir: "/work/here/state",
      claimSecret: null,
      deviceName: null,
    });
  });

  it("defaults the data folder to XDG_DATA_HOME/cloud-sync and reads the optional variables", () => {
    const config = syncConfig(
      {
        CLOUD_SYNC_URL: "http://127.0.0.1:8787/",
        FERNET_KEY: KEY,
        XDG_DATA_HOME: "/home/u/.data",
        CLOUD_SYNC_DEVICE_ID: "laptop",
        CLOUD_SYNC_CLAIM_SECRET: "s3cret",
        CLOUD_SYNC_DEVICE_NAME: "Kitchen laptop",
      },
      "/",
    );
    expect(config).toMatchObject({
      deviceName: "Kitchen laptop",
      url: "http://127.0.0.1:8787",
      dataDir: "/home/u/.data/cloud-sync",
      deviceId: "laptop",
      claimSecret: "s3cret",
    });
  });

  it("names the variable at fault and never echoes a key", () => {
    const failure = (env: Record<string, string>) => {
      try {
        syncConfig(env, "/");
      } catch (error) {
        return error as SyncError;
      }
      throw new Error("no error");
    };
    expect(failure({ FERNET_KEY: KEY })).toMatchObject({
      code: "invalid_config",
      message: expect.stringMatching(/^CLOUD_SYNC_URL is not set/),
    });
    expect(failure({ CLOUD_SYNC_URL: "http://x", FERNET_KEY: " , " }).message).toMatch(/^FERNET_KEY is empty/);
    const bad = failure({ CLOUD_SYNC_URL: "http://x", FERNET_KEY: `${KEY},short-secret-value` });
    expect(bad.message).toMatch(/^FERNET_KEY \(key 2 of 2\) is not a Fernet key/);
    expect(bad.message).not.toContain("short-secret-value");
    expect(failure({ CLOUD_SYNC_URL: "http://u:p@x", FERNET_KEY: KEY }).message).toMatch(
      /must not carry a query, a fragment or credentials/,
    );
    expect(failure({ CLOUD_SYNC_URL: "http://x", FERNET_KEY: KEY, CLOUD_SYNC_DEVICE_ID: "a/b" }).message).toMatch(
      /^CLOUD_SYNC_DEVICE_ID is not a valid device id/,
    );
  });
});

describe("exit codes", () => {
  it("maps each kind of failure to its exit code, and anything else to 1", () => {
    const cases: Array<[SyncError["code"], number]> = [
      ["invalid_config", EXIT.usage],
      ["invalid_name", EXIT.usage],
      ["wrong_key", EXIT.authentication],
      ["fork_detected", EXIT.authentication],
      ["network", EXIT.unavailable],
      ["rate_limited", EXIT.unavailable],
      ["unauthorized", EXIT.refused],
      ["username_taken", EXIT.refused],
      ["quota_exceeded", EXIT.refused],
    ];
    for (const [code, exit] of cases) expect(exitCodeFor(new SyncError(code, "x"))).toBe(exit);
    expect(exitCodeFor(new TypeError("a bug"))).toBe(EXIT.internal);
  });
});

describe("Output", () => {
  it("masks keys and capability URLs on stderr and folds an error into one line", () => {
    const err: string[] = [];
    const out = new Output(
      { stdout: { write: () => true }, stderr: { write: (c: string) => err.push(c) > 0 } },
      { json: false, verbose: true },
    );
    out.addSecret(KEY);
    out.error(`failed with ${KEY}\nat http://h/legacy/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG/upload`);
    out.detail(`key ${KEY}`);
    expect(err).toEqual([
      "cloud-sync: failed with <redacted> at http://h/legacy/<redacted>/upload\n",
      "key <redacted>\n",
    ]);
  });
});

describe("progressFetch", () => {
  const bytes = new Uint8Array(2 * 1024 * 1024);
  /** Answers with the bytes it was sent, read to the end first (as a server does), with their length. */
  const echo: FetchLike = async (_url, init) => {
    const body = new Uint8Array(await new Response(init.body as BodyInit).arrayBuffer());
    return new Response(body, { status: 200, headers: { "Content-Length": String(body.byteLength) } });
  };

  it("returns the inner fetch unchanged when stderr is not a terminal", () => {
    expect(progressFetch(echo, { write: () => true })).toBe(echo);
  });

  it("draws nothing for bodies under the threshold, and a bar that reaches 100% for larger ones", async () => {
    const drawn: string[] = [];
    const fetchWithBar = progressFetch(echo, { isTTY: true, write: (c: string) => drawn.push(c) > 0 });
    await (await fetchWithBar("http://h/small", { method: "PUT", body: new Uint8Array(1000) })).arrayBuffer();
    expect(drawn).toEqual([]);
    const res = await fetchWithBar("http://h/v1/big", { method: "PUT", body: bytes });
    expect((await res.arrayBuffer()).byteLength).toBe(bytes.length);
    const text = drawn.join("");
    expect(text).toMatch(/upload {2}\/v1\/big \[#{24}\] 100% 2\.0\/2\.0 MB/);
    expect(text).toMatch(/download \/v1\/big \[#{24}\] 100% 2\.0\/2\.0 MB/);
    expect(text.match(/\n/g)).toHaveLength(2);
  });

  it("declares the length of a body it streams for the bar, keeping the request's other headers", async () => {
    const seen: Headers[] = [];
    const inner: FetchLike = async (url, init) => {
      seen.push(new Headers(init.headers));
      return echo(url, init);
    };
    const fetchWithBar = progressFetch(inner, { isTTY: true, write: () => true });
    const headers = { "If-Match": '"3"', "Content-Type": "application/octet-stream" };
    await (await fetchWithBar("http://h/v1/big", { method: "PUT", body: bytes, headers })).arrayBuffer();
    expect(seen[0]?.get("Content-Length")).toBe(String(bytes.byteLength));
    expect(seen[0]?.get("If-Match")).toBe('"3"');
    expect(seen[0]?.get("Content-Type")).toBe("application/octet-stream");
  });
});
