/**
 * Process memory from Linux's /proc: resident size, its high-water mark (which can be reset, so a
 * peak covers exactly one sync), and the workerd processes a bench started. Null where /proc is absent.
 */

import { readdirSync, readFileSync, writeFileSync } from "node:fs";

export const MB = 1024 * 1024;

function statusField(pid: number, field: "VmRSS" | "VmHWM"): number | null {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Resident set size in bytes. */
export function residentBytes(pid: number): number | null {
  return statusField(pid, "VmRSS");
}

/** Peak resident set size in bytes since start or since the last `resetPeak`. */
export function peakResidentBytes(pid: number): number | null {
  return statusField(pid, "VmHWM");
}

/** Resets the high-water mark to the current RSS (proc(5), clear_refs "5"); false where not allowed. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** Descendants of `root` whose command name is `name` (wrangler starts workerd below us). */
export function descendantsNamed(root: number, name: string): number[] {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  for (const entry of entries) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // "pid (comm) state ppid ...": comm may hold spaces or parentheses, so cut at the last ")".
      const close = stat.lastIndexOf(")");
      names.set(Number(entry), stat.slice(stat.indexOf("(") + 1, close));
      parents.set(Number(entry), Number(stat.slice(close + 2).split(" ")[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  const isBelow = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) if (p === root) return true;
    return false;
  };
  return [...names].filter(([pid, comm]) => comm === name && isBelow(pid)).map(([pid]) => pid);
}
