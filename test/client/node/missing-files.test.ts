/** A missing path is an answer: entriesIfPresent gives null for it and throws other errors. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { entriesIfPresent, isMissing } from "../../../client/node/missing-files.ts";

const dir = mkdtempSync(join(tmpdir(), "cloud-sync-missing-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("entriesIfPresent", () => {
  it("lists a folder's entries with their types", async () => {
    writeFileSync(join(dir, "a.json"), "{}");
    const entries = await entriesIfPresent(dir);
    expect(entries?.map((e) => [e.name, e.isFile()])).toEqual([["a.json", true]]);
  });

  it("answers null for a folder that does not exist", async () => {
    expect(await entriesIfPresent(join(dir, "nowhere"))).toBeNull();
  });

  it("throws when the path is a file, not a folder", async () => {
    const error = await entriesIfPresent(join(dir, "a.json")).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe("ENOTDIR");
    expect(isMissing(error)).toBe(false);
  });
});
