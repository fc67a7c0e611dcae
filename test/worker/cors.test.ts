import { describe, expect, it } from "vitest";
import { call } from "./support/api.ts";

const PAGE = "http://app.example";

describe("CORS on /v1", () => {
  it("answers a preflight for a conditional document write from another origin", async () => {
    const res = await call("/v1/users/alice/docs/default", {
      method: "OPTIONS",
      headers: {
        Origin: PAGE,
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "authorization, content-type, if-match, x-device-id",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(res.headers.get("Access-Control-Allow-Methods")).toContain("PUT");
    const allowed = res.headers.get("Access-Control-Allow-Headers")!.toLowerCase();
    for (const header of ["authorization", "content-type", "if-match", "if-none-match", "x-device-id"])
      expect(allowed).toContain(header);
  });

  it("lets a page read the version, Date and error of an answer", async () => {
    const res = await call("/v1/users/alice/docs/default", { headers: { Origin: PAGE } });
    expect(res.status).toBe(401);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
    const exposed = res.headers.get("Access-Control-Expose-Headers")!.toLowerCase();
    for (const header of ["etag", "date", "x-sync-version", "x-sync-device", "last-modified"])
      expect(exposed).toContain(header);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
  });

  it("adds no CORS headers to a request without Origin (devices, the CLI)", async () => {
    const res = await call("/v1/users/alice/docs/default");
    expect(res.status).toBe(401);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
    expect(res.headers.get("Access-Control-Expose-Headers")).toBeNull();
  });

  it("leaves the legacy routes without CORS", async () => {
    const res = await call("/download?username=alice&device_id=d", { headers: { Origin: PAGE } });
    expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });
});
