import { describe, expect, it } from "vitest";
import { call, errorOf } from "./support/api.ts";
import { claimedUser } from "./support/docs.ts";

describe("GET /", () => {
  it("answers the service name and version", async () => {
    const res = await call("/");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ service: "project-ai-cloud-sync", version: "0.1.0" });
  });

  it("carries the server's Date on answers and errors", async () => {
    for (const path of ["/", "/nowhere", "/v1/users/x/docs"]) {
      const date = (await call(path)).headers.get("Date");
      expect(date).not.toBeNull();
      expect(Math.abs(Date.parse(date!) - Date.now())).toBeLessThan(60_000);
    }
  });
});

describe("GET /openapi.json", () => {
  it("describes every route as OpenAPI 3.1", async () => {
    const res = await call("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe("3.1.0");
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(routes.sort()).toEqual(
      [
        "GET /",
        "POST /upload",
        "GET /download",
        "GET /devices",
        "POST /legacy/{token}/upload",
        "GET /legacy/{token}/download",
        "GET /legacy/{token}/devices",
        "PUT /v1/users/{username}",
        "GET /v1/users/{username}",
        "DELETE /v1/users/{username}",
        "PUT /v1/users/{username}/credential",
        "GET /v1/users/{username}/capability",
        "PUT /v1/users/{username}/capability",
        "DELETE /v1/users/{username}/capability",
        "GET /v1/users/{username}/docs",
        "GET /v1/users/{username}/docs/{doc}",
        "PUT /v1/users/{username}/docs/{doc}",
        "DELETE /v1/users/{username}/docs/{doc}",
        "GET /v1/users/{username}/docs/{doc}/versions",
        "GET /v1/users/{username}/docs/{doc}/versions/{n}",
        "GET /v1/users/{username}/changes",
        "POST /v1/users/{username}/docs/{doc}/changes",
        "PUT /v1/users/{username}/docs/{doc}/snapshots/{n}",
        "GET /v1/users/{username}/docs/{doc}/snapshots/{n}",
        "GET /v1/users/{username}/devices",
        "PUT /v1/users/{username}/devices/{id}",
        "DELETE /v1/users/{username}/devices/{id}",
        "GET /v1/users/{username}/live",
      ].sort(),
    );
  });

  it("carries the name patterns that the Worker enforces", async () => {
    const doc = (await (await call("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string; schema: { pattern?: string } }[] }>>;
    };
    const params = doc.paths["/v1/users/{username}/docs/{doc}"]!["get"]!.parameters!;
    expect(params.find((p) => p.name === "doc")?.schema.pattern).toBe("^(?!.*\\.\\.)[a-z0-9][a-z0-9._-]{0,63}$");
  });
});

describe("unknown routes and wrong methods", () => {
  it("answers 404 not_found in the JSON error shape", async () => {
    expect(await errorOf(await call("/nowhere"))).toEqual({ status: 404, code: "not_found", message: "no such route" });
  });

  it("answers 405 method_not_allowed with Allow for a known path", async () => {
    const res = await call("/upload", { method: "GET" });
    expect(res.headers.get("Allow")).toBe("POST");
    expect(await errorOf(res)).toEqual({ status: 405, code: "method_not_allowed", message: "this path allows POST" });
    const u = await claimedUser();
    const docs = await call(`/v1/users/${u.user}/docs`, { method: "POST", headers: u.auth });
    expect(await errorOf(docs)).toMatchObject({ status: 405, code: "method_not_allowed" });
  });

  it("answers HEAD on a document like GET without a body", async () => {
    const u = await claimedUser();
    const res = await call(`/v1/users/${u.user}/docs/none`, { method: "HEAD", headers: u.auth });
    expect(res.status).toBe(404);
  });
});
