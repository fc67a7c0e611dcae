import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Two projects: the Worker's own tests run inside workerd with real R2/KV/DO bindings;
// everything on the device side (client, CLI, interop, e2e over real HTTP) runs in Node.
export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            // An extra, strict limiter that test/worker/failures.test.ts swaps in for USER_LIMITER /
            // ADDRESS_LIMITER; the real ones keep wrangler.toml's generous limits.
            // Every test calls from one address and claims hundreds of names, so CLAIM_LIMITER gets a
            // limit no test reaches; claim-limit.test.ts checks the limit with STRICT_LIMITER.
            miniflare: {
              ratelimits: {
                STRICT_LIMITER: { namespace_id: "9001", simple: { limit: 3, period: 60 } },
                CLAIM_LIMITER: { namespace_id: "9002", simple: { limit: 1_000_000, period: 60 } },
              },
            },
          }),
        ],
        // SOAK=1 (npm run test:soak) lengthens the fuzz suites; workerd has no process.env, so it is provided.
        test: { name: "worker", include: ["test/worker/**/*.test.ts"], provide: { soak: process.env["SOAK"] === "1" } },
      },
      {
        test: {
          name: "node",
          include: [
            "test/client/**/*.test.ts",
            "test/bench/**/*.test.ts",
            "test/repo/**/*.test.ts",
            "test/e2e/**/*.test.ts",
            "test/interop/**/*.test.ts",
            "test/browser/**/*.test.ts",
            "test/reliability/**/*.test.ts",
          ],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
