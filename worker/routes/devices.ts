/** Device registry routes under `/v1/users/{username}/devices`: list, register or rename, remove. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { authenticateFirst, authOf } from "../auth/authenticate-first.ts";
import { removeDeviceOf } from "../auth/account-changes.ts";
import { authorize } from "../auth/authorize.ts";
import type { AppEnv } from "../context.ts";
import { createRouter } from "../router.ts";
import { userParams } from "../schemas/account.ts";
import { bearerSecurity, commonErrors, errorResponse } from "../schemas/common.ts";
import { deviceAnswer, deviceBody, deviceParams, devicesAnswer } from "../schemas/devices.ts";
import { listDevices, registerDevice } from "../storage/devices.ts";

const tags = ["devices"];

const list = createRoute({
  method: "get",
  path: "/v1/users/{username}/devices",
  tags,
  security: bearerSecurity,
  middleware: [authenticateFirst()] as const,
  summary: "Devices with first seen, last upload, last download (activity times lag by up to a minute)",
  request: { params: userParams },
  responses: {
    200: { description: "the devices", content: { "application/json": { schema: devicesAnswer } } },
    ...commonErrors,
  },
});

const register = createRoute({
  method: "put",
  path: "/v1/users/{username}/devices/{id}",
  tags,
  security: bearerSecurity,
  middleware: [authenticateFirst({ access: "write" })] as const,
  summary: "Register a device or rename it",
  request: { params: deviceParams, body: { required: true, content: { "application/json": { schema: deviceBody } } } },
  responses: {
    200: { description: "the device", content: { "application/json": { schema: deviceAnswer } } },
    ...commonErrors,
  },
});

const remove = createRoute({
  method: "delete",
  path: "/v1/users/{username}/devices/{id}",
  tags,
  security: bearerSecurity,
  summary: "Remove a device from the registry (admin token)",
  request: { params: deviceParams },
  responses: { 204: { description: "removed" }, 404: errorResponse("no such device (`not_found`)"), ...commonErrors },
});

export function deviceRoutes(): OpenAPIHono<AppEnv> {
  const app = createRouter();

  app.openapi(list, async (c) => {
    return c.json({ devices: await listDevices(c.env.DEVICES, authOf(c).account.space) }, 200);
  });

  app.openapi(register, async (c) => {
    const { id } = c.req.valid("param");
    const details = c.req.valid("json");
    return c.json(
      await registerDevice(c.env.DEVICES, authOf(c).account.space, id, details, new Date(), c.var.config.maxDevices),
      200,
    );
  });

  app.openapi(remove, async (c) => {
    const { username, id } = c.req.valid("param");
    await removeDeviceOf(c, (await authorize(c, username, { access: "write", credential: "admin" })).account, id);
    return c.body(null, 204);
  });

  return app;
}
