/** The test helper for an unreachable server: its URL refuses connections. */
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { closedPortUrl } from "../support/closed-port.ts";

describe("closedPortUrl", () => {
  it("gives a loopback URL whose port refuses connections", async () => {
    const url = new URL(await closedPortUrl());
    expect(url.hostname).toBe("127.0.0.1");
    const refused = await new Promise<string>((resolve) => {
      const socket = connect(Number(url.port), url.hostname);
      socket.on("connect", () => {
        socket.destroy();
        resolve("connected");
      });
      socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
    });
    expect(refused).toBe("ECONNREFUSED");
  });
});
