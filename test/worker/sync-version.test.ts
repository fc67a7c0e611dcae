/**
 * `X-Sync-Version`: a writer names the version number it sealed inside its token, and the Worker
 * stores the token as exactly that version or not at all, telling the writer the right number.
 */
import { describe, expect, it } from "vitest";
import { call, errorOf } from "./support/api.ts";
import { bytesOf, claimedUser, getDoc, putDoc } from "./support/docs.ts";
import { fernetBytes } from "./support/tokens.ts";

describe("a write that names its version", () => {
  it("is stored as that version when the number is the next one", async () => {
    const u = await claimedUser();
    expect((await putDoc(u, "notes", fernetBytes(), { "If-None-Match": "*", "X-Sync-Version": "1" })).status).toBe(201);
    const res = await putDoc(u, "notes", fernetBytes(), { "If-Match": '"1"', "X-Sync-Version": "2" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ version: 2 });
    // A second write through the same isolate takes the hinted path and still checks the number.
    expect((await putDoc(u, "notes", fernetBytes(), { "X-Sync-Version": "3" })).status).toBe(200);
  });

  it("is refused with 412 and stores nothing when the number is not the next one", async () => {
    const u = await claimedUser();
    const first = fernetBytes();
    await putDoc(u, "notes", first);
    const res = await putDoc(u, "notes", fernetBytes(), { "X-Sync-Version": "5" });
    expect(await errorOf(res.clone())).toEqual({
      status: 412,
      code: "precondition_failed",
      message: "the document is at version 1; fetch it and retry; this write would be version 2",
    });
    expect(res.headers.get("ETag")).toBe('"1"');
    expect(res.headers.get("X-Sync-Next-Version")).toBe("2");
    const current = await getDoc(u, "notes");
    expect(current.headers.get("ETag")).toBe('"1"');
    expect(await bytesOf(current)).toEqual(first);
  });

  it("tells a create after a delete the number after the tombstone, and takes it there", async () => {
    const u = await claimedUser();
    await putDoc(u, "notes");
    await putDoc(u, "notes");
    await call(`/v1/users/${u.user}/docs/notes`, { method: "DELETE", headers: u.auth });
    const guess = await putDoc(u, "notes", fernetBytes(), { "If-None-Match": "*", "X-Sync-Version": "1" });
    expect(guess.status).toBe(412);
    expect(guess.headers.get("ETag")).toBeNull();
    expect(guess.headers.get("X-Sync-Next-Version")).toBe("4");
    expect((await getDoc(u, "notes")).status).toBe(404);
    const created = await putDoc(u, "notes", fernetBytes(), { "If-None-Match": "*", "X-Sync-Version": "4" });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ version: 4 });
  });

  it("rejects a version that is not a number with 400", async () => {
    const u = await claimedUser();
    expect(await errorOf(await putDoc(u, "notes", fernetBytes(), { "X-Sync-Version": "two" }))).toEqual({
      status: 400,
      code: "bad_request",
      message: "X-Sync-Version must be a version number like 3",
    });
  });
});
