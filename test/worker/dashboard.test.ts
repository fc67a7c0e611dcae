import { describe, expect, it } from "vitest";
import { call, errorOf } from "./support/api.ts";

const FILES = [
  { path: "/app/", type: "text/html; charset=utf-8", contains: '<script type="module" src="./main.js"></script>' },
  { path: "/app/main.js", type: "text/javascript; charset=utf-8", contains: "cloud-sync.dashboard.device-id" },
  { path: "/app/style.css", type: "text/css; charset=utf-8", contains: "{" },
];

describe("the dashboard files at /app/", () => {
  it.each(FILES)("serves $path with its type, a strict CSP and an ETag", async ({ path, type, contains }) => {
    const res = await call(path);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe(type);
    expect(res.headers.get("Content-Security-Policy")).toContain("default-src 'none'");
    expect(res.headers.get("Content-Security-Policy")).toContain("script-src 'self'");
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(res.headers.get("Cache-Control")).toBe("no-cache");
    expect(res.headers.get("ETag")).toMatch(/^"[\w-]{22}"$/);
    expect(await res.text()).toContain(contains);
  });

  it("gives each file its own ETag", async () => {
    const tags = await Promise.all(FILES.map(async ({ path }) => (await call(path)).headers.get("ETag")));
    expect(new Set(tags).size).toBe(FILES.length);
  });

  it("answers 304 with no body when the browser holds the current file, and 200 for an old one", async () => {
    const first = await call("/app/main.js");
    const etag = first.headers.get("ETag")!;
    const again = await call("/app/main.js", { headers: { "If-None-Match": `"old", W/${etag}` } });
    expect(again.status).toBe(304);
    expect(again.headers.get("ETag")).toBe(etag);
    expect(await again.text()).toBe("");
    const stale = await call("/app/main.js", { headers: { "If-None-Match": '"old"' } });
    expect(stale.status).toBe(200);
    expect((await stale.text()).length).toBe((await first.text()).length);
  });

  it("answers HEAD with the headers and no body", async () => {
    const res = await call("/app/style.css", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/css; charset=utf-8");
    expect(await res.text()).toBe("");
  });

  it.each(["/app", "/app/index.html"])("redirects %s to /app/", async (path) => {
    const res = await call(path, { redirect: "manual" });
    expect(res.status).toBe(307);
    expect(new URL(res.headers.get("Location")!, "http://sync.test").pathname).toBe("/app/");
  });

  it("refuses other methods with 405 and unknown files with 404, as JSON errors", async () => {
    const post = await call("/app/main.js", { method: "POST", body: "x" });
    expect(await errorOf(post)).toMatchObject({ status: 405, code: "method_not_allowed" });
    expect(post.headers.get("Allow")).toBe("GET, HEAD");
    expect(await errorOf(await call("/app/secret.txt"))).toMatchObject({ status: 404, code: "not_found" });
  });
});
