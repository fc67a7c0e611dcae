import { createServer, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { proxyFetch, proxySettings } from "../../../client/node/proxy.ts";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise((resolve) => {
          s.closeAllConnections();
          s.close(resolve);
        }),
    ),
  );
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The target: answers with the path it was asked for. */
async function target(): Promise<string> {
  return listen(createServer((req, res) => res.end(`target saw ${req.url}`)));
}

/** A forward proxy that records each request line and tunnels CONNECT to loopback only (refusing the rest). */
async function proxy(seen: string[]): Promise<string> {
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(405).end();
  });
  server.on("connect", (req, socket, head) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = req.url!.split(":");
    if (host !== "127.0.0.1") return void socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
    const upstream = connect(Number(port), host, () => {
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
  });
  return listen(server);
}

describe("proxyFetch", () => {
  it("sends http requests through HTTP_PROXY", async () => {
    const seen: string[] = [];
    const [origin, proxyUrl] = await Promise.all([target(), proxy(seen)]);
    const res = await proxyFetch({ HTTP_PROXY: proxyUrl })(`${origin}/v1/x`, { method: "GET" });
    expect(await res.text()).toBe("target saw /v1/x");
    // undici tunnels plain HTTP through the proxy with CONNECT too.
    expect(seen).toEqual([`CONNECT ${origin.slice("http://".length)}`]);
  });

  it("tunnels https requests through HTTPS_PROXY with CONNECT", async () => {
    const seen: string[] = [];
    const proxyUrl = await proxy(seen);
    await expect(
      proxyFetch({ https_proxy: proxyUrl })("https://sync.example.test/v1/x", { method: "GET" }),
    ).rejects.toThrow();
    expect(seen).toEqual(["CONNECT sync.example.test:443"]);
  });

  it("goes direct to hosts listed in NO_PROXY", async () => {
    const seen: string[] = [];
    const [origin, proxyUrl] = await Promise.all([target(), proxy(seen)]);
    const res = await proxyFetch({ HTTP_PROXY: proxyUrl, NO_PROXY: "localhost,127.0.0.1" })(`${origin}/direct`, {
      method: "GET",
    });
    expect(await res.text()).toBe("target saw /direct");
    expect(seen).toEqual([]);
  });

  it("reads lower-case variables before upper-case ones, as curl does", () => {
    expect(proxySettings({ https_proxy: "http://a", HTTPS_PROXY: "http://b", NO_PROXY: "x" })).toEqual({
      httpsProxy: "http://a",
      noProxy: "x",
    });
    expect(proxySettings({})).toEqual({});
  });
});
