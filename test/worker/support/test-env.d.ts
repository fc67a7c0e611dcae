/** Bindings that only the test project adds (vitest.config.ts): a strict limiter to swap in for the real ones. */
declare namespace Cloudflare {
  interface Env {
    STRICT_LIMITER: RateLimit;
  }
}
