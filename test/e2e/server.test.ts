import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorkerServer, type WorkerServer } from "../support/worker-server.ts";

let server: WorkerServer;
beforeAll(async () => {
  server = await startWorkerServer();
});
afterAll(async () => {
  await server.stop();
});

describe("the Worker served by workerd over real HTTP", () => {
  it("answers GET / with the service name", async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ service: "project-ai-cloud-sync" });
  });
});
