import { describe, expect, it } from "vitest";
import { useWorkerServer } from "../support/use-worker-server.ts";

const server = useWorkerServer();

describe("the Worker served by workerd over real HTTP", () => {
  it("answers GET / with the service name", async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ service: "project-ai-cloud-sync" });
  });
});
