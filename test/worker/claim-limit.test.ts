/**
 * Creating accounts is limited per address (CLAIM_LIMITER), on by default and whatever RATE_LIMITS
 * says, in addition to CLAIM_SECRET: one address cannot create accounts without end. The strict
 * test limiter (3 a minute, vitest.config.ts) stands in for wrangler.toml's.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../worker/config.ts";
import { callWith, errorOf } from "./support/api.ts";
import { tokenFor, uniqueUser } from "./support/tokens.ts";

async function claimFrom(address: string, overrides: Record<string, unknown> = {}, user = uniqueUser("many")) {
  return callWith({ CLAIM_LIMITER: env.STRICT_LIMITER, RATE_LIMITS: "off", ...overrides }, `/v1/users/${user}`, {
    method: "PUT",
    headers: { Authorization: `Bearer ${await tokenFor(user)}`, "CF-Connecting-IP": address },
  });
}

describe("claims from one address", () => {
  it("stop at the limit with 429 and Retry-After, store nothing more, and leave other addresses free", async () => {
    const address = `203.0.113.${Math.floor(Math.random() * 200) + 1}`;
    const statuses: number[] = [];
    const refusedUsers: string[] = [];
    for (let i = 0; i < 30; i++) {
      const user = uniqueUser("many");
      const res = await claimFrom(address, {}, user);
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.headers.get("Retry-After")).toBe("60");
        expect(await errorOf(res)).toMatchObject({ code: "rate_limited" });
        refusedUsers.push(user);
      }
    }
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(27);
    for (const user of refusedUsers) expect(await env.BLOBS.head(`users/${user}/account.json`)).toBeNull();
    expect((await claimFrom("198.51.100.7")).status).toBe(201);
  });

  it("are limited by default, and CLAIM_LIMIT=off lifts it", async () => {
    expect(parseConfig({ ...env }).claimLimit).toBe("on");
    expect(() => parseConfig({ ...env, CLAIM_LIMIT: "maybe" })).toThrow(
      'CLAIM_LIMIT must be one of on, off; got "maybe"',
    );
    const address = "192.0.2.99";
    for (let i = 0; i < 6; i++) expect((await claimFrom(address, { CLAIM_LIMIT: "off" })).status).toBe(201);
  });
});
