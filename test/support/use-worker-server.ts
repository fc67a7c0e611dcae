/** A Worker in workerd for one test file: started before its tests, stopped after them. */
import { afterAll, beforeAll } from "vitest";
import { startWorkerServer, type WorkerServer, type WorkerServerOptions } from "./worker-server.ts";

/**
 * Registers the file's beforeAll/afterAll; call it at the top of a test file. The answer reads
 * through to the running server, so tests use `server.url` as with startWorkerServer's.
 *
 * @example
 * const server = useWorkerServer({ vars: { HISTORY_RETENTION: "2" } });
 * it("answers", async () => expect((await fetch(server.url)).status).toBe(200));
 */
export function useWorkerServer(options: WorkerServerOptions = {}): WorkerServer {
  let started: WorkerServer | undefined;
  beforeAll(async () => {
    started = await startWorkerServer(options);
  });
  afterAll(async () => {
    await started?.stop();
  });
  const running = (): WorkerServer => {
    if (started === undefined) throw new Error("the Worker is used before its beforeAll ran");
    return started;
  };
  return {
    get url() {
      return running().url;
    },
    get persistTo() {
      return running().persistTo;
    },
    stop: () => running().stop(),
  };
}
