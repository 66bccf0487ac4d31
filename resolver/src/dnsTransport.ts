// One question to one server: UDP from a fresh socket, then TCP when the answer is truncated.
import * as dgram from "node:dgram";
import * as net from "node:net";
import { matchResponse, type QueryType, type WireMessage } from "./dnsMessage";
import type { Nameserver } from "./nameservers";

/** The result of one exchange with one server. */
export type ExchangeResult =
  | { readonly ok: true; readonly message: WireMessage }
  | { readonly ok: false; readonly outcome: string; readonly timeout: boolean; readonly cause?: unknown };

const TIMEOUT: ExchangeResult = { ok: false, outcome: "timeout", timeout: true };

function errorOutcome(prefix: string, err: unknown): ExchangeResult {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return {
    ok: false,
    outcome: `${prefix}: ${code ?? (err as Error)?.message ?? String(err)}`,
    timeout: false,
    cause: err,
  };
}

function ignore(): void {}

/**
 * dgram's address lookup for the IP literals we only ever give it: answering at once (instead of
 * through dns.lookup on a later tick) makes bind and connect complete synchronously.
 */
function literalLookup(
  address: string,
  _family: unknown,
  callback: (err: Error | null, address: string, family: number) => void,
): void {
  callback(null, address, address.includes(":") ? 6 : 4);
}

/** A new UDP socket bound to a random port and connected to `server`; throws if it cannot be. */
function openSocket(server: Nameserver): dgram.Socket {
  const socket = dgram.createSocket({
    type: server.family === 6 ? "udp6" : "udp4",
    lookup: literalLookup as unknown as dgram.SocketOptions["lookup"],
  });
  socket.on("error", ignore);
  socket.unref();
  try {
    socket.connect(server.port, server.address);
    socket.remoteAddress(); // throws unless the connect above completed
  } catch (err) {
    closeSocket(socket);
    throw err;
  }
  return socket;
}

/**
 * Hands out UDP sockets, each used for exactly one query so the kernel picks a fresh random
 * source port per query (RFC 5452 §9.2). One socket per server is opened ahead of time, off the
 * query's critical path; taking it opens the next.
 */
export class UdpSocketSource {
  private readonly spares = new Map<string, dgram.Socket>();
  private closed = false;

  /** A connected socket for one query to `server`, never used before. */
  take(server: Nameserver): dgram.Socket {
    const spare = this.spares.get(server.label);
    if (!this.closed) setImmediate(() => this.prepare(server));
    if (spare !== undefined) {
      this.spares.delete(server.label);
      return spare;
    }
    return openSocket(server);
  }

  /** Closes the spare sockets; later queries open their sockets on demand. */
  close(): void {
    this.closed = true;
    for (const socket of this.spares.values()) closeSocket(socket);
    this.spares.clear();
  }

  private prepare(server: Nameserver): void {
    if (this.closed || this.spares.has(server.label)) return;
    try {
      this.spares.set(server.label, openSocket(server));
    } catch {
      // The query that takes the socket will open one itself and report the error.
    }
  }
}

/**
 * Sends `query` over UDP from a socket of its own and waits for a datagram that comes from the
 * server's address and port and answers our id and question. Anything else is ignored and the
 * wait goes on until the timeout. The socket is connected, so an ICMP port-unreachable fails
 * the exchange at once.
 */
export function exchangeUdp(
  sockets: UdpSocketSource,
  server: Nameserver,
  query: Buffer,
  id: number,
  name: string,
  type: QueryType,
  timeoutMs: number,
): Promise<ExchangeResult> {
  let socket: dgram.Socket;
  try {
    socket = sockets.take(server);
  } catch (err) {
    return Promise.resolve(errorOutcome("udp", err));
  }
  return new Promise((resolve) => {
    let done = false;
    const finish = (result: ExchangeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(result);
      // Closing costs a little; do it after the caller has its answer.
      setImmediate(closeSocket, socket);
    };
    const timer = setTimeout(finish, timeoutMs, TIMEOUT);
    socket.on("message", (msg, rinfo) => {
      if (done || rinfo.port !== server.port || rinfo.address !== server.address) return;
      const message = matchResponse(msg, id, name, type);
      if (message) finish({ ok: true, message });
    });
    socket.off("error", ignore);
    socket.on("error", (err) => finish(errorOutcome("udp", err)));
    try {
      socket.send(query);
    } catch (err) {
      finish(errorOutcome("udp", err));
    }
  });
}

function closeSocket(socket: dgram.Socket): void {
  socket.removeAllListeners("message");
  socket.on("error", ignore);
  try {
    socket.close();
  } catch {
    // already closed by an earlier error
  }
}

/**
 * Asks the same question over TCP (RFC 7766: a truncated UDP answer is retried over TCP), with
 * the two-byte length prefix of RFC 1035 §4.2.2. One connection per question; it is closed as
 * soon as the answer is in.
 */
export function exchangeTcp(
  server: Nameserver,
  query: Buffer,
  id: number,
  name: string,
  type: QueryType,
  timeoutMs: number,
): Promise<ExchangeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: server.address, port: server.port, noDelay: true });
    let done = false;
    let buffered = Buffer.alloc(0);
    const finish = (result: ExchangeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(finish, timeoutMs, TIMEOUT);
    socket.on("connect", () => {
      const framed = Buffer.allocUnsafe(query.length + 2);
      framed.writeUInt16BE(query.length, 0);
      query.copy(framed, 2);
      socket.write(framed);
    });
    socket.on("data", (chunk) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      // A server may send several messages on one connection; look at each complete one.
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) return;
        const msg = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        const packet = matchResponse(msg, id, name, type);
        if (packet) return finish({ ok: true, message: packet });
      }
    });
    socket.on("error", (err) => finish(errorOutcome("tcp", err)));
    socket.on("close", () => finish({ ok: false, outcome: "tcp: closed without an answer", timeout: false }));
  });
}
