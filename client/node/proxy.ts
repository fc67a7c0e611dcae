/**
 * A `fetch` for Node that honours HTTPS_PROXY, HTTP_PROXY and NO_PROXY (in either case), through
 * undici's EnvHttpProxyAgent: Node's built-in fetch ignores those variables.
 */
import { EnvHttpProxyAgent, fetch as undiciFetch } from "undici";
import type { FetchLike } from "../core/index.ts";

export type ProxyEnv = Readonly<Record<string, string | undefined>>;

export interface ProxySettings {
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
}

/** The proxy variables as curl reads them: lower case first, then upper case. */
export function proxySettings(env: ProxyEnv): ProxySettings {
  const pick = (name: string) => env[name.toLowerCase()] || env[name] || undefined;
  const settings: ProxySettings = {};
  const httpProxy = pick("HTTP_PROXY");
  const httpsProxy = pick("HTTPS_PROXY");
  const noProxy = pick("NO_PROXY");
  if (httpProxy !== undefined) settings.httpProxy = httpProxy;
  if (httpsProxy !== undefined) settings.httpsProxy = httpsProxy;
  if (noProxy !== undefined) settings.noProxy = noProxy;
  return settings;
}

/**
 * Returns the global fetch when no proxy is configured, else undici's fetch through the proxy
 * (HTTPS_PROXY for https URLs, HTTP_PROXY for http, hosts in NO_PROXY go direct).
 *
 * @example
 * const manager = new SyncManager({ ..., fetch: proxyFetch(process.env) });
 */
export function proxyFetch(env: ProxyEnv): FetchLike {
  const settings = proxySettings(env);
  if (settings.httpProxy === undefined && settings.httpsProxy === undefined) {
    return (input, init) => fetch(input, init);
  }
  // Unset fields would fall back to process.env inside undici; pass empty strings to pin them.
  const dispatcher = new EnvHttpProxyAgent({
    httpProxy: settings.httpProxy ?? "",
    httpsProxy: settings.httpsProxy ?? "",
    noProxy: settings.noProxy ?? "",
  });
  return (input, init) =>
    undiciFetch(input, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher }) as unknown as Promise<Response>;
}
