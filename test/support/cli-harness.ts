/**
 * The setup every CLI end-to-end file shares: one Worker in workerd and one built `cloud-sync` for
 * the file, fresh accounts each with a working folder of their own, and every folder removed after.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import type { SyncManager } from "../../client/core/index.ts";
import type { FetchLike } from "../../client/core/ports.ts";
import { createNodeSyncManager } from "../../client/node/index.ts";
import { buildCli, Cli, type CliProcess, type CliRun, freshWorkDir, removeDir } from "./cli-runner.ts";
import { freshKey, freshUser } from "./sync-clients.ts";
import { useWorkerServer } from "./use-worker-server.ts";
import type { WorkerServer, WorkerServerOptions } from "./worker-server.ts";

export interface CliAccountOptions {
  /** The device `run` and `env` use when none is named; default "desktop". */
  device?: string;
  /** The Worker the account's devices talk to; default the harness's server. */
  url?: string;
  /** CLOUD_SYNC_DEVICE_NAME of some devices, by device id; the others go by their machine's name. */
  names?: Record<string, string>;
}

/** A user with a key and a working folder; each device keeps its state in `state-<device>` there. */
export interface CliAccount {
  dir: string;
  key: string;
  user: string;
  /** The data folder of `device`. */
  stateDir(device?: string): string;
  /** The environment of `device`: the Worker's URL, the key, the device id and its data folder, then `extra`. */
  env(device?: string, extra?: Record<string, string>): Record<string, string>;
  /** `cloud-sync ...args` as `device`, in the working folder. */
  run(args: readonly string[], device?: string, extra?: Record<string, string>): Promise<CliRun>;
  /** Starts `cloud-sync ...args` as `device` in the working folder, to be ended with `kill`. */
  start(args: readonly string[], device?: string, extra?: Record<string, string>): CliProcess;
  /** A library manager of `device` on this account, its state in the device's data folder. */
  manager(device: string, fetch?: FetchLike): Promise<SyncManager>;
  /** Writes `data` (a string as it is, anything else as JSON) to `name` in the working folder; returns `name`. */
  write(name: string, data: unknown): string;
  /** Parses the JSON file `name` of the working folder. */
  read<T = unknown>(name: string): T;
}

export interface CliHarness {
  /** The Worker, started before the file's tests. */
  readonly server: WorkerServer;
  /** The built CLI. */
  readonly cli: Cli;
  /** The path of the built CLI's script (dist/cli.mjs in a private folder). */
  readonly cliPath: string;
  /** A fresh working folder, removed after the file's tests. */
  workDir(): string;
  /** A fresh user (`label` prefixes the name) with a fresh key and working folder. */
  freshAccount(label: string, options?: CliAccountOptions): CliAccount;
}

/**
 * Registers the file's beforeAll/afterAll; call it at the top of a test file.
 *
 * @example
 * const harness = useCliHarness();
 * it("pushes", async () => {
 *   const a = harness.freshAccount("push");
 *   expect((await a.run(["push", "-u", a.user, "-f", a.write("d.json", { x: 1 })])).code).toBe(0);
 * });
 */
export function useCliHarness(serverOptions: WorkerServerOptions = {}): CliHarness {
  const server = useWorkerServer(serverOptions);
  let build: { path: string; dispose(): void } | undefined;
  let cli: Cli | undefined;
  const dirs: string[] = [];

  beforeAll(() => {
    build = buildCli();
    cli = new Cli(build.path);
  });
  afterAll(() => {
    build?.dispose();
    dirs.forEach(removeDir);
  });

  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the CLI harness is used before its beforeAll ran");
    return value;
  };
  const workDir = () => {
    const dir = freshWorkDir();
    dirs.push(dir);
    return dir;
  };

  return {
    server,
    get cli() {
      return started(cli);
    },
    get cliPath() {
      return started(build).path;
    },
    workDir,
    freshAccount(label, options = {}) {
      const dir = workDir();
      const key = freshKey();
      const user = freshUser(label);
      const fallback = options.device ?? "desktop";
      const stateDir = (device = fallback) => join(dir, `state-${device}`);
      const env = (device = fallback, extra: Record<string, string> = {}) => {
        const name = options.names?.[device];
        return {
          CLOUD_SYNC_URL: options.url ?? server.url,
          FERNET_KEY: key,
          CLOUD_SYNC_DEVICE_ID: device,
          CLOUD_SYNC_DATA_DIR: stateDir(device),
          ...(name === undefined ? {} : { CLOUD_SYNC_DEVICE_NAME: name }),
          ...extra,
        };
      };
      return {
        dir,
        key,
        user,
        stateDir,
        env,
        run: (args, device, extra) => started(cli).run(args, { cwd: dir, env: env(device, extra) }),
        start: (args, device, extra) => started(cli).start(args, { cwd: dir, env: env(device, extra) }),
        manager: (device, fetch) =>
          createNodeSyncManager({
            url: options.url ?? server.url,
            key,
            deviceId: device,
            dataDir: stateDir(device),
            ...(fetch === undefined ? {} : { fetch }),
          }),
        write(name, data) {
          writeFileSync(join(dir, name), typeof data === "string" ? data : JSON.stringify(data));
          return name;
        },
        read: <T>(name: string): T => JSON.parse(readFileSync(join(dir, name), "utf8")) as T,
      };
    },
  };
}

/** Expects `result` to have exited 0 (stderr as the failure's message) and returns it. */
export function ok(result: CliRun): CliRun {
  expect(result.code, result.stderr).toBe(0);
  return result;
}
