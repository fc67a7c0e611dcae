/** Schemas of the account routes: claim, read, delete, replace the credential. */
import { z } from "@hono/zod-openapi";
import { usernameSchema } from "./names.ts";

export const userParams = z.object({ username: usernameSchema.openapi({ param: { name: "username", in: "path" } }) });

export const claimAnswer = z.object({ username: z.string(), created_at: z.string() }).openapi("Claim");

export const accountAnswer = z
  .object({
    username: z.string(),
    created_at: z.string(),
    usage_bytes: z.number().int().openapi({ description: "bytes the quota counts: the entries and snapshots stored" }),
    stored_bytes: z
      .number()
      .int()
      .openapi({ description: "usage_bytes plus the copies of small tokens the account's index keeps inline" }),
    quota_bytes: z.number().int(),
    documents: z.number().int().openapi({ description: "how many documents the user has" }),
  })
  .openapi("Account");

const NEW_TOKEN_MESSAGE = "token must be 43 base64url characters (docs/PROTOCOL.md, Credential)";

const HASH_MESSAGE = "admin_hash must be the lowercase hex SHA-256 of the admin token (docs/PROTOCOL.md, Credentials)";

export const credentialBody = z
  .object({
    token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, { error: NEW_TOKEN_MESSAGE }),
    admin_hash: z
      .string()
      .regex(/^[0-9a-f]{64}$/, { error: HASH_MESSAGE })
      .optional()
      .openapi({ description: "the new admin token's SHA-256 (hex); the admin token stays as it is without it" }),
  })
  .openapi("Credential");

export const claimSecretHeaders = z.object({
  "x-claim-secret": z
    .string()
    .optional()
    .openapi({ description: "required to claim a new username when the deployment sets CLAIM_SECRET" }),
  "x-admin-hash": z.string().optional().openapi({
    description:
      "hex SHA-256 of the admin token: stored by a claim, or set once on an account of the previous release that has none",
  }),
});
