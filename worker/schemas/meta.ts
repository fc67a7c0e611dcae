/** Schemas of the service routes: the service banner. */
import { z } from "@hono/zod-openapi";

export const serviceAnswer = z
  .object({
    service: z.string().openapi({ example: "project-ai-cloud-sync" }),
    version: z.string().openapi({ example: "0.1.0" }),
  })
  .openapi("Service");
