/** Schemas of the device registry routes. */
import { z } from "@hono/zod-openapi";
import { deviceIdSchema, usernameSchema } from "./names.ts";

export const deviceParams = z.object({
  username: usernameSchema.openapi({ param: { name: "username", in: "path" } }),
  id: deviceIdSchema.openapi({ param: { name: "id", in: "path" } }),
});

// No control characters: names are shown in lists and terminals.
const NAME_MESSAGE = "name must be 1-64 characters without control characters";
const PLATFORM_MESSAGE = "platform must be 1-32 characters without control characters";

export const deviceBody = z
  .object({
    name: z.string().regex(/^[^\p{Cc}]{1,64}$/u, { error: NAME_MESSAGE }),
    platform: z.string().regex(/^[^\p{Cc}]{1,32}$/u, { error: PLATFORM_MESSAGE }),
  })
  .openapi("DeviceRegistration");

const nullableTime = z.string().nullable();

export const deviceAnswer = z
  .object({
    device_id: z.string(),
    name: z.string().nullable(),
    platform: z.string().nullable(),
    first_seen: z.string(),
    last_upload: nullableTime,
    last_download: nullableTime,
    last_sync: nullableTime,
  })
  .openapi("Device");

export const devicesAnswer = z.object({ devices: z.array(deviceAnswer) }).openapi("Devices");
