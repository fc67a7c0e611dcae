/**
 * Builds the dashboard (app/) into worker/app-dist/dashboard.json: the page, its script (app/main.ts
 * bundled with client/core) and its stylesheet, each with its content type and ETag. The Worker
 * imports that file and serves it at /app/ (worker/routes/dashboard.ts).
 *
 * Run by `npm ci` (prepare), so a fresh clone type-checks, and by wrangler.toml's [build] before
 * `wrangler dev` and `wrangler deploy`, so what runs is built from the current sources. By hand:
 * `node scripts/build-app.ts` (Node >= 22.18 strips the types).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const APP_DIST = join(root, "worker", "app-dist");

/** One file as worker/routes/dashboard.ts reads it (its `DashboardFile`). */
function file(contentType: string, body: string) {
  const hash = createHash("sha256").update(body).digest("base64url").slice(0, 22);
  return { contentType, etag: `"${hash}"`, body };
}

async function bundleScript(): Promise<string> {
  const result = await build({
    entryPoints: [join(root, "app", "main.ts")],
    write: false,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "none",
    logLevel: "warning",
  });
  return result.outputFiles[0]!.text;
}

/** Bundles app/main.ts with client/core and writes the three files, keyed by file name. */
export async function buildApp(): Promise<void> {
  const files: Record<string, ReturnType<typeof file>> = {
    "index.html": file("text/html; charset=utf-8", readFileSync(join(root, "app", "index.html"), "utf8")),
    "main.js": file("text/javascript; charset=utf-8", await bundleScript()),
    "style.css": file("text/css; charset=utf-8", readFileSync(join(root, "app", "style.css"), "utf8")),
  };
  const out = join(APP_DIST, "dashboard.json");
  const json = JSON.stringify(files);
  if (existsSync(out) && readFileSync(out, "utf8") === json) return;
  // Tests start several Workers at once, each running this build: a rename is atomic, so a bundler
  // reading the file sees the old build or the new one, never half of one.
  mkdirSync(APP_DIST, { recursive: true });
  const partial = `${out}.${process.pid}.tmp`;
  writeFileSync(partial, json);
  renameSync(partial, out);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildApp();
}
