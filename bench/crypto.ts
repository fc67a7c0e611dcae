/**
 * `crypto.*` bench rows: Fernet encrypt and decrypt throughput for our library, the npm
 * `fernet` package and Python's `cryptography`, each against the limit — node:crypto doing the same
 * AES-128-CBC + HMAC-SHA256 on raw buffers, no framing or encoding — measured side by side in this run.
 *
 * Rows `crypto.<who>.<encrypt|decrypt>.<size>`: `ours` (raw token bytes, node:crypto backend; target 0.8 of
 * the limit from 64 KiB, and for encryption at every size), `ours-text`, `ours-webcrypto`, `npm-fernet`, `python`, and `ours-vs-npm-fernet`
 * (target 20) and `ours-vs-python` (target 1), whose baseline is the peer. Figures are MB per CPU-second,
 * the best of several short rounds taken in turn.
 */

import { execFile } from "node:child_process";
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Fernet } from "../client/core/crypto/fernet.ts";
import { nodeCryptoBackend } from "../client/node/crypto-backend.ts";
import { missingRow, row, type BenchRow } from "./rows.ts";

const SIZES = [
  { label: "1KiB", bytes: 1024 },
  { label: "64KiB", bytes: 64 * 1024 },
  { label: "1MiB", bytes: 1024 * 1024 },
  { label: "16MiB", bytes: 16 * 1024 * 1024 },
] as const;
type Op = "encrypt" | "decrypt";
const OPS: readonly Op[] = ["encrypt", "decrypt"];

/**
 * Rounds per measurement, each at least this long (and at least one call). A figure is the best round:
 * on a shared 2-core machine most rounds lose time to other processes, and short rounds give some a
 * chance to run undisturbed.
 */
const ROUNDS = 15;
const ROUND_MS = 10;
const PYTHON_TIMEOUT_MS = 60_000;

/** The two calls a contender needs: make a token from the plaintext, and read one back. */
interface Contender {
  encrypt(): unknown;
  decrypt(): unknown;
}

export async function runCryptoBench(): Promise<BenchRow[]> {
  // python3 runs first and alone: beside the Node loops it would take a core from them on a 2-core machine.
  const python = await measurePython(SIZES.map((s) => s.bytes));
  const rows: BenchRow[] = [];
  for (const size of SIZES) {
    const plaintext = randomBytes(size.bytes);
    const secret = randomBytes(32);
    const key = `${secret.toString("base64url")}=`;
    const limit = rawLimit(secret, plaintext);
    const contenders: Record<string, Contender> = {
      ours: await oursContender(key, plaintext, "bytes"),
      "ours-text": await oursContender(key, plaintext, "text"),
      "ours-webcrypto": await oursContender(key, plaintext, "webcrypto"),
    };
    const npm = npmFernetContender(key, size.bytes);
    for (const op of OPS) {
      // Every Node contender and the limit take turns round by round, so noise lands on all of them alike.
      const rates = await interleaved({ limit, ...contenders }, op, size.bytes);
      // npm fernet needs seconds per 16 MiB token: one round, already warm from the smaller sizes.
      const npmRate =
        size.bytes >= 1 << 20
          ? await timedRound(() => npm[op](), size.bytes)
          : await bestRate(() => npm[op](), size.bytes, ROUNDS);
      const base = rates["limit"]!;
      const id = (who: string) => `crypto.${who}.${op}.${size.label}`;
      rows.push(
        row({
          id: id("ours"),
          value: rates["ours"]!,
          unit: "MB/s",
          baseline: base,
          better: "higher",
          note: "raw token bytes (the wire form), node:crypto backend; baseline = limit",
          // Small tokens are the hot path of incremental sync (changes), so 1 KiB encryption has the target too.
          ...(size.bytes >= 64 * 1024 || op === "encrypt" ? { target: 0.8 } : {}),
        }),
        row({
          id: id("ours-text"),
          value: rates["ours-text"]!,
          unit: "MB/s",
          baseline: base,
          better: "higher",
          note: "token as base64 text, as Python returns it; no target",
        }),
        row({
          id: id("ours-webcrypto"),
          value: rates["ours-webcrypto"]!,
          unit: "MB/s",
          baseline: base,
          better: "higher",
          note: "default WebCrypto backend (browsers, Workers)",
        }),
        row({
          id: id("npm-fernet"),
          value: npmRate,
          unit: "MB/s",
          baseline: base,
          better: "higher",
          note: "npm fernet 0.4 (crypto-js), string plaintext",
        }),
        row({
          id: id("ours-vs-npm-fernet"),
          value: rates["ours"]!,
          unit: "MB/s",
          baseline: npmRate,
          better: "higher",
          target: 20,
          note: "baseline = npm fernet",
        }),
      );
    }
  }
  rows.push(...pythonRows(python, rows));
  return rows;
}

/** node:crypto on raw buffers: the most any Fernet in Node can do (no header, no token assembly, no encoding). */
function rawLimit(secret: Uint8Array, plaintext: Uint8Array): Contender {
  const signing = secret.subarray(0, 16);
  const encryption = secret.subarray(16);
  const iv = randomBytes(16);
  const cipher = createCipheriv("aes-128-cbc", encryption, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const mac = createHmac("sha256", signing).update(ciphertext).digest();
  return {
    encrypt() {
      const c = createCipheriv("aes-128-cbc", encryption, iv);
      const body = c.update(plaintext);
      const last = c.final();
      return createHmac("sha256", signing).update(body).update(last).digest();
    },
    decrypt() {
      if (!timingSafeEqual(createHmac("sha256", signing).update(ciphertext).digest(), mac)) throw new Error("bad mac");
      const d = createDecipheriv("aes-128-cbc", encryption, iv);
      return [d.update(ciphertext), d.final()];
    },
  };
}

async function oursContender(
  key: string,
  plaintext: Uint8Array,
  form: "bytes" | "text" | "webcrypto",
): Promise<Contender> {
  const fernet = await Fernet.create(key, form === "webcrypto" ? {} : { backend: nodeCryptoBackend });
  if (form === "text") {
    const token = await fernet.encryptToString(plaintext);
    return { encrypt: () => fernet.encryptToString(plaintext), decrypt: () => fernet.decrypt(token) };
  }
  const token = await fernet.encrypt(plaintext);
  return { encrypt: () => fernet.encrypt(plaintext), decrypt: () => fernet.decrypt(token) };
}

interface NpmFernetToken {
  encode(message: string): string;
  decode(): string;
}
interface NpmFernet {
  Secret: new (secret64: string) => unknown;
  Token: new (options: { secret: unknown; token?: string; ttl: number }) => NpmFernetToken;
}

/** The npm `fernet` package works on strings, so it gets an ASCII plaintext of the same length. */
function npmFernetContender(key: string, bytes: number): Contender {
  const fernet = createRequire(import.meta.url)("fernet") as NpmFernet;
  const secret = new fernet.Secret(key);
  const message = "x".repeat(bytes);
  const token = new fernet.Token({ secret, ttl: 0 }).encode(message);
  return {
    encrypt: () => new fernet.Token({ secret, ttl: 0 }).encode(message),
    decrypt: () => new fernet.Token({ secret, token, ttl: 0 }).decode(),
  };
}

async function interleaved(
  contenders: Record<string, Contender>,
  op: Op,
  bytes: number,
): Promise<Record<string, number>> {
  const best: Record<string, number> = {};
  for (const c of Object.values(contenders)) await c[op](); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, c] of Object.entries(contenders)) {
      best[name] = Math.max(best[name] ?? 0, await timedRound(() => c[op](), bytes));
    }
  }
  return best;
}

async function bestRate(call: () => unknown, bytes: number, rounds: number): Promise<number> {
  await call();
  let best = 0;
  for (let round = 0; round < rounds; round++) best = Math.max(best, await timedRound(call, bytes));
  return best;
}

/**
 * MB per CPU-second over one round: calls until ROUND_MS of this process's CPU time have passed (at least
 * one call). CPU time rather than wall time, so that time the scheduler gives other processes on this
 * shared machine is not charged to whoever happened to be running; for single-threaded work on an idle
 * machine the two are the same.
 */
async function timedRound(call: () => unknown, bytes: number): Promise<number> {
  let n = 0;
  const start = process.cpuUsage();
  let elapsedMs = 0;
  do {
    await call();
    n++;
    const used = process.cpuUsage(start);
    elapsedMs = (used.user + used.system) / 1000;
  } while (elapsedMs < ROUND_MS);
  return (bytes * n) / (elapsedMs * 1000);
}

type PythonResult = { rates: Record<string, Record<Op, number>>; version: string } | { missing: string };

/** Runs bench/crypto-python.py; a missing python3 or `cryptography` becomes a reason, not an exception. */
function measurePython(sizes: number[]): Promise<PythonResult> {
  const script = fileURLToPath(new URL("./crypto-python.py", import.meta.url));
  return promisify(execFile)("python3", [script, ...sizes.map(String)], {
    timeout: PYTHON_TIMEOUT_MS,
    maxBuffer: 1 << 20,
  }).then(
    ({ stdout }) => {
      const { version, ...rates } = JSON.parse(stdout) as Record<string, unknown>;
      return { rates: rates as Record<string, Record<Op, number>>, version: String(version) };
    },
    (error: NodeJS.ErrnoException & { stderr?: string }) => ({
      missing:
        error.code === "ENOENT"
          ? "python3 is not installed"
          : /No module named 'cryptography'/.test(error.stderr ?? "")
            ? "python3 has no cryptography package"
            : `python3 failed: ${(error.stderr ?? error.message).trim().split("\n").pop()}`,
    }),
  );
}

/** Python's rows, against the limit and our figure from the same run. */
function pythonRows(python: PythonResult, nodeRows: readonly BenchRow[]): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const size of SIZES) {
    for (const op of OPS) {
      const id = (who: string) => `crypto.${who}.${op}.${size.label}`;
      const ours = nodeRows.find((r) => r.id === id("ours"))!;
      if ("missing" in python) {
        rows.push(
          missingRow(id("python"), "MB/s", "higher", python.missing),
          missingRow(id("ours-vs-python"), "MB/s", "higher", python.missing, 1),
        );
        continue;
      }
      const rate = python.rates[String(size.bytes)]![op];
      rows.push(
        row({
          id: id("python"),
          value: rate,
          unit: "MB/s",
          baseline: ours.baseline,
          better: "higher",
          note: `Python cryptography ${python.version} Fernet (returns base64 text)`,
        }),
        row({
          id: id("ours-vs-python"),
          value: ours.value,
          unit: "MB/s",
          baseline: rate,
          better: "higher",
          target: 1,
          note: "baseline = Python cryptography; must exceed 1",
        }),
      );
    }
  }
  return rows;
}
