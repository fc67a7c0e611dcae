/** SOAK=1 (`npm run test:soak`) for suites running in workerd, which has no process.env: vitest.config.ts provides it. */
import { inject } from "vitest";

declare module "vitest" {
  interface ProvidedContext {
    soak: boolean;
  }
}

export const SOAK: boolean = inject("soak");
