/**
 * Undoing a failed claim, and account incarnations: a claim that fails removes only the record it
 * created while nothing was written to it, and a name deleted and claimed again starts in a space
 * of its own, so neither racing requests of the owner nor a later claimant can lose or reach data.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { bearer, call } from "./support/api.ts";
import { bytesOf, claimedUser, getDoc, putDoc } from "./support/docs.ts";
import { previousReleaseAccount, previousReleaseKey } from "./support/previous-release.ts";
import { fernetBytes, tokenFor, uniqueUser } from "./support/tokens.ts";

describe("a claim that fails", () => {
  it("never deletes an account whose racing requests got writes acknowledged", async () => {
    // Nine first requests of one owner at once: the unconditional ones succeed, the ones naming a
    // version that does not exist fail with 412, and whichever of them made the claim undoes it.
    for (let round = 0; round < 6; round++) {
      const user = uniqueUser("race");
      const auth = bearer(await tokenFor(user));
      const answers = await Promise.all(
        Array.from({ length: 9 }, (_, i) =>
          call(`/v1/users/${user}/docs/notes`, {
            method: "PUT",
            headers: { ...auth, "X-Device-Id": `d${i}`, ...(i % 2 === 0 ? { "If-Match": '"7"' } : {}) },
            body: fernetBytes(),
          }),
        ),
      );
      const acknowledged = answers.filter((r) => r.status === 200 || r.status === 201).length;
      expect(acknowledged).toBeGreaterThan(0);
      const listed = await call(`/v1/users/${user}/docs`, { headers: auth });
      expect([round, listed.status]).toEqual([round, 200]);
      const { documents } = (await listed.json()) as { documents: Array<{ name: string; version: number }> };
      expect(documents).toEqual([expect.objectContaining({ name: "notes", version: acknowledged })]);
    }
  });

  it("leaves no account behind when nothing was written", async () => {
    const user = uniqueUser("undone");
    const res = await call(`/v1/users/${user}/docs/notes`, {
      method: "PUT",
      headers: { ...bearer(await tokenFor(user)), "X-Device-Id": "d1", "If-Match": '"3"' },
      body: fernetBytes(),
    });
    expect(res.status).toBe(412);
    expect(await env.BLOBS.get(`users/${user}/account.json`)).toBeNull();
  });
});

describe("a name deleted and claimed again", () => {
  it("never shows the new owner the objects an earlier account left behind", async () => {
    const first = await claimedUser("reclaimed");
    await putDoc(first, "notes");
    // What a deletion that failed after removing the record, or a stray undo, leaves: the objects.
    await env.BLOBS.delete(`users/${first.user}/account.json`);
    const stranger = bearer(await tokenFor("stranger"));
    expect((await call(`/v1/users/${first.user}`, { method: "PUT", headers: stranger })).status).toBe(201);
    expect(await (await call(`/v1/users/${first.user}/docs`, { headers: stranger })).json()).toEqual({
      documents: [],
    });
    expect((await call(`/v1/users/${first.user}/docs/notes`, { headers: stranger })).status).toBe(404);
    expect((await call(`/v1/users/${first.user}/docs/notes/versions/1`, { headers: stranger })).status).toBe(404);
  });
});

describe("an account of the previous release", () => {
  it("keeps reading and writing its documents under the old prefix", async () => {
    const user = uniqueUser("upgraded");
    const token = await tokenFor(user);
    await previousReleaseAccount(user, token);
    const old = fernetBytes();
    await env.BLOBS.put(previousReleaseKey(user, "notes", 1), old, {
      customMetadata: { device_id: "laptop", updated_at: "2026-01-01T00:00:00.000Z" },
    });
    const u = { user, token, auth: bearer(token) };
    expect(await bytesOf(await getDoc(u, "notes"))).toEqual(old);
    expect((await putDoc(u, "notes")).status).toBe(200);
    expect(await env.BLOBS.head(previousReleaseKey(user, "notes", 2))).not.toBeNull();
  });
});
