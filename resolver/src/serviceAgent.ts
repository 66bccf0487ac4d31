// The same for Node's http.request / https.request and the libraries built on them (axios, got): an http.Agent
// whose requests for a service name go to an RFC 2782-picked instance, each instance with its own keep-alive
// pool (the Agent pools by the address it is given), and whose connections fail over to another instance when
// one cannot be reached. A failover here happens before any byte of the request is sent, so it is safe for
// every method; a connection that breaks later is the caller's error, as with any http.Agent. The failover is
// the fetch dispatcher's (failover.ts). A connection that failed over is in the pool of the instance picked
// first, not of the one it reached: it carries its one request and closes.
import http from "node:http";
import https from "node:https";
import net from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import { NotFoundError } from "./errors";
import { Failover } from "./failover";
import { instanceHeaders as headersFor, replaceHeaders, replaceRawHeaders } from "./instanceHeaders";
import type { Resolver } from "./resolver";
import { routeShortName, serviceTarget } from "./serviceTarget";
import type { Endpoint } from "./srvSelect";

export interface ServiceAgentOptions extends https.AgentOptions {
  /** Use TLS (an https.Agent); the TLS server name is the host the caller wrote. Default false. */
  readonly tls?: boolean;
  /** Instances tried for one connection before the request fails. Default 3. */
  readonly attempts?: number;
  /** How long to wait for a TCP connection to an instance, in ms. Default 2,000. */
  readonly connectTimeoutMs?: number;
  /**
   * Add `x-ecssd-instance` (`host:port (address)`) and `x-ecssd-attempts` (instances tried for the connection the
   * request went on; 1 on a kept-alive one) to each response of a service, replacing any headers of those names
   * the instance sent (see createDispatcher). Default false.
   */
  readonly instanceHeaders?: boolean;
  /**
   * Accept `calc.<domain>` as `_calc._tcp.<domain>` where it cannot shadow a host: no port other than the
   * scheme's own, and no such name in DNS (see createDispatcher). Default true.
   */
  readonly shortNames?: boolean;
}

const SERVICE = Symbol("ecssd.service");

type ConnectOptions = http.ClientRequestArgs &
  tls.ConnectionOptions & {
    [SERVICE]?: { srvName: string; host: string; first: Endpoint };
  };

type ConnectCallback = (err: Error | null, socket?: Duplex) => void;

interface Connection {
  readonly endpoint: Endpoint;
  attempts: number;
  readonly failover: Failover;
  /** Reached another instance than the one its pool is keyed by (the one picked first). */
  readonly failedOver: boolean;
  /** A response came on it: it has carried a request. */
  answered: boolean;
}

/**
 * An http.Agent (or https.Agent with `tls: true`) for service names under the resolver's domain; other hosts
 * are served as by a plain Agent.
 *
 * @example
 * ```ts
 * const agent = createAgent(resolver);
 * http.get("http://_calc._tcp.servicediscovery.internal/add?a=1&b=2", { agent }, (res) => res.pipe(process.stdout));
 * ```
 */
export function createAgent(resolver: Resolver, options: ServiceAgentOptions = {}): http.Agent {
  const {
    tls: useTls = false,
    attempts = 3,
    connectTimeoutMs = 2_000,
    shortNames = true,
    instanceHeaders = false,
    ...agentOptions
  } = options;
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new TypeError(`Invalid agent options:\n - [attempts] must be an integer >= 1, got ${attempts}`);
  }
  const Base = useTls ? https.Agent : http.Agent;
  /**
   * The instance each connection reached, how many were tried for it until its first response, the failover
   * that reports what the instance answers on it, and whether it failed over (so sits in another's pool).
   */
  const reached = new WeakMap<object, Connection>();

  /** A response came on a connection to an instance: its status is reported, and our headers added if asked for. */
  function answered(req: http.ClientRequest, res: http.IncomingMessage): void {
    const connection = req.socket ? reached.get(req.socket) : undefined;
    if (connection === undefined) return;
    connection.answered = true;
    connection.failover.answered(connection.endpoint, res.statusCode ?? 0);
    if (instanceHeaders) stamp(connection, res);
  }

  /** Our headers on a response, in place of any of the same names the instance sent (headers, raw, distinct). */
  function stamp(connection: { endpoint: Endpoint; attempts: number }, res: http.IncomingMessage): void {
    const ours = headersFor(connection.endpoint, connection.attempts);
    connection.attempts = 1; // the next request on this kept-alive connection tries no other instance
    // Node builds headers and headersDistinct from rawHeaders lazily, by the count it parsed: both are set here.
    const headers = res.headers;
    const distinct = res.headersDistinct;
    res.headers = replaceHeaders(headers, ours);
    res.headersDistinct = replaceHeaders(
      distinct,
      ours.map(([name, value]) => [name, [value]]),
    );
    res.rawHeaders = replaceRawHeaders(res.rawHeaders, ours, (text) => text);
  }

  /** Connects to one instance after another until one accepts, marking the ones that do not. */
  function connect(options: ConnectOptions, callback: ConnectCallback): void {
    const service = options[SERVICE];
    if (service === undefined) return void callback(new Error("not a service request"));
    const failover = new Failover(resolver, service.srvName, attempts);
    const attempt = (endpoint: Endpoint | undefined, lastError?: Error): void => {
      if (endpoint === undefined || !failover.canTryAnother) {
        callback(failover.exhausted(lastError));
        return;
      }
      failover.sending();
      const socket: net.Socket = useTls
        ? tls.connect({ ...options, host: endpoint.address, port: endpoint.port, servername: service.host })
        : net.connect({ host: endpoint.address, port: endpoint.port });
      const ready = useTls ? "secureConnect" : "connect";
      const timer = setTimeout(() => {
        socket.destroy(
          Object.assign(new Error(`connect timeout after ${connectTimeoutMs} ms`), { code: "ETIMEDOUT" }),
        );
      }, connectTimeoutMs);
      const onError = (err: Error & { code?: string }) => {
        clearTimeout(timer);
        failover.unreachable(endpoint, err.code ?? err.message, err);
        failover.next().then(
          (next) => attempt(next, err),
          (lookupError: Error) => callback(lookupError),
        );
      };
      socket.once("error", onError);
      socket.once(ready, () => {
        clearTimeout(timer);
        socket.off("error", onError);
        failover.connected(endpoint);
        const failedOver = endpoint !== service.first;
        reached.set(socket, { endpoint, attempts: failover.sent, failover, failedOver, answered: false });
        callback(null, socket);
      });
    };
    attempt(service.first);
  }

  // addRequest is where Node's Agent takes a request and its connection options (undocumented in the types but
  // stable, and what agent libraries such as agent-base override): the one place to pick before the pool key
  // is computed from host and port.
  const baseAddRequest = (
    Base.prototype as unknown as {
      addRequest(this: http.Agent, req: http.ClientRequest, options: ConnectOptions): void;
    }
  ).addRequest;

  class ServiceAgent extends Base {
    constructor(agentOptions: https.AgentOptions) {
      super(agentOptions);
      // A socket is freed when its request is done; kept alive, it would serve the next request picked for the
      // instance its pool is keyed by. One that failed over reached another instance: requests picked for the
      // first would go there, the first's refusals never seen again (outlier detection could not count them)
      // and the load skewed. So it closes once it has carried its request. Not keepSocketAlive(): Node hands
      // a freed socket straight to a request queued for its pool (maxSockets reached) without asking it, and
      // frees a new socket made for such a request (which is why one not yet answered on stays). This
      // listener runs before the Agent's own, which passes over a socket no longer writable; the socket's
      // close then makes a queued request a connection of its own.
      this.prependListener("free", (socket: Duplex) => {
        const connection = reached.get(socket);
        if (connection?.failedOver && connection.answered) socket.destroy();
      });
    }

    addRequest(req: http.ClientRequest, options: ConnectOptions): void {
      const host = String(options.host ?? options.hostname ?? "");
      // Node has filled in the port by now: the scheme's own (or the request's defaultPort) means none was named.
      const port = Number(options.port);
      const agentPort = (this as unknown as { defaultPort?: number }).defaultPort;
      const ownPort = Number(options.defaultPort) || agentPort || (useTls ? 443 : 80);
      const target = serviceTarget(host, resolver.domain, shortNames, port === ownPort ? "" : String(port));
      if (target.kind === "other") {
        baseAddRequest.call(this, req, options);
        return;
      }
      const toHost = () => baseAddRequest.call(this, req, options);
      const add = (first: Endpoint) => {
        req.prependOnceListener("response", (res) => answered(req, res));
        baseAddRequest.call(this, req, {
          ...options,
          // The pool key: one keep-alive pool per instance.
          host: first.address,
          port: first.port,
          servername: host,
          [SERVICE]: { srvName: target.srvName, host, first },
        } as ConnectOptions);
      };
      const toService = () => {
        const cached = (() => {
          try {
            return resolver.pickCached(target.srvName);
          } catch {
            return undefined; // a cached negative answer: let pick() report it
          }
        })();
        if (cached !== undefined) {
          add(cached);
          return;
        }
        resolver.pick(target.srvName).then(add, (err: Error) => {
          // A short name without SRV records is an ordinary host's name.
          if (target.short && err instanceof NotFoundError) toHost();
          else req.destroy(err);
        });
      };
      if (!target.short) {
        toService();
        return;
      }
      // A short name that exists in DNS is a host's, whatever SRV records someone published beside it.
      routeShortName(resolver, target, {
        host: toHost,
        service: toService,
        failed: (err) => req.destroy(err as Error),
      });
    }

    override createConnection(options: ConnectOptions, callback: ConnectCallback): Duplex | undefined {
      if (options[SERVICE] === undefined) {
        const base = Base.prototype as unknown as {
          createConnection(o: ConnectOptions, cb: ConnectCallback): Duplex | undefined;
        };
        return base.createConnection.call(this, options, callback);
      }
      connect(options, callback);
      return undefined;
    }
  }
  return new ServiceAgent({ keepAlive: true, ...agentOptions });
}
