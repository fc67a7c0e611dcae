/** Tells `cloudflare:workers` (`env`, `exports`) the shapes of this Worker's bindings and exports, as `wrangler types` would. */
declare namespace Cloudflare {
  interface Env extends import("./config.ts").Env {}
  interface GlobalProps {
    mainModule: typeof import("./index.ts");
  }
}
