/** Runs test/interop/python-crypto.py with the machine's python3: Python's `cryptography` as the oracle for interop tests. */

import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("./python-crypto.py", import.meta.url));

export type PythonRequest = { op: string } & Record<string, unknown>;
export type PythonAnswer = { ok: unknown } | { error: string };

/** Sends every request to one python3 process; throws if python3 or `cryptography` is missing (a test must not pass without its oracle). */
export function askPython(requests: PythonRequest[]): PythonAnswer[] {
  const stdout = execFileSync("python3", [SCRIPT], {
    input: JSON.stringify(requests),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as PythonAnswer[];
}

/** One request whose answer must be a success. */
export function python<T>(request: PythonRequest): T {
  const [answer] = askPython([request]);
  if (!answer || !("ok" in answer)) throw new Error(`python3 failed on ${request.op}: ${JSON.stringify(answer)}`);
  return answer.ok as T;
}
