/**
 * Builds the dashboard (app/) into worker/app-dist/, the Worker's static assets directory, served at
 * /app/. wrangler.toml's [build] runs it before `wrangler dev` and `wrangler deploy`; tests call
 * `buildApp()`. Run it by hand with `node scripts/build-app.ts` (Node >= 22.18 strips the types).
 */
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const APP_DIST = join(root, "worker", "app-dist");

// The page needs nothing but its own origin: no inline code, no third parties (the key lives here).
const HEADERS = `/app/*
  Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'
  X-Content-Type-Options: nosniff
  Referrer-Policy: no-referrer
`;

/** Bundles app/main.ts with client/core, and copies the page and stylesheet next to it. */
export async function buildApp(): Promise<void> {
  const out = join(APP_DIST, "app");
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [join(root, "app", "main.ts")],
    outfile: join(out, "main.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "none",
    logLevel: "warning",
  });
  copyFileSync(join(root, "app", "index.html"), join(out, "index.html"));
  copyFileSync(join(root, "app", "style.css"), join(out, "style.css"));
  writeFileSync(join(APP_DIST, "_headers"), HEADERS);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildApp();
}
