/** The deployed per-address claim limit: wrangler.toml binds CLAIM_LIMITER with a small limit, so it is on by default. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

describe("wrangler.toml", () => {
  it("binds CLAIM_LIMITER at a few claims a minute per address", () => {
    const toml = readFileSync(resolve(import.meta.dirname, "../../wrangler.toml"), "utf8");
    const block =
      /\[\[ratelimits\]\]\nname = "CLAIM_LIMITER"\nnamespace_id = "\d+"\nsimple = \{ limit = (\d+), period = (\d+) \}/.exec(
        toml,
      );
    expect(block).not.toBeNull();
    expect(Number(block![1])).toBeLessThanOrEqual(10);
    expect(Number(block![2])).toBe(60);
  });
});
