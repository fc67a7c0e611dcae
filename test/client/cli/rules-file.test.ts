/** `--rules FILE`: what a rules file may hold, and the one-line usage error (exit 2) for one that is not right. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT, exitCodeFor } from "../../../client/cli/exit-codes.ts";
import { readRulesFile, rulesOption } from "../../../client/cli/rules-file.ts";
import { failure } from "../../support/sync-failure.ts";

const dir = mkdtempSync(join(tmpdir(), "cloud-sync-rules-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

describe("rulesOption", () => {
  it("reads a file of JSON-pointer patterns to lww, append and max, relative to the working folder", async () => {
    const name = file("ok.json", '{"/conversations": "append", "/progress/*": "max", "/a~1b/~0c": "lww", "": "lww"}');
    expect(await rulesOption({ rules: name }, dir)).toEqual({
      "/conversations": "append",
      "/progress/*": "max",
      "/a~1b/~0c": "lww",
      "": "lww",
    });
  });

  it("answers undefined without --rules, so the document's declared or default rules apply", async () => {
    expect(await rulesOption({}, dir)).toBeUndefined();
  });

  it("accepts an empty object: every path last-writer-wins", async () => {
    expect(await rulesOption({ rules: file("empty.json", "{}") }, dir)).toEqual({});
  });
});

describe("readRulesFile", () => {
  const cases: Array<[string, string, RegExp]> = [
    ["not JSON", "{ /turns: append", /^--rules bad\.json is not valid JSON: .+\.$/],
    [
      "an unknown rule name",
      '{"/turns": "union"}',
      /^--rules bad\.json: merge rule for "\/turns" must be lww, append or max, got "union"\.$/,
    ],
    [
      "a rule that is not a string",
      '{"/turns": 1}',
      /^--rules bad\.json: merge rule for "\/turns" must be lww, append or max, got 1\.$/,
    ],
    [
      "a path without a leading slash",
      '{"turns": "append"}',
      /^--rules bad\.json: merge rule path "turns" is not a JSON pointer \(.*\)\.$/,
    ],
    [
      "a path with a bad ~ escape",
      '{"/a~2": "append"}',
      /^--rules bad\.json: merge rule path "\/a~2" is not a JSON pointer/,
    ],
    [
      "an array instead of an object",
      '["/turns"]',
      /^--rules bad\.json: merge rules must be a JSON object of path patterns to rules\.$/,
    ],
    ["null", "null", /^--rules bad\.json: merge rules must be a JSON object/],
  ];
  for (const [what, text, message] of cases) {
    it(`refuses ${what} with one line and exit code 2`, async () => {
      file("bad.json", text);
      const error = await failure(readRulesFile(join(dir, "bad.json"), "bad.json"));
      expect(error.code).toBe("invalid_config");
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain("\n");
      expect(exitCodeFor(error)).toBe(EXIT.usage);
    });
  }

  it("names a missing file as the user typed it", async () => {
    const error = await failure(rulesOption({ rules: "missing.json" }, dir));
    expect(error.code).toBe("invalid_config");
    expect(error.message).toBe("cannot read --rules missing.json: no such file.");
  });
});
