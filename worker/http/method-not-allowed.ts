/** Answers 405 `method_not_allowed` (with `Allow`) for a known path asked with a method it does not serve. */
import type { Hono } from "hono";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";

/** Call after every route is registered: adds a catch-all per known path. */
export function addMethodNotAllowed(app: Hono<AppEnv>): void {
  const allowed = new Map<string, Set<string>>();
  for (const route of app.routes) {
    if (route.method === "ALL") continue;
    const methods = allowed.get(route.path) ?? new Set<string>();
    methods.add(route.method);
    if (route.method === "GET") methods.add("HEAD");
    allowed.set(route.path, methods);
  }
  for (const [path, methods] of allowed) {
    const allow = [...methods].sort().join(", ");
    app.all(path, () => {
      throw new ApiError(405, "method_not_allowed", `this path allows ${allow}`, { Allow: allow });
    });
  }
}
