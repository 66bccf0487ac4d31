// DNS transports for the local zone: UDP and TCP (RFC 1035 §4.2, RFC 7766) on one port.
import dgram from "node:dgram";
import { lookup } from "node:dns";
import net, { isIP, isIPv6 } from "node:net";
import { frameTcp, TcpFrameReader } from "../../resolver/src/dnsProtocol";
import type { DnsResponder } from "./dnsResponder";

export interface DnsServerOptions {
  host: string;
  /** 0 picks a port that is free for both UDP and TCP. */
  port: number;
  responder: DnsResponder;
  /** Idle TCP connections are closed after this long (RFC 7766 §6.2.3). */
  tcpIdleTimeoutMs?: number;
}

export interface DnsServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

const MAX_TCP_CONNECTIONS = 1024;
/** A client that does not read its answers is cut off rather than buffered without end. */
const MAX_TCP_UNSENT_BYTES = 1024 * 1024;

function report(what: string, err: unknown): void {
  process.stderr.write(`local zone DNS: ${what}: ${err instanceof Error ? err.message : String(err)}\n`);
}

/**
 * Every answer goes back to an address literal taken from the query, which Node would still
 * resolve through dns.lookup and a process.nextTick per datagram; answering the literal at
 * once takes that off the per-query path. Names (a --host of "localhost") still resolve.
 */
const literalLookup: dgram.SocketOptions["lookup"] = (hostname, options, callback) => {
  const family = isIP(hostname);
  if (family !== 0) {
    callback(null, hostname, family);
    return;
  }
  lookup(hostname, options, callback);
};

function bindUdp(host: string, port: number, responder: DnsResponder): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: isIPv6(host) ? "udp6" : "udp4", lookup: literalLookup });
    socket.once("error", reject);
    socket.bind(port, host, () => {
      socket.off("error", reject);
      socket.on("error", (err) => report("UDP socket error", err));
      resolve(socket);
    });
    socket.on("message", (msg, rinfo) => {
      let out: Buffer | null;
      try {
        out = responder.respond(msg, "udp");
      } catch (err) {
        report("query failed", err);
        return;
      }
      // No callback: without one Node tries a synchronous send first (uv_udp_try_send), which
      // is most of the cost per query; send errors still reach the socket's "error" handler.
      if (out) socket.send(out, rinfo.port, rinfo.address);
    });
  });
}

function serveTcpConnection(sock: net.Socket, responder: DnsResponder, idleMs: number): void {
  sock.setNoDelay(true);
  sock.setTimeout(idleMs, () => sock.destroy());
  sock.on("error", () => sock.destroy());
  const frames = new TcpFrameReader();
  sock.on("data", (chunk: Buffer) => {
    frames.push(chunk);
    for (let msg = frames.next(); msg !== undefined; msg = frames.next()) {
      let out: Buffer | null;
      try {
        out = responder.respond(msg, "tcp");
      } catch (err) {
        report("query failed", err);
        out = null;
      }
      if (out) {
        sock.write(frameTcp(out));
        if (sock.writableLength > MAX_TCP_UNSENT_BYTES) {
          sock.destroy();
          return;
        }
      }
    }
  });
}

function listenTcp(
  host: string,
  port: number,
  responder: DnsResponder,
  idleMs: number,
  sockets: Set<net.Socket>,
) {
  return new Promise<net.Server>((resolve, reject) => {
    const server = net.createServer((sock) => {
      sockets.add(sock);
      sock.on("close", () => sockets.delete(sock));
      serveTcpConnection(sock, responder, idleMs);
    });
    server.maxConnections = MAX_TCP_CONNECTIONS;
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      server.on("error", (err) => report("TCP server error", err));
      resolve(server);
    });
  });
}

/** Starts the DNS server; with port 0 it retries until one port is free for both protocols. */
export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  const idleMs = options.tcpIdleTimeoutMs ?? 10_000;
  const sockets = new Set<net.Socket>();
  for (let attempt = 0; ; attempt++) {
    const udp = await bindUdp(options.host, options.port, options.responder);
    const port = udp.address().port;
    let tcp: net.Server;
    try {
      tcp = await listenTcp(options.host, port, options.responder, idleMs, sockets);
    } catch (err) {
      udp.close();
      if (options.port === 0 && (err as NodeJS.ErrnoException).code === "EADDRINUSE" && attempt < 20)
        continue;
      throw err;
    }
    return {
      host: options.host,
      port,
      close: async () => {
        for (const s of sockets) s.destroy();
        await Promise.all([
          new Promise<void>((resolve) => udp.close(() => resolve())),
          new Promise<void>((resolve) => tcp.close(() => resolve())),
        ]);
      },
    };
  }
}
