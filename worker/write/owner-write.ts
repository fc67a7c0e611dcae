/**
 * A document write by the account's owner, claiming the username if it is new. If the write then
 * fails (412, quota, a storage failure), a claim made by this same request is undone, so a
 * rejected request leaves nothing behind.
 */
import { authorize, releaseClaim } from "../auth/authorize.ts";
import type { AppContext } from "../context.ts";
import { assertFitsQuota } from "./quota.ts";
import { writeDocument, type WriteInput, type WriteResult } from "./write-document.ts";

export async function ownerWrite(c: AppContext, input: Omit<WriteInput, "account">): Promise<WriteResult> {
  const config = c.var.config;
  assertFitsQuota(config, input.body.size);
  const { account, claimed } = await authorize(c, input.username, { mayClaim: true });
  try {
    return await writeDocument(c.env, config, (p) => c.executionCtx.waitUntil(p), { ...input, account: account.etag });
  } catch (err) {
    if (claimed) await releaseClaim(c, input.username);
    throw err;
  }
}
