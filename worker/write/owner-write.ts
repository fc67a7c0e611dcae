/**
 * A document write by the account's owner. Routes that authenticate first (auth/authenticate-first.ts)
 * pass their authorization, and that middleware undoes its own claim if the request fails; otherwise
 * the write authorizes here, claiming the username if it is new, and undoes a claim made by this
 * same request if the write then fails (412, quota, a storage failure), so a rejected request leaves
 * nothing behind.
 */
import { type Authorized, authorize, releaseClaim } from "../auth/authorize.ts";
import type { AppContext } from "../context.ts";
import { assertFitsQuota } from "./quota.ts";
import { type WriteInput, type WriteResult, writeDocument } from "./write-document.ts";

export async function ownerWrite(
  c: AppContext,
  authorized: Authorized | null,
  input: Omit<WriteInput, "account">,
): Promise<WriteResult> {
  const config = c.var.config;
  assertFitsQuota(config, input.body.size);
  const write = (account: Authorized["account"]) =>
    // Stored in the account's space (storage/accounts.ts), which is not the username for new accounts.
    writeDocument(c.env, config, (p) => c.executionCtx.waitUntil(p), {
      ...input,
      username: account.space,
      account: account.etag,
    });
  if (authorized !== null) return write(authorized.account);
  const { account, claimed } = await authorize(c, input.username, { mayClaim: true });
  try {
    return await write(account);
  } catch (err) {
    if (claimed) await releaseClaim(c, input.username);
    throw err;
  }
}
