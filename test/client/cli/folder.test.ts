import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SyncError } from "../../../client/core/index.ts";
import { parseCommandLine } from "../../../client/cli/args.ts";
import { filterOptions, folderProgress, folderRulesOption, outcomeText } from "../../../client/cli/folder.ts";

const dir = mkdtempSync(join(tmpdir(), "cloud-sync-rules-"));
function rulesFile(name: string, value: unknown): string {
  writeFileSync(join(dir, name), JSON.stringify(value));
  return name;
}

async function failure(promise: Promise<unknown>): Promise<SyncError> {
  try {
    await promise;
  } catch (error) {
    return error as SyncError;
  }
  throw new Error("did not fail");
}

describe("sync --dir options", () => {
  it("reads --include and --exclude as lists, each given any number of times", () => {
    const line = parseCommandLine([
      "sync",
      "-u",
      "alice",
      "--dir",
      "data",
      "--include",
      "*.json",
      "--exclude",
      "a/**",
      "--exclude",
      "b/**",
    ]);
    expect(line.kind === "run" && line.values).toMatchObject({
      dir: "data",
      include: ["*.json"],
      exclude: ["a/**", "b/**"],
    });
    expect(filterOptions({ exclude: ["a/**", "b/**"] })).toEqual({ include: [], exclude: ["a/**", "b/**"] });
  });

  it("refuses a malformed glob as a usage error", () => {
    expect(() => filterOptions({ include: ["{a,b"] })).toThrow(
      new SyncError("invalid_config", '--include/--exclude: unclosed "{" in the glob "{a,b".'),
    );
  });

  it("applies one set of --rules to every file, or sets by path glob, the first match deciding", async () => {
    const every = await folderRulesOption({ rules: rulesFile("every.json", { "/turns": "append" }) }, dir);
    expect(every?.("ai_persona--state")).toEqual({ "/turns": "append" });
    const byPath = await folderRulesOption(
      {
        rules: rulesFile("paths.json", {
          "ai_persona/state.json": { "/interaction_count": "max" },
          "*.json": { "/log": "append" },
        }),
      },
      dir,
    );
    expect(byPath?.("ai_persona--state")).toEqual({ "/interaction_count": "max" });
    expect(byPath?.("memory--knowledge")).toEqual({ "/log": "append" });
    expect(byPath?.("Not-A-File")).toBeUndefined();
    expect(await folderRulesOption({}, dir)).toBeUndefined();
  });

  it("refuses rules it cannot apply, naming the file and the path", async () => {
    const bad = await failure(
      folderRulesOption({ rules: rulesFile("bad.json", { "users.json": { "/x": "sum" } }) }, dir),
    );
    expect(bad.code).toBe("invalid_config");
    expect(bad.message).toMatch(/^--rules bad\.json: rules for "users\.json": .*lww, append or max/);
    const missing = await failure(folderRulesOption({ rules: "none.json" }, dir));
    expect(missing.message).toBe("cannot read --rules none.json: no such file.");
  });

  it("says what happened to each file in one line", () => {
    expect(outcomeText({ path: "a.json", doc: "a", action: "deleted", version: 4 })).toBe(
      "deleted a.json everywhere (version 4); its history keeps it",
    );
    expect(
      outcomeText({ path: "b.json", doc: "b", action: "skipped", version: null, reason: "it is not valid JSON" }),
    ).toBe("skipped b.json: it is not valid JSON (will retry)");
  });

  it("draws one bar on a terminal over a large first sync, and none when stderr is not a terminal", () => {
    const drawn: string[] = [];
    const terminal = { isTTY: true, write: (chunk: string) => drawn.push(chunk) > 0 };
    const steps = (draw: (s: { done: number; total: number; bytes: number; totalBytes: number }) => void) => {
      for (let done = 1; done <= 30; done++) draw({ done, total: 30, bytes: done * 1000, totalBytes: 30_000 });
    };
    steps(folderProgress(terminal, "/home/alice/data"));
    const text = drawn.join("");
    expect(text).toMatch(/\rsync \/home\/alice\/data \[#{24}\] 100% 0\.0\/0\.0 MB/);
    expect(text.match(/\n/g)).toHaveLength(1);
    const piped: string[] = [];
    steps(folderProgress({ write: (chunk: string) => piped.push(chunk) > 0 }, "/d"));
    expect(piped).toEqual([]);
  });
});
