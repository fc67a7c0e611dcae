import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("GET /", () => {
  it("answers the service name and version", async () => {
    const res = await exports.default.fetch("http://sync.test/");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ service: "project-ai-cloud-sync" });
  });
});
