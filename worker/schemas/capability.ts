/** Schemas of the capability URL routes: its state, issuing token number n, revoking. */
import { z } from "@hono/zod-openapi";

export const capabilityAnswer = z
  .object({
    generation: z
      .number()
      .int()
      .openapi({ description: "how many capability tokens were issued; the current one is this number" }),
    active: z
      .boolean()
      .openapi({ description: "whether a capability URL of this release opens the Python-compatible routes now" }),
    routine_url: z.boolean().openapi({
      description: "whether the routine token in the path (the previous release's URLs) still opens them",
    }),
  })
  .openapi("Capability");

export const capabilityBody = z
  .object({
    token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, { error: "token must be 43 base64url characters" }),
    generation: z.number().int().min(1).openapi({ description: "the token's number: one more than the current" }),
  })
  .openapi("CapabilityIssue");
