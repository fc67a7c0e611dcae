/** How the CLI reads its command line: values that start with "-" (one Fernet key in 64 does), and what still counts as a forgotten value. */
import { describe, expect, it } from "vitest";
import { parseCommandLine } from "../../../client/cli/args.ts";
import { SyncError } from "../../../client/core/errors.ts";

/** A real key whose URL-safe base64 starts with "-": the first byte's top six bits are 62. */
const DASH_KEY = `-${"A".repeat(42)}=`;

function values(argv: string[]) {
  const line = parseCommandLine(argv);
  if (line.kind !== "run") throw new Error(`expected a command to run, got ${line.kind}`);
  return line.values;
}

function usageError(argv: string[]): string {
  try {
    parseCommandLine(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(SyncError);
    expect((error as SyncError).code).toBe("invalid_config");
    return (error as Error).message;
  }
  throw new Error("no usage error");
}

describe("parseCommandLine", () => {
  it("takes a value that starts with a dash, after a long or a short flag", () => {
    expect(values(["rotate-key", "-u", "alice", "--new-key", DASH_KEY])).toMatchObject({
      username: "alice",
      "new-key": DASH_KEY,
    });
    expect(values(["pull", "-u", "-odd-name"])).toMatchObject({ username: "-odd-name" });
    expect(values(["rotate-key", `--new-key=${DASH_KEY}`, "--username", "alice"])).toMatchObject({
      username: "alice",
      "new-key": DASH_KEY,
    });
  });

  it("still reads the options after such a value", () => {
    expect(values(["rotate-key", "--new-key", DASH_KEY, "-u", "alice", "--json"])).toMatchObject({
      username: "alice",
      "new-key": DASH_KEY,
      json: true,
    });
  });

  it("reports a forgotten value when the next word is one of the options", () => {
    expect(usageError(["rotate-key", "--new-key", "-u", "alice"])).toMatch(
      /option --new-key of rotate-key needs a value/,
    );
    expect(usageError(["pull", "--username", "--json"])).toMatch(/option --username of pull needs a value/);
  });

  it("leaves everything after -- alone", () => {
    expect(usageError(["pull", "-u", "alice", "--", "--json"])).toMatch(/pull takes no argument "--json"/);
  });
});
