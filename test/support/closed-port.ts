/** A loopback URL where nothing listens, for tests of a server that cannot be reached. */
import { createServer, type AddressInfo } from "node:net";

/** Binds a free port and releases it, so connecting there is refused (the OS hands it out again only later). */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await new Promise((resolve) => server.close(resolve));
  return url;
}
