/** Shortcuts for the versioned API in tests: claim a user, write and read documents. */
import { bearer, call } from "./api.ts";
import { fernetBytes, tokenFor, uniqueUser } from "./tokens.ts";

export interface TestUser {
  user: string;
  token: string;
  auth: Record<string, string>;
}

/** A new user whose name is already claimed with its token. */
export async function claimedUser(label = "user"): Promise<TestUser> {
  const user = uniqueUser(label);
  const token = await tokenFor(user);
  const res = await call(`/v1/users/${user}`, { method: "PUT", headers: bearer(token) });
  if (res.status !== 201) throw new Error(`claim failed: ${res.status} ${await res.text()}`);
  return { user, token, auth: bearer(token) };
}

export function putDoc(
  u: TestUser,
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

export function getDoc(u: TestUser, doc: string, headers: Record<string, string> = {}): Promise<Response> {
  return call(`/v1/users/${u.user}/docs/${doc}`, { headers: { ...u.auth, ...headers } });
}

export async function bytesOf(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer());
}
