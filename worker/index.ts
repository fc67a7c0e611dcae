/** The Worker: wires middleware, routes and error handlers; no logic of its own. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { withConfig, type AppEnv } from "./context.ts";
import { apiCors } from "./cors.ts";
import { notFound, onError } from "./errors.ts";
import { limitBody } from "./http/body-limit.ts";
import { dateHeader } from "./http/date-header.ts";
import { addMethodNotAllowed } from "./http/method-not-allowed.ts";
import { resolveCapability } from "./auth/capability.ts";
import { accountRoutes } from "./routes/account.ts";
import { capabilityRoutes } from "./routes/capability.ts";
import { serveDashboard } from "./routes/dashboard.ts";
import { deviceRoutes } from "./routes/devices.ts";
import { changeRoutes } from "./routes/changes.ts";
import { documentRoutes } from "./routes/documents.ts";
import { historyRoutes } from "./routes/history.ts";
import { legacyRoutes } from "./routes/legacy.ts";
import { liveRoutes } from "./routes/live.ts";
import { metaRoutes, serveOpenApi } from "./routes/meta.ts";
import { validationHook } from "./schemas/common.ts";

const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
app.use(withConfig);
app.use(dateHeader);
app.use("/v1/*", apiCors);
app.use(limitBody);
app.route("/", metaRoutes());
// The capability URL names its account by its path, before a route reads any body.
app.use("/legacy/:token/*", resolveCapability);
app.route("/", legacyRoutes());
app.route("/", accountRoutes());
app.route("/", capabilityRoutes());
app.route("/", documentRoutes());
app.route("/", changeRoutes());
app.route("/", historyRoutes());
app.route("/", deviceRoutes());
app.route("/", liveRoutes());
serveOpenApi(app);
serveDashboard(app);
addMethodNotAllowed(app);
app.onError(onError);
app.notFound(notFound);

export default app;
export { UserHub } from "./realtime/user-hub.ts";
