/**
 * Builds the client package (client/package.json) into client/dist: core.mjs, node.mjs and
 * browser.mjs (one esbuild run with shared chunks, so `SyncError` from "." and from "./node" is one
 * class), cli.mjs when the CLI exists, and declarations into dist/types via tsc: what `npm pack` of
 * client/ ships. client/package.json's `prepare` runs it, so `npm ci` builds it before linking the
 * `cloud-sync` bin, and `npm pack`/`npm publish` rebuild it.
 *
 * Usage: node scripts/build.mjs [--outdir DIR] [--no-types]
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** undici is the Node entry's one runtime dependency (the proxy agent); node: modules are the platform's. */
const NODE_EXTERNALS = ["node:*", "undici"];

const { values } = parseArgs({
  options: {
    outdir: { type: "string", default: join(root, "client", "dist") },
    "no-types": { type: "boolean", default: false },
  },
});
const outdir = resolve(values.outdir);

rmSync(outdir, { recursive: true, force: true });

await build({
  absWorkingDir: root,
  entryPoints: {
    core: "client/core/index.ts",
    node: "client/node/index.ts",
    browser: "client/browser/index.ts",
  },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "neutral",
  mainFields: ["module", "main"],
  target: "es2022",
  external: NODE_EXTERNALS,
  outExtension: { ".js": ".mjs" },
  chunkNames: "chunks/[name]-[hash]",
  sourcemap: true,
  legalComments: "none",
  logLevel: "warning",
});

if (existsSync(join(root, "client/cli/main.ts"))) {
  await build({
    absWorkingDir: root,
    entryPoints: ["client/cli/main.ts"],
    outfile: join(outdir, "cli.mjs"),
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    external: NODE_EXTERNALS,
    banner: { js: "#!/usr/bin/env node" },
    sourcemap: true,
    legalComments: "none",
    logLevel: "warning",
  });
  // `npx cloud-sync` runs the bin file itself: it must be executable.
  chmodSync(join(outdir, "cli.mjs"), 0o755);
}

if (!values["no-types"]) {
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json"), "--outDir", join(outdir, "types")], {
    stdio: "inherit",
  });
}
