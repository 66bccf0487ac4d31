// One question to one server: UDP from a small pool of sockets on random ports, then TCP when the answer is
// truncated.
import * as dgram from "node:dgram";
import * as net from "node:net";
import { performance } from "node:perf_hooks";
import { matchResponse, type QueryType, randomQueryId, type WireMessage } from "./dnsMessage";
import { frameTcp, TcpFrameReader } from "./dnsProtocol";
import { encodeQuery } from "./dnsWire";
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

/** When a query in flight gives up. */
interface Deadline {
  readonly at: number;
  expire: () => void;
  settled: boolean;
}

/** A query waiting on a pooled socket, by its id. */
interface Waiter {
  message(msg: Buffer, rinfo: dgram.RemoteInfo): void;
  error(err: Error): void;
}

/**
 * Queries a pooled socket carries at most. A new socket gets a new random source port from the kernel, so an
 * off-path attacker who learns one port can aim at no more than this many queries (RFC 5452 §9.2 asks for an
 * unpredictable port; a fresh socket per query costs a bind and a connection-tracking entry every time, which
 * showed in the tail latency).
 */
export const MAX_QUERIES_PER_SOCKET = 64;
/** Sockets open at once per server: queries in flight spread over them, each id unique on its socket. */
export const SOCKETS_PER_SERVER = 4;

/** One connected UDP socket, shared by up to MAX_QUERIES_PER_SOCKET queries over its life. */
class PooledSocket {
  readonly waiters = new Map<number, Waiter>();
  uses = 0;
  retired = false;

  constructor(
    readonly socket: dgram.Socket,
    private readonly onRetire: (s: PooledSocket) => void,
  ) {
    socket.on("message", (msg, rinfo) => {
      if (msg.length < 2) return;
      this.waiters.get(msg.readUInt16BE(0))?.message(msg, rinfo);
    });
    socket.off("error", ignore);
    // An ICMP error on a connected socket (port unreachable) concerns every query on it: each is told, and the
    // socket is not used again.
    socket.on("error", (err) => {
      const errorWaiters = [...this.waiters.values()];
      this.retire();
      for (const w of errorWaiters) w.error(err);
    });
  }

  retire(): void {
    if (!this.retired) {
      this.retired = true;
      this.onRetire(this);
    }
    if (this.waiters.size === 0) closeSocket(this.socket);
  }
}

/**
 * Hands out UDP sockets for queries: per server a few sockets bound to random ports, each carrying a bounded
 * number of queries and then replaced. Answers are told apart by id on each socket, and every answer is still
 * checked against the id, the question and the server's address and port (RFC 5452).
 */
export class UdpSocketSource {
  private readonly pools = new Map<string, PooledSocket[]>();
  /**
   * Deadlines of the queries in flight, oldest first, under one timer. A timer per query cost a timer list
   * made and dropped for every lookup, on its path. Every query of a resolver waits equally long, so
   * deadlines are added in order.
   */
  private readonly deadlines: Deadline[] = [];
  private deadlinesHead = 0;
  private waiting = 0;
  private timer: NodeJS.Timeout | undefined;

  /** A socket with room for one more query whose id is `id`: a random one of the server's pool. */
  take(server: Nameserver, id: number): PooledSocket {
    let pool = this.pools.get(server.label);
    if (pool === undefined) {
      pool = [];
      this.pools.set(server.label, pool);
    }
    // Fill the pool on first use; later, retired sockets are replaced off the query's path (see use()).
    while (pool.length < SOCKETS_PER_SERVER) pool.push(this.open(server, pool));
    const start = Math.floor(Math.random() * pool.length);
    for (let i = 0; i < pool.length; i++) {
      const candidate = pool[(start + i) % pool.length] as PooledSocket;
      if (!candidate.waiters.has(id)) return this.use(candidate, server, pool);
    }
    // Every pooled socket already waits on this id: a one-off socket.
    const once = this.open(server, pool);
    once.retired = true;
    return once;
  }

  private open(server: Nameserver, pool: PooledSocket[]): PooledSocket {
    return new PooledSocket(openSocket(server), (s) => {
      const at = pool.indexOf(s);
      if (at >= 0) pool.splice(at, 1);
    });
  }

  private use(s: PooledSocket, server: Nameserver, pool: PooledSocket[]): PooledSocket {
    s.uses++;
    if (s.uses >= MAX_QUERIES_PER_SOCKET && !s.retired) {
      s.retired = true;
      pool.splice(pool.indexOf(s), 1);
      // Its replacement, bound to a new random port, is opened after this query is sent.
      setImmediate(() => {
        if (this.pools.get(server.label) !== pool || pool.length >= SOCKETS_PER_SERVER) return;
        try {
          pool.push(this.open(server, pool));
        } catch {
          // The next query opens what it needs and reports the error.
        }
      });
    }
    return s;
  }

  /** Calls `expire` after `timeoutMs` unless {@link settle} is called first; keeps the process alive until then. */
  deadline(timeoutMs: number, expire: () => void): Deadline {
    const d: Deadline = { at: performance.now() + timeoutMs, expire, settled: false };
    this.deadlines.push(d);
    this.waiting++;
    if (this.timer === undefined) this.timer = setTimeout(this.expireDue, timeoutMs);
    else if (this.waiting === 1) this.timer.ref();
    return d;
  }

  settle(d: Deadline): void {
    if (d.settled) return;
    d.settled = true;
    d.expire = ignore; // what the query's closures hold is free now, not when its deadline would have passed
    const deadlines = this.deadlines;
    while (this.deadlinesHead < deadlines.length && deadlines[this.deadlinesHead]!.settled)
      this.deadlinesHead++;
    if (this.deadlinesHead === deadlines.length) {
      deadlines.length = 0;
      this.deadlinesHead = 0;
    } else if (this.deadlinesHead > 1024 && this.deadlinesHead * 2 > deadlines.length) {
      deadlines.splice(0, this.deadlinesHead);
      this.deadlinesHead = 0;
    }
    // The timer stays set for the next deadline, but keeps no idle process alive.
    if (--this.waiting === 0) this.timer?.unref();
  }

  private readonly expireDue = (): void => {
    this.timer = undefined;
    const now = performance.now();
    const deadlines = this.deadlines;
    for (
      let d = deadlines[this.deadlinesHead];
      d !== undefined && d.at <= now;
      d = deadlines[this.deadlinesHead]
    ) {
      const expire = d.expire;
      this.settle(d); // moves the head past d
      expire();
    }
    const next = deadlines[this.deadlinesHead];
    if (next === undefined) return;
    this.timer = setTimeout(this.expireDue, Math.max(1, next.at - now));
    if (this.waiting === 0) this.timer.unref();
  };

  /** Closes the sockets no query waits on; later queries open new ones. */
  close(): void {
    for (const pool of this.pools.values()) for (const s of [...pool]) s.retire();
    this.pools.clear();
  }
}

/**
 * One question to one server, with a fresh random id: over UDP, and again over TCP when the UDP answer is
 * truncated (RFC 7766). `edns` adds the OPT record (RFC 6891).
 */
export function exchange(
  sockets: UdpSocketSource,
  server: Nameserver,
  name: string,
  type: QueryType,
  edns: boolean,
  timeoutMs: number,
): Promise<ExchangeResult> {
  const id = randomQueryId();
  return exchangeUdp(sockets, server, encodeQuery(id, name, type, edns), id, name, timeoutMs);
}

/**
 * Sends `query` over UDP and waits for a datagram that comes from the server's address and port and answers
 * our id and question. Anything else is ignored and the wait goes on until the timeout. The socket is
 * connected, so an ICMP port-unreachable fails the exchange at once. A truncated answer hands over to TCP.
 */
function exchangeUdp(
  sockets: UdpSocketSource,
  server: Nameserver,
  query: Buffer,
  id: number,
  name: string,
  timeoutMs: number,
): Promise<ExchangeResult> {
  let pooled: PooledSocket | undefined;
  try {
    pooled = sockets.take(server, id);
    // Sent before the wait is set up: no answer can be read before this function returns, and the server
    // works on the query while the rest is done.
    pooled.socket.send(query);
  } catch (err) {
    if (pooled?.retired && pooled.waiters.size === 0) closeSocket(pooled.socket);
    return Promise.resolve(errorOutcome("udp", err));
  }
  const socket = pooled;
  return new Promise((resolve) => {
    let done = false;
    const finish = (result: ExchangeResult | Promise<ExchangeResult>): void => {
      if (done) return;
      done = true;
      sockets.settle(deadline);
      socket.waiters.delete(id);
      resolve(result);
      // A retired socket closes once its last query is answered; closing costs a little, so after the caller.
      if (socket.retired && socket.waiters.size === 0) setImmediate(closeSocket, socket.socket);
    };
    const deadline = sockets.deadline(timeoutMs, () => finish(TIMEOUT));
    socket.waiters.set(id, {
      message(msg, rinfo) {
        if (done || rinfo.port !== server.port || rinfo.address !== server.address) return;
        const message = matchResponse(msg, query, name);
        if (message === undefined) return;
        if (!message.truncated) return finish({ ok: true, message });
        // The same question over TCP, under a new id.
        const tcpQuery = Buffer.from(query);
        tcpQuery.writeUInt16BE(randomQueryId(), 0);
        finish(exchangeTcp(server, tcpQuery, name, timeoutMs));
      },
      error: (err) => finish(errorOutcome("udp", err)),
    });
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
function exchangeTcp(
  server: Nameserver,
  query: Buffer,
  name: string,
  timeoutMs: number,
): Promise<ExchangeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: server.address, port: server.port, noDelay: true });
    let done = false;
    const frames = new TcpFrameReader();
    const finish = (result: ExchangeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(finish, timeoutMs, TIMEOUT);
    socket.on("connect", () => socket.write(frameTcp(query)));
    socket.on("data", (chunk: Buffer) => {
      frames.push(chunk);
      // A server may send several messages on one connection; look at each complete one.
      for (let msg = frames.next(); msg !== undefined; msg = frames.next()) {
        const packet = matchResponse(msg, query, name);
        if (packet) return finish({ ok: true, message: packet });
      }
    });
    socket.on("error", (err) => finish(errorOutcome("tcp", err)));
    socket.on("close", () => finish({ ok: false, outcome: "tcp: closed without an answer", timeout: false }));
  });
}
