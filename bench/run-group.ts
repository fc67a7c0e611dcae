/**
 * Child-process entry that runs one bench group and sends its rows to the runner over IPC.
 * Each group gets its own process so that a peer which crashes, hangs or leaks (a workerd it
 * started, a python3 child) is stopped with its whole process group and reported missing.
 */

import { GROUPS, type GroupRunner } from "./groups.ts";

const name = process.argv[2];
const group = GROUPS.find((g) => g.name === name);
if (group === undefined || process.send === undefined) {
  console.error(`usage: run-group.ts <${GROUPS.map((g) => g.name).join("|")}> (as an IPC child of bench/index.ts)`);
  process.exit(2);
}

const module = (await import(new URL(group.file, import.meta.url).href)) as Record<string, unknown>;
const run = module[group.exportName];
if (typeof run !== "function") throw new Error(`bench/${group.file} does not export ${group.exportName}()`);
const rows = await (run as GroupRunner)();
process.send({ rows }, () => process.exit(0));
