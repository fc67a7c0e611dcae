/** A Worker configured exactly as wrangler.toml (CLAIM_LIMITER included) over real HTTP: 30 claims from one address mostly get 429. */
import { describe, expect, it } from "vitest";
import { deriveAuthToken } from "../../client/core/crypto/credential.ts";
import { freshKey, freshUser } from "../support/sync-clients.ts";
import { useWorkerServer } from "../support/use-worker-server.ts";

const server = useWorkerServer({ productionClaimLimit: true });

describe("the default per-address claim limit", () => {
  it("lets at most 5 of 30 claims from one address create an account", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const user = freshUser("flood");
      const res = await fetch(`${server.url}/v1/users/${user}`, {
        method: "PUT",
        headers: { Authorization: `Bearer ${await deriveAuthToken(freshKey(), user)}` },
      });
      await res.body?.cancel();
      statuses.push(res.status);
    }
    const created = statuses.filter((s) => s === 201).length;
    expect(created).toBeGreaterThan(0);
    expect(created).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s !== 201).every((s) => s === 429)).toBe(true);
  });
});
