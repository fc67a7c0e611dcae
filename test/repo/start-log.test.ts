/** `npm start`'s request log (scripts/start.ts): wrangler logs each path, and a capability URL's path holds a credential. */
import { describe, expect, it } from "vitest";
import { maskTokens } from "../../scripts/start.ts";

describe("the local server's request log", () => {
  it("masks the token of every capability URL and leaves other paths alone", () => {
    const token = "Q2FwYWJpbGl0eSB0b2tlbiBvZiBhbGljZSwgbm8gbW9y";
    expect(maskTokens(`[wrangler:info] GET /legacy/${token}/download 200 OK (3ms)`)).toBe(
      "[wrangler:info] GET /legacy/<token>/download 200 OK (3ms)",
    );
    expect(maskTokens(`POST /legacy/${token}/upload and GET /legacy/${token}?x=1`)).not.toContain(token);
    expect(maskTokens("[wrangler:info] GET /v1/users/alice/docs 200 OK (2ms)")).toBe(
      "[wrangler:info] GET /v1/users/alice/docs 200 OK (2ms)",
    );
  });
});
