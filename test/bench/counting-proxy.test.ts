import { createServer } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCountingProxy, type CountingProxy } from "../../bench/counting-proxy.ts";

const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => res.end("x".repeat(5000)));
});
let proxy: CountingProxy;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  proxy = await startCountingProxy(`http://127.0.0.1:${port}`);
});
afterAll(async () => {
  await proxy.stop();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("the bench's counting proxy", () => {
  it("counts request and response bytes, headers included, and starts afresh after each take", async () => {
    const res = await fetch(`${proxy.url}/upload`, { method: "POST", body: "y".repeat(3000) });
    expect(await res.text()).toHaveLength(5000);
    const first = proxy.take();
    expect(first.up).toBeGreaterThan(3000);
    expect(first.up).toBeLessThan(3600);
    expect(first.down).toBeGreaterThan(5000);
    expect(first.down).toBeLessThan(5400);
    expect(proxy.take()).toEqual({ up: 0, down: 0 });
  });
});
