/**
 * `npm run bench`: runs every bench group in its own process, prints one table to stdout
 * and writes bench/results.json. A group that is absent, fails or overruns its budget becomes a
 * row with value null and a `missing` reason, never a silent gap.
 *
 * Usage: npm run bench [-- group...]   (a subset prints its table without writing results.json)
 */

import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { GROUPS, type BenchGroup } from "./groups.ts";
import { formatTable, toResultsDocument } from "./report.ts";
import { missingRow, type BenchRow } from "./rows.ts";

const TOTAL_BUDGET_MS = 900_000;
const here = new URL(".", import.meta.url);

const asked = process.argv.slice(2);
const unknown = asked.filter((a) => !GROUPS.some((g) => g.name === a));
if (unknown.length > 0) {
  console.error(`unknown bench group(s): ${unknown.join(", ")}; known: ${GROUPS.map((g) => g.name).join(", ")}`);
  process.exit(2);
}
const selected = asked.length === 0 ? GROUPS : GROUPS.filter((g) => asked.includes(g.name));

const started = Date.now();
const rows: BenchRow[] = [];
for (const group of selected) {
  const remaining = TOTAL_BUDGET_MS - (Date.now() - started);
  const timeoutMs = Math.max(5_000, Math.min(group.timeoutMs, remaining));
  console.error(`[bench] ${group.name} (budget ${Math.round(timeoutMs / 1000)} s)`);
  const t0 = Date.now();
  rows.push(...(await runGroup(group, timeoutMs)));
  console.error(`[bench] ${group.name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

const seconds = Math.round((Date.now() - started) / 100) / 10;
console.log(formatTable(rows));
console.log(`\n${rows.length} rows in ${seconds} s`);
if (asked.length === 0) {
  const document = toResultsDocument(rows, {
    date: new Date().toISOString(),
    node: process.version,
    cpus: availableParallelism(),
    seconds,
  });
  const path = fileURLToPath(new URL("results.json", here));
  writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
  console.log(`wrote ${path}`);
}

/** Runs one group in a child process group; any failure comes back as a missing row. */
function runGroup(group: BenchGroup, timeoutMs: number): Promise<BenchRow[]> {
  const failed = (reason: string) => [missingRow(`${group.name}.all`, "", "higher", reason)];
  if (!existsSync(new URL(group.file, here))) return Promise.resolve(failed(`bench/${group.file} is not there`));
  return new Promise((resolve) => {
    // detached: the child leads its own process group, so workerd or python3 it starts die with it.
    const child = spawn(
      process.execPath,
      [...process.execArgv, fileURLToPath(new URL("run-group.ts", here)), group.name],
      {
        stdio: ["ignore", 2, 2, "ipc"],
        detached: true,
      },
    );
    let result: BenchRow[] | undefined;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, "SIGKILL");
    }, timeoutMs);
    child.on("message", (message) => {
      const sent = (message as { rows?: unknown }).rows;
      if (Array.isArray(sent)) result = sent as BenchRow[];
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      killGroup(child.pid, "SIGKILL");
      if (result !== undefined) resolve(result);
      else if (timedOut) resolve(failed(`stopped after its ${Math.round(timeoutMs / 1000)} s budget`));
      else resolve(failed(`exited with ${signal ?? `code ${code}`} before reporting (see stderr)`));
    });
  });
}

/** Ends what is left of a group's process tree; only processes this runner started are in it. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group has already ended.
  }
}
