/**
 * `npm run typecheck` (and so `npm test`) must reach every TypeScript file: a file no tsconfig it
 * runs includes is never type-checked, and its errors surface only when something bundles it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, matchesGlob, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
// Installed, built or generated: not ours to check.
const SKIPPED = new Set(["node_modules", "dist", ".wrangler", ".git", "app-dist"]);

const scripts = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> })
  .scripts;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIPPED.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.m?ts$/.test(entry.name) ? [relative(root, path).split("\\").join("/")] : [];
  });
}

function includes(config: string): string[] {
  return (JSON.parse(readFileSync(join(root, config), "utf8")) as { include: string[] }).include;
}

describe("npm run typecheck", () => {
  it("checks the Node, core and Worker configs", () => {
    const configs = [...scripts["typecheck"]!.matchAll(/tsc --noEmit -p (\S+)/g)].map((m) => m[1]);
    expect(configs).toEqual(["tsconfig.json", "tsconfig.core.json", "tsconfig.worker.json"]);
  });

  it("reaches every TypeScript file of the repository through one of those configs", () => {
    const globs = ["tsconfig.json", "tsconfig.core.json", "tsconfig.worker.json"].flatMap(includes);
    const files = sourceFiles(root);
    expect(files).toContain("worker/index.ts");
    expect(files.filter((file) => !globs.some((glob) => matchesGlob(file, glob)))).toEqual([]);
  });

  it("runs before the formatter and linter check, the tests and the deploy dry run in npm test", () => {
    expect(scripts["test"]).toMatch(
      /^npm run typecheck && npm run lint && vitest run && wrangler types --check .* && wrangler deploy --dry-run --outdir \.wrangler\//,
    );
    expect(scripts["lint"]).toBe("biome ci .");
  });
});
