/**
 * A loopback TCP proxy that counts every byte each way, HTTP headers included, so the wire.* rows
 * report what actually crosses the network rather than body sizes.
 */

import { createConnection, createServer, type Socket } from "node:net";

export interface ByteCount {
  /** Client to server: request lines, headers and bodies. */
  up: number;
  /** Server to client. */
  down: number;
}

export interface CountingProxy {
  /** Origin to send requests to instead of the target's. */
  url: string;
  /** The bytes counted since the last call (or since start), then starts counting afresh. */
  take(): ByteCount;
  stop(): Promise<void>;
}

export async function startCountingProxy(targetOrigin: string): Promise<CountingProxy> {
  const target = new URL(targetOrigin);
  let count: ByteCount = { up: 0, down: 0 };
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on("data", (chunk: Buffer) => (count.up += chunk.length));
    upstream.on("data", (chunk: Buffer) => (count.down += chunk.length));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no TCP address");
  return {
    url: `http://127.0.0.1:${address.port}`,
    take() {
      const taken = count;
      count = { up: 0, down: 0 };
      return taken;
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
