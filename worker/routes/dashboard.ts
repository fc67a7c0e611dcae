/**
 * The dashboard at `/app/`: three files built by scripts/build-app.ts into worker/app-dist/ and
 * bundled into the Worker.
 *
 * Why not Workers static assets: with an `[assets]` directory every request, API calls included,
 * first passes through the assets router, a Worker of its own. Locally in workerd that hop cost
 * downloads about a tenth of their rate (the bench's server.download rows), for three small files
 * that the Worker can answer from memory as cheaply. Browsers revalidate each file with its ETag, so
 * a page load after the first is three 304s.
 */
import type { Context, Hono } from "hono";
import files from "../app-dist/dashboard.json" with { type: "json" };
import type { AppEnv } from "../context.ts";

/** One file of the dashboard, as scripts/build-app.ts writes it. */
interface DashboardFile {
  contentType: string;
  /** A strong validator: a hash of the body, so a rebuilt file is a new version to every browser. */
  etag: string;
  body: string;
}

const FILES: Readonly<Record<string, DashboardFile>> = files;
const PAGE = "/app/";

// The page needs nothing but its own origin: no inline code, no third parties (the key lives here).
const SECURITY_HEADERS = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

function built(name: string): DashboardFile {
  const file = FILES[name];
  if (file === undefined)
    throw new Error(`worker/app-dist/dashboard.json has no ${name}: run node scripts/build-app.ts`);
  return file;
}

/** True when an If-None-Match list names this ETag (weak comparison, as RFC 9110 asks for GET). */
function held(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(",").some((tag) => {
    const trimmed = tag.trim();
    return trimmed === "*" || trimmed.replace(/^W\//, "") === etag;
  });
}

function serve(c: Context<AppEnv>, file: DashboardFile): Response {
  const headers = {
    ...SECURITY_HEADERS,
    ETag: file.etag,
    "Cache-Control": "no-cache",
    "Content-Type": file.contentType,
  };
  if (held(c.req.header("If-None-Match"), file.etag)) return c.body(null, 304, headers);
  return c.body(file.body, 200, headers);
}

/** Registers `/app/` and its two files (GET and HEAD); `/app` and `/app/index.html` redirect to `/app/`. */
export function serveDashboard(app: Hono<AppEnv>): void {
  const page = built("index.html");
  app.get(PAGE, (c) => serve(c, page));
  for (const name of ["main.js", "style.css"]) {
    const file = built(name);
    app.get(`${PAGE}${name}`, (c) => serve(c, file));
  }
  for (const alias of ["/app", "/app/index.html"]) app.get(alias, (c) => c.redirect(PAGE, 307));
}
