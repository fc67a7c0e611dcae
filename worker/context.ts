/** The hono environment type shared by every route module: the bindings, and the configuration parsed once per request. */
import type { Context, MiddlewareHandler } from "hono";
import type { Authorized } from "./auth/authorize.ts";
import { parseConfig, type Config, type Env } from "./config.ts";
import type { Account } from "./storage/accounts.ts";

export interface AppEnv {
  Bindings: Env;
  /**
   * `auth` is set by auth/authenticate-first.ts on the routes that use it; `bodyOverLimit` by
   * http/body-limit.ts; `capability` by auth/capability.ts: the account a `/legacy/<token>` URL names.
   */
  Variables: { config: Config; auth?: Authorized; bodyOverLimit?: boolean; capability?: Account };
}

export type AppContext = Context<AppEnv>;

/** Sets `c.var.config` before anything else runs; a bad variable fails every request the same way. */
export const withConfig: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set("config", parseConfig(c.env));
  await next();
};
