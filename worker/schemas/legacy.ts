/** Schemas of the legacy routes (`/upload`, `/download`, `/devices`), byte-compatible with the Python CloudSyncManager (docs/PYTHON-DEVICES.md). */
import { z } from "@hono/zod-openapi";
import { deviceIdSchema, usernameSchema } from "./names.ts";

export const legacyTokenParams = z.object({
  token: z
    .string()
    .openapi({ param: { name: "token", in: "path" }, description: "the user's auth token (capability URL)" }),
});

export const legacyUploadBody = z
  .object({
    username: usernameSchema,
    device_id: deviceIdSchema,
    encrypted_data: z
      .string({ error: "expected the hex of a Fernet token" })
      .openapi({ description: "hex of the ASCII Fernet token" }),
  })
  .openapi("LegacyUpload");

export const legacyUploadAnswer = z
  .object({ status: z.literal("success"), timestamp: z.string().openapi({ example: "2025-01-01T12:00:00.000Z" }) })
  .openapi("LegacyUploadAnswer");

export const legacyDownloadQuery = z.object({
  username: usernameSchema,
  device_id: deviceIdSchema.optional(),
});

export const legacyDownloadAnswer = z
  .object({ username: z.string(), device_id: z.string(), encrypted_data: z.string(), timestamp: z.string() })
  .openapi("LegacyDownloadAnswer");

export const legacyDevicesQuery = z.object({ username: usernameSchema });

export const legacyDevicesAnswer = z
  .object({ devices: z.array(z.object({ device_id: z.string(), last_sync: z.string().nullable() })) })
  .openapi("LegacyDevicesAnswer");
