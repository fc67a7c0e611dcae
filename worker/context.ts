/** The hono environment type shared by every route module. */
import type { Context } from "hono";
import type { Env } from "./config.ts";

export interface AppEnv {
  Bindings: Env;
}

export type AppContext = Context<AppEnv>;
