// Real HTTP servers on loopback that behave like instances do: healthy, failing, hanging, redirecting.
import http from "node:http";
import net from "node:net";

export type Behaviour = "healthy" | "error" | "hang" | "redirect";

export interface HealthServer {
  readonly port: number;
  /** Requests received, by path. */
  readonly hits: string[];
  /** How it answers from now on: an instance that recovers, or falls ill. */
  behave(behaviour: Behaviour): void;
  close(): Promise<void>;
}

export async function startHealthServer(initially: Behaviour): Promise<HealthServer> {
  const hits: string[] = [];
  let behaviour = initially;
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? "");
    if (behaviour === "hang") return; // accepts, reads, never answers
    if (behaviour === "error") res.writeHead(500).end("sick");
    else if (behaviour === "redirect") res.writeHead(302, { location: "/elsewhere" }).end();
    else res.writeHead(200).end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    hits,
    behave: (b) => {
      behaviour = b;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nothing listens on (bound, then released): connections to it are refused. */
export async function refusedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
