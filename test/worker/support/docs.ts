/** Shortcuts for the versioned API in tests: claim a user, write and read documents. */
import { hashToken } from "../../../worker/auth/token-hash.ts";
import { bearer, call } from "./api.ts";
import { fernetBytes, tokenFor, uniqueUser } from "./tokens.ts";

export interface TestUser {
  user: string;
  token: string;
  auth: Record<string, string>;
  /** The admin token, whose hash the claim stored (worker/auth/admin.ts), and its Bearer header. */
  adminToken: string;
  admin: Record<string, string>;
}

/** A new user whose name is already claimed with its token and its admin token's hash. */
export async function claimedUser(label = "user"): Promise<TestUser> {
  const user = uniqueUser(label);
  const [token, adminToken] = await Promise.all([tokenFor(user), tokenFor(`admin:${user}`)]);
  const res = await call(`/v1/users/${user}`, {
    method: "PUT",
    headers: bearer(token, { "X-Admin-Hash": await hashToken(adminToken) }),
  });
  if (res.status !== 201) throw new Error(`claim failed: ${res.status} ${await res.text()}`);
  return { user, token, auth: bearer(token), adminToken, admin: bearer(adminToken) };
}

export function putDoc(
  u: Pick<TestUser, "user" | "auth">,
  doc: string,
  body: Uint8Array = fernetBytes(),
  headers: Record<string, string> = {},
): Promise<Response> {
  return call(`/v1/users/${u.user}/docs/${doc}`, {
    method: "PUT",
    headers: { ...u.auth, "X-Device-Id": "dev-1", "Content-Type": "application/octet-stream", ...headers },
    body,
  });
}

export function getDoc(
  u: Pick<TestUser, "user" | "auth">,
  doc: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return call(`/v1/users/${u.user}/docs/${doc}`, { headers: { ...u.auth, ...headers } });
}

export async function bytesOf(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer());
}
