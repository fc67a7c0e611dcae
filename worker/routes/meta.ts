/** Service routes: `GET /` names the service and version; `GET /openapi.json` describes every route. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import pkg from "../../package.json" with { type: "json" };
import type { AppEnv } from "../context.ts";
import { createRouter } from "../router.ts";
import { serviceAnswer } from "../schemas/meta.ts";

export const SERVICE_NAME = "project-ai-cloud-sync";

const service = createRoute({
  method: "get",
  path: "/",
  tags: ["service"],
  summary: "Service name and version",
  responses: { 200: { description: "the service", content: { "application/json": { schema: serviceAnswer } } } },
});

export function metaRoutes(): OpenAPIHono<AppEnv> {
  const app = createRouter();
  app.openapi(service, (c) => c.json({ service: SERVICE_NAME, version: pkg.version }, 200));
  return app;
}

/** Serves the OpenAPI 3.1 document generated from the same schemas that validate requests. */
export function serveOpenApi(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "base64url(HKDF-SHA256(Fernet key, username)), 43 characters (docs/PROTOCOL.md)",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Project-AI Cloud Sync",
      version: pkg.version,
      description: "Stores opaque Fernet tokens; see docs/PROTOCOL.md.",
    },
  });
}
