// A loopback HTTP endpoint for health-probe tests: /health answers the status the test sets, any other path
// 404; and a port on which nothing listens. Shared by the image's probe and the container definition's check.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface HealthEndpoint {
  readonly port: number;
  /** What /health answers from now on (200 at start). */
  status: number;
  close(): Promise<void>;
}

export async function startHealthEndpoint(): Promise<HealthEndpoint> {
  let server: Server | undefined;
  const endpoint = {
    port: 0,
    status: 200,
    close: () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
  };
  server = createServer((req, res) => {
    res.statusCode = req.url === "/health" ? endpoint.status : 404;
    res.end();
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  endpoint.port = (server.address() as AddressInfo).port;
  return endpoint;
}

/** A loopback port that was free a moment ago: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  return port;
}
