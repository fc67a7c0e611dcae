/** Schemas of the document routes: names, versions, conditional headers and the JSON answers. */
import { z } from "@hono/zod-openapi";
import { DEVICE_ID_MESSAGE, DEVICE_ID_PATTERN, docNameSchema, usernameSchema, versionParamSchema } from "./names.ts";

export const docParams = z.object({
  username: usernameSchema.openapi({ param: { name: "username", in: "path" } }),
  doc: docNameSchema.openapi({ param: { name: "doc", in: "path" } }),
});

export const versionParams = docParams.extend({
  n: versionParamSchema.openapi({ param: { name: "n", in: "path" } }),
});

const deviceHeader = z
  .string()
  .regex(DEVICE_ID_PATTERN, { error: DEVICE_ID_MESSAGE })
  .openapi({ description: "the device making the request" });

const ifMatch = z
  .string()
  .optional()
  .openapi({ description: 'compare-and-swap: `"<version>"` the write was based on, or `*`' });

export const writeHeaders = z.object({
  "x-device-id": deviceHeader,
  "if-match": ifMatch,
  "if-none-match": z.string().optional().openapi({ description: "`*`: create only" }),
  "x-sync-version": z.string().optional().openapi({
    description:
      "the version number sealed inside the token: stored as exactly that version, else `412` with `X-Sync-Next-Version`",
  }),
});

export const readHeaders = z.object({
  "x-device-id": deviceHeader.optional(),
  "if-none-match": z.string().optional().openapi({ description: '`"<version>"` already held: 304 if still current' }),
});

export const deleteHeaders = z.object({ "if-match": ifMatch, "x-device-id": deviceHeader.optional() });

export const tokenBytesContent = {
  "application/octet-stream": {
    schema: z.string().openapi({ format: "binary", description: "the raw (base64url-decoded) Fernet token" }),
  },
};

const versionFields = {
  version: z.number().int(),
  etag: z.string().openapi({ example: '"3"' }),
  size: z.number().int(),
  updated_at: z.string(),
  device_id: z.string(),
};

export const documentAnswer = z.object({ name: z.string(), ...versionFields }).openapi("Document");
export const documentsAnswer = z.object({ documents: z.array(documentAnswer) }).openapi("Documents");
export const versionAnswer = z
  .object({
    ...versionFields,
    kind: z.enum(["whole", "change", "folded"]).openapi({
      description:
        "a whole version, a change, or a whole version folded into a later snapshot (read it by rebuilding; docs/PROTOCOL.md)",
    }),
    snapshot: z.literal(true).optional().openapi({ description: "a snapshot (compaction) of this version is stored" }),
  })
  .openapi("Version");
export const versionsAnswer = z.object({ versions: z.array(versionAnswer) }).openapi("Versions");
