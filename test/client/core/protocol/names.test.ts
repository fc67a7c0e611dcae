/**
 * The name rules: the patterns in client/core/protocol/names.ts are the ones docs/PROTOCOL.md ("Names")
 * prints, and the checks built on them accept and refuse what the table says.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  DEVICE_ID_PATTERN,
  DOC_NAME_PATTERN,
  USERNAME_PATTERN,
  checkDocName,
  isDeviceId,
  isDocName,
  isUsername,
} from "../../../../client/core/protocol/names.ts";
import { SyncError } from "../../../../client/core/errors.ts";

const protocol = readFileSync(resolve(import.meta.dirname, "../../../../docs/PROTOCOL.md"), "utf8");

function documentedPattern(what: string): string {
  // Biome pads the table's cells, so the name may be followed by spaces before the next `|`.
  const row = protocol.split("\n").find((line) => new RegExp(`^\\| ${what} +\\|`).test(line));
  const pattern = row?.match(/`([^`]+)`/)?.[1];
  if (pattern === undefined) throw new Error(`docs/PROTOCOL.md has no pattern for ${what}`);
  return pattern;
}

describe("name patterns", () => {
  it("are the ones docs/PROTOCOL.md lists", () => {
    expect(documentedPattern("username")).toBe(USERNAME_PATTERN.source);
    expect(documentedPattern("device id")).toBe(DEVICE_ID_PATTERN.source);
    expect(documentedPattern("document name")).toBe(DOC_NAME_PATTERN.source);
  });

  it("accept the Python module's names and refuse '..', '/' and a leading dot", () => {
    expect(isUsername("alice@example.com")).toBe(true);
    expect(isDeviceId("a1b2c3d4e5f60718")).toBe(true);
    expect(isDocName("default")).toBe(true);
    for (const bad of ["a..b", "a/b", ".hidden", "", "x".repeat(65)]) {
      expect([isUsername(bad), isDeviceId(bad), isDocName(bad)]).toEqual([false, false, false]);
    }
    expect(isDocName("Notes")).toBe(false);
  });

  it("fail a bad document name with SyncError invalid_name", () => {
    let caught: unknown;
    try {
      checkDocName("a..b");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SyncError);
    expect(caught).toMatchObject({
      code: "invalid_name",
      message: expect.stringContaining('Invalid document name "a..b"'),
    });
  });
});
