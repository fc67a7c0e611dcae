/**
 * Authentication against hostile callers, inside workerd: a token opens only its own name (bearer
 * or capability URL, whatever the neighbouring names), every comparison of a credential or the
 * claim secret is crypto.subtle.timingSafeEqual over equal-length digests, CLAIM_SECRET guards
 * every way of claiming, and what the server stores (account records, documents, devices) holds
 * nothing that lets it act as the user. Per-route isolation of two users is isolation.test.ts.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { base64urlDecode, hexEncode, utf8Encode } from "../../client/core/protocol/encoding.ts";
import { hashToken } from "../../worker/auth/token-hash.ts";
import { call, callWith, errorOf, postJson } from "./support/api.ts";
import { claimedUser, putDoc } from "./support/docs.ts";
import { storageSnapshot } from "./support/storage-snapshot.ts";
import { encryptedDataOf, fernetBytes, tokenFor, uniqueUser } from "./support/tokens.ts";

const unauthorized = { status: 401, code: "unauthorized", message: "missing or invalid credentials" };

afterEach(() => {
  vi.restoreAllMocks();
});

/** Names next to `name`: other case, one more or one less character, a prefix or suffix of it. */
function neighbours(name: string): string[] {
  return [
    ...new Set([
      name.toUpperCase(),
      name.toLowerCase(),
      `${name}x`,
      name.slice(0, -1),
      `x${name}`,
      `${name}.`,
      `${name}@x`,
    ]),
  ].filter((n) => n !== name);
}

describe("a token", () => {
  it("opens only the name it was claimed for, over bearer and capability URLs alike", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,20}$/).filter((s) => !s.includes("..")),
        async (label) => {
          const owner = await claimedUser(label);
          await putDoc(owner, "notes");
          const cap = `/legacy/${owner.token}`;
          for (const name of neighbours(owner.user)) {
            if (name.includes("..")) continue;
            for (const res of [
              await call(`/v1/users/${name}/docs`, { headers: owner.auth }),
              await call(`/v1/users/${name}/docs/notes`, { headers: owner.auth }),
              await call(`${cap}/download?username=${encodeURIComponent(name)}`),
              await call(`${cap}/devices?username=${encodeURIComponent(name)}`),
            ]) {
              expect([name, await errorOf(res)]).toEqual([name, unauthorized]);
            }
          }
          // The owner's own name still works, so the refusals above were about the name.
          expect((await call(`${cap}/download?username=${encodeURIComponent(owner.user)}`)).status).toBe(404);
          expect((await call(`/v1/users/${owner.user}/docs/notes`, { headers: owner.auth })).status).toBe(200);
        },
      ),
      { numRuns: 25, seed: 0xa0_7e55 },
    );
  });

  it("cannot be replaced by the stored hash, nor by its bytes in token form", async () => {
    const owner = await claimedUser("hash");
    const hash = await hashToken(owner.token);
    const bytes = Uint8Array.from(hash.match(/../g)!.map((h) => parseInt(h, 16)));
    const asToken = btoa(String.fromCharCode(...bytes))
      .replaceAll("+", "-")
      .replaceAll("/", "_")
      .replace(/=+$/, "");
    for (const token of [hash, asToken]) {
      expect(
        await errorOf(await call(`/v1/users/${owner.user}`, { headers: { Authorization: `Bearer ${token}` } })),
      ).toEqual(unauthorized);
    }
  });
});

describe("credential comparisons", () => {
  it("go through crypto.subtle.timingSafeEqual on two equal-length SHA-256 digests, right or wrong", async () => {
    const owner = await claimedUser("timing");
    const stored = await hashToken(owner.token);
    const compare = vi.spyOn(crypto.subtle, "timingSafeEqual");
    // Wrong in the last character only, then right: both take the same path through the comparison.
    const nearly = owner.token.slice(0, -1) + (owner.token.endsWith("A") ? "B" : "A");
    for (const token of [nearly, owner.token]) {
      compare.mockClear();
      // AUTH_CACHE_SECONDS=0: the record is read from R2 each time, as on a cold isolate.
      await callWith({ AUTH_CACHE_SECONDS: "0" }, `/v1/users/${owner.user}`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      expect(compare).toHaveBeenCalled();
      for (const [a, b] of compare.mock.calls as Array<[ArrayBufferView, ArrayBufferView]>) {
        expect(a.byteLength).toBe(b.byteLength);
        const texts = [a, b].map((x) => new TextDecoder().decode(x as Uint8Array));
        expect(texts).toContain(stored);
        expect(texts).toContain(await hashToken(token));
      }
    }
  });

  it("compares the claim secret as digests, so a secret of another length is refused the same way", async () => {
    const secret = "correct horse battery staple";
    const compare = vi.spyOn(crypto.subtle, "timingSafeEqual");
    for (const offered of ["x", secret.slice(0, -1), `${secret}!`, secret.toUpperCase()]) {
      compare.mockClear();
      const user = uniqueUser();
      const res = await callWith({ CLAIM_SECRET: secret }, `/v1/users/${user}`, {
        method: "PUT",
        headers: { Authorization: `Bearer ${await tokenFor(user)}`, "X-Claim-Secret": offered },
      });
      expect((await errorOf(res)).code).toBe("claim_secret_required");
      const lengths = (compare.mock.calls as Array<[ArrayBufferView, ArrayBufferView]>).map(([a, b]) => [
        a.byteLength,
        b.byteLength,
      ]);
      expect(lengths).toEqual([[32, 32]]);
    }
  });
});

describe("claiming with CLAIM_SECRET set", () => {
  it("fails by every route that claims, without or with a wrong secret, and stores nothing", async () => {
    const secret = "s3cret-for-claims";
    const before = await storageSnapshot();
    // (A trailing space would not count: HTTP trims header values, so the server never sees it.)
    for (const offered of [undefined, "", "s3cret", `${secret}!`, secret.toUpperCase()]) {
      const user = uniqueUser();
      const token = await tokenFor(user);
      const extra: Record<string, string> = offered === undefined ? {} : { "X-Claim-Secret": offered };
      const auth = { Authorization: `Bearer ${token}`, ...extra };
      const vars = { CLAIM_SECRET: secret };
      const answers = [
        await callWith(vars, `/v1/users/${user}`, { method: "PUT", headers: auth }),
        await callWith(vars, `/v1/users/${user}/docs/notes`, {
          method: "PUT",
          headers: { ...auth, "X-Device-Id": "d1" },
          body: fernetBytes(),
        }),
      ];
      for (const res of answers)
        expect([offered, res.status, await res.text()]).toEqual([
          offered,
          403,
          expect.stringContaining("claim_secret_required"),
        ]);
      // The Python-compatible upload never claims: an unclaimed name is refused like a wrong credential.
      const upload = await callWith(vars, `/legacy/${token}/upload`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...extra },
        body: JSON.stringify({ username: user, device_id: "d1", encrypted_data: encryptedDataOf(fernetBytes()) }),
      });
      expect([offered, upload.status]).toEqual([offered, 401]);
    }
    expect(await storageSnapshot()).toEqual(before);
  });

  it("fails for a taken name even with the secret", async () => {
    const secret = "s3cret-for-claims";
    const owner = await claimedUser("taken");
    const intruder = { Authorization: `Bearer ${await tokenFor("intruder")}`, "X-Claim-Secret": secret };
    const res = await callWith({ CLAIM_SECRET: secret }, `/v1/users/${owner.user}`, {
      method: "PUT",
      headers: intruder,
    });
    expect(await errorOf(res)).toMatchObject({ status: 409, code: "username_taken" });
  });
});

describe("what the server stores", () => {
  it("holds only a hash of the credential: no token, key or plaintext in any record", async () => {
    const owner = await claimedUser("stored");
    await putDoc(owner, "notes");
    await postJson(`/legacy/${owner.token}/upload`, {
      username: owner.user,
      device_id: "seed-device",
      encrypted_data: encryptedDataOf(fernetBytes()),
    });
    await call(`/v1/users/${owner.user}/devices/phone`, {
      method: "PUT",
      headers: { ...owner.auth, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "phone", platform: "ios" }),
    });
    const replacement = await tokenFor("rotated");
    const rotated = await call(`/v1/users/${owner.user}/credential`, {
      method: "PUT",
      headers: { ...owner.admin, "Content-Type": "application/json" },
      body: JSON.stringify({ token: replacement }),
    });
    expect(rotated.status).toBe(204);

    const record = (await (await env.BLOBS.get(`users/${owner.user}/account.json`))!.json()) as Record<string, string>;
    expect(Object.keys(record).sort()).toEqual([
      "admin_hash",
      "capability_generation",
      "capability_hash",
      "created_at",
      "incarnation",
      "token_hash",
    ]);
    expect(record["token_hash"]).toBe(await hashToken(replacement));
    expect(record["admin_hash"]).toBe(await hashToken(owner.adminToken));

    // Neither token, in any encoding a careless server might keep, appears anywhere in storage.
    const everything = (await storageSnapshot()).join("\n");
    const objects = await env.BLOBS.list({ prefix: `users/${owner.user}/` });
    const bodies = await Promise.all(
      objects.objects.map(async (o) =>
        new TextDecoder("latin1").decode(await (await env.BLOBS.get(o.key))!.arrayBuffer()),
      ),
    );
    for (const token of [owner.token, owner.adminToken, replacement]) {
      const raw = base64urlDecode(token)!;
      for (const form of [token, hexEncode(raw), btoa(String.fromCharCode(...raw)), hexEncode(utf8Encode(token))]) {
        expect([form, everything.includes(form)]).toEqual([form, false]);
        expect([form, bodies.some((b) => b.includes(form))]).toEqual([form, false]);
      }
    }
  });
});
