/**
 * Probing for names with CLAIM_SECRET set: a stranger without the secret gets the same answer for
 * a free name and a taken one, from every claiming route, for the same storage work.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { callWith } from "./support/api.ts";
import { counted } from "./support/counted-bindings.ts";
import { claimedUser } from "./support/docs.ts";
import { fernetBytes, tokenFor, uniqueUser } from "./support/tokens.ts";

const vars = { CLAIM_SECRET: "s3cret-for-probing" };

async function probe(name: string, route: "claim" | "write") {
  const calls: string[] = [];
  const bucket = counted(env.BLOBS, calls);
  const headers = { Authorization: `Bearer ${await tokenFor("prober")}`, "X-Device-Id": "d1" };
  const res =
    route === "claim"
      ? await callWith({ ...vars, BLOBS: bucket }, `/v1/users/${name}`, { method: "PUT", headers })
      : await callWith({ ...vars, BLOBS: bucket }, `/v1/users/${name}/docs/notes`, {
          method: "PUT",
          headers,
          body: fernetBytes(),
        });
  return { status: res.status, body: await res.text(), storage: calls };
}

describe("a stranger without the claim secret", () => {
  for (const route of ["claim", "write"] as const) {
    it(`gets the same answer and costs the same storage work for a taken name as for a free one (${route})`, async () => {
      const taken = (await claimedUser("taken")).user;
      const free = uniqueUser("free");
      const [onTaken, onFree] = [await probe(taken, route), await probe(free, route)];
      expect(onTaken).toEqual(onFree);
      expect(onFree.status).toBe(403);
      expect(JSON.parse(onFree.body)).toEqual({
        error: {
          code: "claim_secret_required",
          message: "claiming a new username needs the deployment's X-Claim-Secret",
        },
      });
    });
  }
});
