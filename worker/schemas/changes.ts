/** Schemas of the incremental routes: cursor reads, change writes, snapshots. */
import { z } from "@hono/zod-openapi";
import { docParams } from "./documents.ts";
import { DEVICE_ID_MESSAGE, DEVICE_ID_PATTERN, versionParamSchema } from "./names.ts";

export const cursorQuery = z.object({
  after: z
    .string({ error: "after must be a sequence number (0 or more)" })
    .regex(/^(0|[1-9]\d{0,14})$/, { error: "after must be a sequence number (0 or more)" })
    .transform(Number)
    .openapi({ param: { name: "after", in: "query" }, example: "0", type: "string" }),
});

export const changeHeaders = z.object({
  "x-device-id": z.string().regex(DEVICE_ID_PATTERN, { error: DEVICE_ID_MESSAGE }),
  "x-sync-version": versionParamSchema.openapi({
    description: "the version sealed inside the change: stored as exactly that version, after the current one",
  }),
  "x-sync-undo": z
    .enum(["1"], { error: "X-Sync-Undo is 1 when given" })
    .optional()
    .openapi({ description: "the change carries its undo, so history can be rebuilt backwards across it" }),
});

export const snapshotParams = docParams.extend({
  n: versionParamSchema.openapi({ param: { name: "n", in: "path" } }),
});

export const changeAnswer = z
  .object({ name: z.string(), version: z.number().int(), seq: z.number().int(), size: z.number().int() })
  .openapi("Change");

export const changesContent = {
  "application/vnd.cloud-sync.changes": {
    schema: z.string().openapi({
      format: "binary",
      description: "frames: u32be header length, header JSON, u32be body length, raw token (docs/PROTOCOL.md)",
    }),
  },
};
