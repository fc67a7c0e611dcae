/** Tells `cloudflare:workers` (`env`, `exports`) the shapes of this Worker's bindings and exports, as `wrangler types` would. */
// An interface may only extend a named type, not an `import()` type, hence the alias.
type WorkerEnv = import("./config.ts").Env;
declare namespace Cloudflare {
  interface Env extends WorkerEnv {}
  interface GlobalProps {
    mainModule: typeof import("./index.ts");
  }
}
