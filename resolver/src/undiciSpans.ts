// What `@opentelemetry/instrumentation-undici` needs to tell a request to a service from one to an address: its spans
// are built from undici's `undici:request:create` message, which for a request through our dispatcher names only the
// instance (`http://10.0.0.5:32768`). The dispatcher marks each attempt it sends, and `undiciStartSpanHook`, given to
// the instrumentation, reads the mark back: the service's name as `server.address`, the caller's URL as `url.full`,
// and a failover as `http.request.resend_count`.
//
// How the mark reaches the hook: undici builds its Request (and publishes `undici:request:create`) in one synchronous
// constructor that first reads the request's headers. The dispatcher gives the attempt's headers as an iterable that,
// once read to the end, leaves the attempt as the mark, so the very next message on that channel is the attempt's.
// That holds when undici builds the Request at once and when it builds it later, from its pool's queue (a busy pool),
// and in undici 7 and 8 alike. Nothing is marked unless someone listens on that channel.
import diagnostics from "node:diagnostics_channel";
import type { Dispatcher } from "undici";
import type { AttemptMessage } from "./diagnostics";

/** undici's channel for each Request it builds; the instrumentation listens here. */
export const undiciRequestCreate = diagnostics.channel("undici:request:create");

type HeaderValue = string | string[] | undefined;
type HeaderPairs = Iterable<[string, HeaderValue]>;

interface Mark {
  readonly origin: string;
  readonly message: AttemptMessage;
}

/** The attempt whose Request undici is building now; taken by the first `undici:request:create` message. */
let pending: Mark | undefined;

/**
 * The attempt's headers (any shape undici takes; the dispatcher gives a flat array or a record) as an iterable that
 * marks the attempt once undici has read them.
 */
export function markForUndici(
  headers: Dispatcher.DispatchOptions["headers"],
  origin: string,
  message: AttemptMessage,
): HeaderPairs {
  const pairs: [string, HeaderValue][] = [];
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) pairs.push([String(headers[i]), headers[i + 1]]);
  } else if (headers != null && typeof (headers as HeaderPairs)[Symbol.iterator] === "function") {
    for (const [name, value] of headers as HeaderPairs) pairs.push([name, value]);
  } else if (headers != null) {
    const record = headers as Record<string, HeaderValue>;
    for (const name of Object.keys(record)) pairs.push([name, record[name]]);
  }
  const mark: Mark = { origin, message };
  return {
    *[Symbol.iterator]() {
      yield* pairs;
      // Only after the last header: a header undici refuses ends the read (and the Request) before this line.
      pending = mark;
    },
  };
}

/** The part of undici's Request that {@link undiciStartSpanHook} reads (undici 7 and 8 have these fields). */
export interface UndiciRequestLike {
  readonly origin?: unknown;
  readonly path?: unknown;
  /** The Host header, which undici keeps apart from the other headers. */
  readonly host?: unknown;
}

/** Span attributes, as OpenTelemetry takes them. */
export type SpanAttributes = Record<string, string | number>;

const DEFAULT_PORTS: Readonly<Record<string, number>> = { "http:": 80, "https:": 443 };

/**
 * A `startSpanHook` for `@opentelemetry/instrumentation-undici`: for an attempt sent by a dispatcher of
 * `createDispatcher`, the service's name (what the caller wrote) as `server.address` and `server.port` (the URL's
 * port, else the scheme's) instead of the instance's address, the caller's URL as `url.full`, and
 * `http.request.resend_count` on each attempt after the first (a failover). The instance stays visible as
 * `network.peer.address` and `network.peer.port`. Every other request gets no attribute from it.
 *
 * @example
 * ```ts
 * import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
 * new UndiciInstrumentation({ startSpanHook: undiciStartSpanHook });
 * ```
 */
export function undiciStartSpanHook(request: UndiciRequestLike): SpanAttributes {
  const mark = pending;
  pending = undefined;
  if (mark === undefined || request == null) return {};
  const { message, origin } = mark;
  // The mark is the attempt's only if undici built this Request from it (a Request that failed to build leaves one).
  // undici writes the origin as a URL does (`http://10.0.0.5:80` as `http://10.0.0.5`).
  if (request.host !== message.host) return {};
  if (request.origin !== origin && request.origin !== new URL(origin).origin) return {};
  const scheme = origin.slice(0, origin.indexOf(":") + 1);
  const { hostname, port } = splitHost(message.host);
  const attributes: SpanAttributes = {
    "server.address": hostname,
    "url.full": `${scheme}//${message.host}${typeof request.path === "string" ? request.path : "/"}`,
  };
  const serverPort = port ?? DEFAULT_PORTS[scheme];
  if (serverPort !== undefined) attributes["server.port"] = serverPort;
  if (message.resendCount > 0) attributes["http.request.resend_count"] = message.resendCount;
  return attributes;
}

/** `name[:port]` or `[v6]:port` into its parts. */
function splitHost(host: string): { hostname: string; port: number | undefined } {
  const colon = host.lastIndexOf(":");
  if (colon < 0 || host.lastIndexOf("]") > colon) return { hostname: host, port: undefined };
  const port = Number(host.slice(colon + 1));
  const hostname = host.slice(0, colon);
  return Number.isInteger(port) && port > 0 ? { hostname, port } : { hostname: host, port: undefined };
}
