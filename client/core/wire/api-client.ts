// client/core/wire/: what crosses the network: the API client, answers, envelope, document codec, live socket.
/**
 * The Worker's versioned API (docs/PROTOCOL.md, `/v1/users/:u/...`) as typed calls. It moves opaque
 * token bytes and JSON records; it never sees a key. Every failure becomes a SyncError.
 */
import { tokenHash } from "../crypto/credential.ts";
import { SyncError } from "../errors.ts";
import { DEFAULT_MAX_DOCUMENT_BYTES } from "./inflate.ts";
import { decodeFrames, type Frame } from "../protocol/change-frames.ts";
import {
  errorFromResponse,
  readServedToken,
  retryAfterMs,
  writeOutcome,
  type AccountInfo,
  type ChangeOutcome,
  type ChangesPage,
  type DeviceRecord,
  type DocumentInfo,
  type ServedToken,
  type VersionInfo,
  type WriteOutcome,
  type WritePrecondition,
} from "./api-responses.ts";
import { type Clock, type FetchLike, systemClock } from "../ports.ts";

export interface ApiClientOptions {
  /** The Worker's origin, optionally with a path prefix, e.g. `https://sync.example.com`. */
  baseUrl: string;
  /** This device's id, sent as `X-Device-Id`. */
  deviceId: string;
  /** The bearer token for a username (see credential.ts). */
  token: (username: string) => Promise<string>;
  fetch?: FetchLike;
  /** Per-request time limit; a request that takes longer fails as `network`. Default 30 s. */
  timeoutMs?: number;
  /** Sent as `X-Claim-Secret` on writes, for deployments that set `CLAIM_SECRET`. */
  claimSecret?: string;
  /**
   * The admin token for a username (credential.ts), sent only to the admin routes (delete the
   * account, replace credentials, remove a device, the capability URL). Every other request
   * carries its hash as `X-Admin-Hash`, which a claim stores, and which sets it once on an account
   * of the previous release that has none.
   */
  adminToken?: (username: string) => Promise<string>;
  clock?: Clock;
  /** Told the server's `Date` (ms) and our clock at that moment, after every answer that has one. */
  onServerDate?: (serverMs: number, localMs: number) => void;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Calls the Worker's `/v1` routes. Construct once per manager; options are checked here, before any I/O. */
export class ApiClient {
  readonly #base: string;
  readonly #deviceId: string;
  readonly #token: (username: string) => Promise<string>;
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;
  readonly #claimSecret: string | undefined;
  readonly #adminToken: ((username: string) => Promise<string>) | undefined;
  readonly #clock: Clock;
  readonly #onServerDate: ((serverMs: number, localMs: number) => void) | undefined;
  readonly #claimTried = new Set<string>();
  /** Until when (clock ms) the server asked for no requests at all: a 429's Retry-After. */
  #quietUntil = 0;

  constructor(options: ApiClientOptions) {
    this.#base = normalizeBaseUrl(options.baseUrl);
    if (typeof options.deviceId !== "string" || options.deviceId === "")
      throw new TypeError("deviceId must be a non-empty string");
    if (typeof options.token !== "function") throw new TypeError("token must be a function of the username");
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError("timeoutMs must be a positive number");
    this.#deviceId = options.deviceId;
    this.#token = options.token;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#timeoutMs = timeoutMs;
    this.#claimSecret = options.claimSecret;
    this.#adminToken = options.adminToken;
    this.#clock = options.clock ?? systemClock;
    this.#onServerDate = options.onServerDate;
  }

  /** `PUT /v1/users/:u`: claims the username for this credential; `created` is false if it was already ours. */
  async claim(username: string): Promise<{ created: boolean }> {
    const res = await this.#send(username, "PUT", "", { write: true });
    return { created: res.status === 201 };
  }

  async account(username: string): Promise<AccountInfo> {
    return (await this.#send(username, "GET", "")).json() as Promise<AccountInfo>;
  }

  async deleteAccount(username: string): Promise<void> {
    await this.#send(username, "DELETE", "", { admin: true });
    // A later write claims the name afresh.
    this.#claimTried.delete(username);
  }

  /**
   * `PUT /v1/users/:u/credential` (admin): from now on only `newToken` opens the account, and only
   * the admin token whose hash is `newAdminHash` administers it.
   */
  async putCredential(username: string, newToken: string, newAdminHash?: string): Promise<void> {
    const json = newAdminHash === undefined ? { token: newToken } : { token: newToken, admin_hash: newAdminHash };
    await this.#send(username, "PUT", "/credential", { json, admin: true });
  }

  /** `GET /v1/users/:u/capability` (admin): which capability token number is current, and whether it opens anything. */
  async capability(username: string): Promise<{ generation: number; active: boolean }> {
    return (await this.#send(username, "GET", "/capability", { admin: true })).json() as Promise<{
      generation: number;
      active: boolean;
    }>;
  }

  /** `PUT /v1/users/:u/capability` (admin): `token` becomes capability number `generation`; the previous one stops working. */
  async issueCapability(username: string, token: string, generation: number): Promise<void> {
    await this.#send(username, "PUT", "/capability", { json: { token, generation }, admin: true });
  }

  /** `DELETE /v1/users/:u/capability` (admin): no capability URL opens the account any more. */
  async revokeCapability(username: string): Promise<void> {
    await this.#send(username, "DELETE", "/capability", { admin: true });
  }

  async listDocuments(username: string): Promise<DocumentInfo[]> {
    const body = (await (await this.#send(username, "GET", "/docs")).json()) as { documents: DocumentInfo[] };
    return body.documents;
  }

  /** The current version of a document; null if it does not exist; `not_modified` when it is still `ifNoneMatch`. */
  async getDocument(
    username: string,
    doc: string,
    options: { ifNoneMatch?: number } = {},
  ): Promise<ServedToken | null | "not_modified"> {
    const headers: Record<string, string> = {};
    if (options.ifNoneMatch !== undefined) headers["If-None-Match"] = `"${options.ifNoneMatch}"`;
    const res = await this.#send(username, "GET", `/docs/${doc}`, { headers, allow: [304, 404] });
    if (res.status === 304) return "not_modified";
    if (res.status === 404) return null;
    return readServedToken(res);
  }

  /**
   * Writes a new version. A lost compare-and-swap is an outcome, not an error: the caller re-merges.
   * `version`, the number sealed inside the token, goes as `X-Sync-Version`: the server stores the
   * token as exactly that version, or answers 412.
   */
  async putDocument(
    username: string,
    doc: string,
    bytes: Uint8Array,
    precondition: WritePrecondition,
    version?: number,
  ): Promise<WriteOutcome> {
    const headers: Record<string, string> = {
      "Content-Type": "application/octet-stream",
      ...preconditionHeaders(precondition),
    };
    if (version !== undefined) headers["X-Sync-Version"] = String(version);
    const res = await this.#send(username, "PUT", `/docs/${doc}`, { headers, body: bytes, write: true, allow: [412] });
    return writeOutcome(res);
  }

  async deleteDocument(username: string, doc: string, options: { ifMatch?: number } = {}): Promise<void> {
    const headers: Record<string, string> = options.ifMatch === undefined ? {} : { "If-Match": `"${options.ifMatch}"` };
    await this.#send(username, "DELETE", `/docs/${doc}`, { headers });
  }

  /** Newest first, the current version included. */
  async listVersions(username: string, doc: string): Promise<VersionInfo[]> {
    const res = await this.#send(username, "GET", `/docs/${doc}/versions`);
    return ((await res.json()) as { versions: VersionInfo[] }).versions;
  }

  /** One version's token bytes; null once it has been pruned (or never existed). */
  async getVersion(username: string, doc: string, version: number): Promise<ServedToken | null> {
    const res = await this.#send(username, "GET", `/docs/${doc}/versions/${version}`, { allow: [404] });
    if (res.status === 404) return null;
    const served = await readServedToken(res);
    return { ...served, version };
  }

  /**
   * Every entry after cursor `after`, for all documents (docs/PROTOCOL.md "Sequence and cursor").
   * A malformed body is a `server_error`: nothing of it is applied.
   */
  async getChanges(username: string, after: number): Promise<ChangesPage> {
    const res = await this.#send(username, "GET", `/changes?after=${after}`, { allow: [409] });
    if (res.status === 409) {
      const error = await errorFromResponse(res);
      return { ahead: true, head: Number(res.headers.get("X-Sync-Head")), reason: error.message };
    }
    const headText = res.headers.get("X-Sync-Head");
    const head = headText === null || headText === "" ? Number.NaN : Number(headText);
    if (!Number.isSafeInteger(head) || head < 0) {
      await res.body?.cancel();
      throw new SyncError("server_error", "The server answered a cursor read without X-Sync-Head.", { status: 200 });
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    let frames: Frame[];
    try {
      frames = decodeFrames(bytes);
    } catch (cause) {
      throw new SyncError("server_error", `The server's changes are malformed: ${(cause as Error).message}.`, {
        cause,
      });
    }
    return {
      ahead: false,
      head,
      frames,
      more: res.headers.get("X-Sync-More") === "1",
      reset: res.headers.get("X-Sync-Reset") === "1",
    };
  }

  /** Stores a change as version `version`; a lost compare-and-swap is `{ ok: false }` as for a whole write. */
  /** Stores a change as version `version`; `undo` says it carries its undo (docs/PROTOCOL.md "Retention"). */
  async postChange(
    username: string,
    doc: string,
    token: Uint8Array,
    version: number,
    undo = false,
  ): Promise<ChangeOutcome> {
    const res = await this.#send(username, "POST", `/docs/${doc}/changes`, {
      headers: {
        "Content-Type": "application/octet-stream",
        "X-Sync-Version": String(version),
        ...(undo ? { "X-Sync-Undo": "1" } : {}),
      },
      body: token,
      write: true,
      allow: [412],
    });
    if (res.status === 412) return writeOutcome(res) as Promise<ChangeOutcome>;
    const answer = (await res.json()) as { seq: number; version: number };
    const compact = Number(res.headers.get("X-Sync-Compact"));
    return {
      ok: true,
      seq: answer.seq,
      version: answer.version,
      compact: Number.isSafeInteger(compact) && compact >= 1 ? compact : null,
    };
  }

  /** Stores snapshot `version`; false when the server refused it (another device compacted first). */
  async putSnapshot(username: string, doc: string, version: number, token: Uint8Array): Promise<boolean> {
    const res = await this.#send(username, "PUT", `/docs/${doc}/snapshots/${version}`, {
      headers: { "Content-Type": "application/octet-stream" },
      body: token,
      write: true,
      allow: [409, 412],
    });
    await res.body?.cancel();
    return res.ok;
  }

  async getSnapshot(username: string, doc: string, version: number): Promise<Uint8Array | null> {
    const res = await this.#send(username, "GET", `/docs/${doc}/snapshots/${version}`, { allow: [404] });
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    return new Uint8Array(await res.arrayBuffer());
  }

  async listDevices(username: string): Promise<DeviceRecord[]> {
    const res = await this.#send(username, "GET", "/devices");
    return ((await res.json()) as { devices: DeviceRecord[] }).devices;
  }

  async registerDevice(
    username: string,
    deviceId: string,
    details: { name: string; platform: string },
  ): Promise<DeviceRecord> {
    const res = await this.#send(username, "PUT", `/devices/${deviceId}`, { json: details });
    return (await res.json()) as DeviceRecord;
  }

  async removeDevice(username: string, deviceId: string): Promise<void> {
    await this.#send(username, "DELETE", `/devices/${deviceId}`, { admin: true });
  }

  async #send(
    username: string,
    method: string,
    path: string,
    options: {
      headers?: Record<string, string>;
      body?: Uint8Array;
      json?: unknown;
      write?: boolean;
      admin?: boolean;
      allow?: number[];
    } = {},
  ): Promise<Response> {
    let res = await this.#request(username, method, path, options);
    // An account of the previous release has no admin hash until a routine request offers it (as
    // every request of this client does): one account read, then the admin request again.
    if (res.status === 401 && options.admin === true && this.#adminToken !== undefined) {
      await res.body?.cancel();
      await (await this.#request(username, "GET", "", {})).body?.cancel();
      res = await this.#request(username, method, path, options);
    }
    // An account comes into being with its first claim. A 401 on a name this client has not claimed
    // yet may mean "no such account": claim it (a 409 then says the name is someone else's) and retry.
    if (res.status === 401 && path !== "" && options.admin !== true && !this.#claimTried.has(username)) {
      await res.body?.cancel();
      // Marked only once the claim has an answer: a claim lost to the network is tried again.
      const claim = await this.#request(username, "PUT", "", { write: true });
      if (claim.status < 500) this.#claimTried.add(username);
      if (claim.status === 409 || claim.status === 401) {
        await claim.body?.cancel();
        throw new SyncError(
          "unauthorized",
          `The server refused the credential for ${username}: the username was claimed with a different FERNET_KEY (or by someone else).`,
          { status: claim.status },
        );
      }
      if (!claim.ok) throw await errorFromResponse(claim);
      await claim.body?.cancel();
      res = await this.#request(username, method, path, options);
    }
    if (res.ok || options.allow?.includes(res.status)) return res;
    throw await errorFromResponse(res);
  }

  async #request(
    username: string,
    method: string,
    path: string,
    options: { headers?: Record<string, string>; body?: Uint8Array; json?: unknown; write?: boolean; admin?: boolean },
  ): Promise<Response> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${await (options.admin === true ? this.#admin(username) : this.#token(username))}`,
      "X-Device-Id": this.#deviceId,
      ...options.headers,
    };
    if (options.write && this.#claimSecret !== undefined) headers["X-Claim-Secret"] = this.#claimSecret;
    if (options.admin !== true && this.#adminToken !== undefined)
      headers["X-Admin-Hash"] = await this.#adminHash(username);
    let body: BodyInit | undefined;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.json);
    } else if (options.body !== undefined) {
      body = options.body as Uint8Array<ArrayBuffer>;
    }
    const url = `${this.#base}/v1/users/${username}${path}`;
    const init: RequestInit = { method, headers, signal: AbortSignal.timeout(this.#timeoutMs) };
    if (body !== undefined) init.body = body;

    const started = this.#clock.now();
    if (started < this.#quietUntil) {
      const retryAfterMs = this.#quietUntil - started;
      throw new SyncError(
        "rate_limited",
        `The server asked for a pause; nothing was sent. Retry in ${Math.ceil(retryAfterMs / 1000)} s.`,
        { retryAfterMs },
      );
    }
    let res: Response;
    try {
      res = await this.#fetch(url, init);
    } catch (cause) {
      throw transportError(cause, this.#timeoutMs, `${method} ${this.#base}`);
    }
    this.#reportDate(res, started);
    // Honoured for every later request of this client, not only a retry of this one: past a
    // per-user or per-address limit, anything sent before then is refused anyway.
    if (res.status === 429) this.#quietUntil = Math.max(this.#quietUntil, started + (retryAfterMs(res, started) ?? 0));
    return guardBody(res, (cause) => transportError(cause, this.#timeoutMs, `${method} ${this.#base}`));
  }

  #admin(username: string): Promise<string> {
    if (this.#adminToken === undefined)
      throw new SyncError("invalid_config", "This client has no admin credential (ApiClient option adminToken).");
    return this.#adminToken(username);
  }

  async #adminHash(username: string): Promise<string> {
    return tokenHash(await this.#admin(username));
  }

  #reportDate(res: Response, started: number): void {
    const date = res.headers.get("Date");
    if (date === null || this.#onServerDate === undefined) return;
    const serverMs = Date.parse(date);
    // The server stamped its Date somewhere between sending and receiving: use the midpoint.
    if (Number.isFinite(serverMs)) this.#onServerDate(serverMs, (started + this.#clock.now()) / 2);
  }
}

function normalizeBaseUrl(baseUrl: unknown): string {
  if (typeof baseUrl !== "string") throw new TypeError("baseUrl must be a string");
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(`baseUrl is not a URL: ${JSON.stringify(baseUrl)}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new TypeError("baseUrl must be an http(s) URL");
  if (url.search !== "" || url.hash !== "") throw new TypeError("baseUrl must not have a query or fragment");
  return url.href.replace(/\/+$/, "");
}

/**
 * The same answer, whose body fails as a SyncError when the connection drops mid-body: the answer
 * was lost in transit like any other (a transient `network` error), not a bug in its reader.
 */
function guardBody(res: Response, failure: (cause: unknown) => SyncError): Response {
  if (res.body === null || res.status === 204 || res.status === 205 || res.status === 304) return res;
  // A body already read elsewhere (a fetch wrapper handing out one Response twice) has nothing left to guard.
  if (res.body.locked)
    return new Response(null, { status: res.status, statusText: res.statusText, headers: res.headers });
  const reader = res.body.getReader();
  // A hostile or broken server may answer without end: no answer is read past the largest document.
  const declared = Number(res.headers.get("Content-Length") ?? Number.NaN);
  let received = 0;
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      if (declared > MAX_ANSWER_BYTES) {
        controller.error(answerTooLarge());
        await reader.cancel();
      }
    },
    async pull(controller) {
      try {
        const chunk = await reader.read();
        if (chunk.done) return controller.close();
        received += chunk.value.byteLength;
        if (received > MAX_ANSWER_BYTES) {
          controller.error(answerTooLarge());
          await reader.cancel();
          return;
        }
        controller.enqueue(chunk.value);
      } catch (cause) {
        controller.error(failure(cause));
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

/** The largest answer read: a token of the largest document this client opens, with room to spare. */
const MAX_ANSWER_BYTES = DEFAULT_MAX_DOCUMENT_BYTES + 1024 * 1024;

function answerTooLarge(): SyncError {
  return new SyncError(
    "payload_too_large",
    `The server's answer is larger than ${MAX_ANSWER_BYTES} bytes; nothing was read.`,
  );
}

function preconditionHeaders(precondition: WritePrecondition): Record<string, string> {
  if ("ifMatch" in precondition) return { "If-Match": `"${precondition.ifMatch}"` };
  if ("ifNoneMatch" in precondition) return { "If-None-Match": "*" };
  return {};
}

function transportError(cause: unknown, timeoutMs: number, what: string): SyncError {
  const name = (cause as { name?: unknown } | null)?.name;
  if (name === "TimeoutError" || name === "AbortError") {
    return new SyncError("network", `${what}: no answer within ${timeoutMs / 1000} s.`, { cause });
  }
  return new SyncError("network", `${what}: the server is unreachable (${describe(cause)}).`, { cause });
}

function describe(cause: unknown): string {
  const inner = (cause as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof inner?.code === "string") return inner.code;
  return cause instanceof Error ? cause.message : String(cause);
}
