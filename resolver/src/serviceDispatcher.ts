// `fetch` that finds services: an undici dispatcher that sends a request whose host is a service name to an
// instance picked by RFC 2782 from the resolver's cached SRV answer, and fails over to another instance when the
// connection fails. Underneath is undici's own Agent (one bounded Pool per instance, which is what an Agent keeps
// per origin); the routing and failover on top are ours because they are what this package is for (the failover
// bookkeeping, shared with the http.Agent, is in failover.ts; what a failure means for a request is decided here).
//
// Why a Dispatcher subclass and not `agent.compose(interceptor)`: a composed dispatcher converts every handler
// between undici's two callback shapes (fetch and request() speak the older onConnect/onHeaders one; interceptors
// the newer onRequestStart/onResponseStart one), parsing the response headers twice per request; with it,
// `npm run bench -- fetch` measured 0.68–0.88× the throughput of a plain Agent. Here each attempt speaks the
// caller's own shape, so undici hands it through untouched.
import { Agent, Dispatcher } from "undici";
import { isConnectionError } from "./connectionErrors";
import { type AttemptMessage, attemptChannel } from "./diagnostics";
import { NotFoundError } from "./errors";
import { Failover } from "./failover";
import { olderShapeAdapter } from "./handlerShape";
import { type HeaderPair, instanceHeaders, replaceHeaders, replaceRawHeaders } from "./instanceHeaders";
import type { Resolver } from "./resolver";
import { routeShortName, serviceTarget, type Target } from "./serviceTarget";
import type { Endpoint } from "./srvSelect";
import { markForUndici, undiciRequestCreate } from "./undiciSpans";

export interface ServiceDispatcherOptions {
  /** Instances tried for one request before it fails. Default 3. */
  readonly attempts?: number;
  /** Connections kept per instance (the Pool bound). Default 32. */
  readonly connectionsPerInstance?: number;
  /** How long to wait for a TCP connection to an instance, in ms. Default 2,000. */
  readonly connectTimeoutMs?: number;
  /**
   * Also try another instance when an idempotent request without a body gets 502 or 503 (the response is
   * discarded). Default false: such a status is the caller's to see.
   */
  readonly retryOnUnavailable?: boolean;
  /**
   * Accept `http://calc.<domain>/` as `_calc._tcp.<domain>` where it cannot shadow a host: only when the URL
   * names no port and `calc.<domain>` does not exist in DNS (NXDOMAIN). A name that exists, or a URL with a
   * port, goes to that host unchanged; so does a short name with no SRV records. Default true.
   */
  readonly shortNames?: boolean;
  /**
   * Add `x-ecssd-instance` (`host:port (address)` of the instance that answered) and `x-ecssd-attempts` (instances
   * tried) to each response of a service, for callers that show or log where an answer came from. They replace
   * any headers of those names the instance sent: what the caller reads is ours alone. Default false.
   */
  readonly instanceHeaders?: boolean;
  /** Options for the undici Agent underneath (TLS `connect` settings, keep-alive, ...). */
  readonly agent?: Agent.Options;
}

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

type Headers = Dispatcher.DispatchOptions["headers"];

/** The request's headers with `host` set to what the caller wrote (undici takes the TLS server name from it). */
function withHost(headers: Headers, host: string): Headers {
  if (headers == null) return { host };
  if (Array.isArray(headers)) {
    const flat: string[] = [];
    for (let i = 0; i + 1 < headers.length; i += 2) {
      if (String(headers[i]).toLowerCase() !== "host") flat.push(String(headers[i]), String(headers[i + 1]));
    }
    flat.push("host", host);
    return flat;
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === "function") {
    const flat: string[] = [];
    for (const [k, v] of headers as Iterable<[string, string | string[]]>) {
      if (k.toLowerCase() === "host") continue;
      for (const value of Array.isArray(v) ? v : [v]) flat.push(k, value);
    }
    flat.push("host", host);
    return flat;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  const out: Record<string, string | string[] | undefined> = {};
  for (const k in record) {
    if (k !== "host" && k.toLowerCase() !== "host") out[k] = record[k];
  }
  out.host = host;
  return out;
}

/** A body that can be sent again as it is: none, text or bytes (a stream is consumed by the first attempt). */
function replayable(body: Dispatcher.DispatchOptions["body"]): boolean {
  return body == null || typeof body === "string" || body instanceof Uint8Array;
}

/** The controller a newer-shape caller holds for the whole request; it acts on the current attempt's. */
class StableController implements Dispatcher.DispatchController {
  target: Dispatcher.DispatchController | undefined;
  #aborted = false;
  #reason: Error | null = null;
  #paused = false;

  get aborted(): boolean {
    return this.#aborted || (this.target?.aborted ?? false);
  }
  get reason(): Error | null {
    return this.#reason ?? this.target?.reason ?? null;
  }
  get paused(): boolean {
    return this.#paused;
  }
  /** The answer's headers with ours in place of the instance's, when instanceHeaders added them. */
  answerRawHeaders: Dispatcher.DispatchController["rawHeaders"] = undefined;
  // A caller may read the raw headers here rather than the object it was handed (undici 8's adapter for older-shape
  // callers does): it must see the same headers.
  get rawHeaders() {
    return this.answerRawHeaders ?? this.target?.rawHeaders;
  }
  get rawTrailers() {
    return this.target?.rawTrailers;
  }
  attach(target: Dispatcher.DispatchController): void {
    this.target = target;
    if (this.#paused) target.pause();
    if (this.#aborted && this.#reason) target.abort(this.#reason);
  }
  abort(reason: Error): void {
    this.#aborted = true;
    this.#reason = reason;
    this.target?.abort(reason);
  }
  pause(): void {
    this.#paused = true;
    this.target?.pause();
  }
  resume(): void {
    this.#paused = false;
    this.target?.resume();
  }
}

interface RequestSettings {
  readonly resolver: Resolver;
  readonly attempts: number;
  readonly retryOnUnavailable: boolean;
  readonly instanceHeaders: boolean;
}

/** The older callback shape (fetch, request(), stream()): what undici's Client calls natively. */
interface LegacyHandler {
  onConnect?(abort: (reason?: Error) => void, context?: unknown): void;
  onResponseStarted?(): void;
  onHeaders?(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean;
  onData?(chunk: Buffer): boolean;
  onComplete?(trailers: string[] | null): void;
  onError?(err: Error): void;
  onUpgrade?(statusCode: number, rawHeaders: Buffer[] | null, socket: unknown): void;
  onBodySent?(chunkSize: number, totalBytesSent: number): void;
  onRequestSent?(): void;
}

/**
 * One request to a service, across its attempts: picks an instance, decides what a failure means, and moves to
 * the next instance when that is safe. The attempt handlers below carry the bytes in the caller's shape.
 */
class ServiceRequest {
  private readonly failover: Failover;
  endpoint: Endpoint | undefined;
  /** Some instance answered: from here on the caller's handler hears everything as it comes. */
  responded = false;
  private callerStarted = false;
  /** Newer-shape callers: the one controller they hold (made on first use; older-shape callers never need it). */
  private stable: StableController | undefined;
  /** Older-shape callers: their abort, and the current attempt's. */
  private abortedWith: Error | undefined;
  private abortAttempt: ((reason: Error) => void) | undefined;

  constructor(
    private readonly dispatch: Dispatcher["dispatch"],
    private readonly opts: Dispatcher.DispatchOptions,
    readonly caller: Dispatcher.DispatchHandler & LegacyHandler,
    private readonly legacy: boolean,
    private readonly url: URL,
    private readonly srvName: string,
    private readonly settings: RequestSettings,
    /** For a short name: what to do when the zone has no SRV records for it (send it as an ordinary host). */
    private readonly notAService?: () => void,
  ) {
    this.failover = new Failover(settings.resolver, srvName, settings.attempts);
  }

  get controller(): StableController {
    this.stable ??= new StableController();
    return this.stable;
  }

  private get aborted(): boolean {
    return this.legacy ? this.abortedWith !== undefined : this.controller.aborted;
  }

  private get canReplay(): boolean {
    return IDEMPOTENT.has((this.opts.method ?? "GET").toUpperCase()) && replayable(this.opts.body);
  }

  /** Sends to the next instance; the first pick is served from the cache without waiting, as almost all are. */
  next(): void {
    const cached = this.failover.sent === 0 ? this.pickCachedSafely() : undefined;
    if (cached !== undefined) this.send(cached);
    else void this.pickAndSend();
  }

  private pickCachedSafely(): Endpoint | undefined {
    try {
      return this.settings.resolver.pickCached(this.srvName);
    } catch {
      return undefined; // pickExcept reports it
    }
  }

  private async pickAndSend(): Promise<void> {
    if (this.aborted) {
      this.fail(this.abortReason());
      return;
    }
    let endpoint: Endpoint | undefined;
    try {
      endpoint = await this.failover.next();
    } catch (err) {
      const firstPick = this.failover.history.length === 0;
      if (this.notAService && firstPick && err instanceof NotFoundError) {
        this.notAService();
        return;
      }
      this.fail(firstPick ? err : this.failover.exhausted(err));
      return;
    }
    if (endpoint === undefined) {
      this.fail(this.failover.exhausted());
      return;
    }
    this.send(endpoint);
  }

  private send(endpoint: Endpoint): void {
    this.endpoint = endpoint;
    const resendCount = this.failover.sent;
    this.failover.sending();
    // undici 8's types know only the newer shape (a LegacyAttempt is made only on undici 7, which takes both).
    const attempt = this.legacy
      ? (new LegacyAttempt(this) as unknown as Dispatcher.DispatchHandler)
      : new Attempt(this);
    const origin = this.url.protocol + authorityOf(endpoint);
    let headers = withHost(this.opts.headers, this.url.host);
    if (attemptChannel.hasSubscribers || undiciRequestCreate.hasSubscribers) {
      const message: AttemptMessage = { service: this.srvName, host: this.url.host, endpoint, resendCount };
      if (attemptChannel.hasSubscribers) attemptChannel.publish(message);
      if (undiciRequestCreate.hasSubscribers) headers = markForUndici(headers, origin, message);
    }
    try {
      this.dispatch({ ...this.opts, origin, headers }, attempt);
    } catch (err) {
      this.attemptFailed(err as Error);
    }
  }

  private abortReason(): Error {
    return (this.legacy ? this.abortedWith : this.controller.reason) ?? new Error("aborted");
  }

  /** An older-shape attempt reached its socket: the caller gets one abort for the whole request. */
  legacyStarted(abort: (reason?: Error) => void, context: unknown): void {
    this.abortAttempt = abort;
    if (this.abortedWith) {
      abort(this.abortedWith);
      return;
    }
    if (this.callerStarted) return;
    this.callerStarted = true;
    this.caller.onConnect?.((reason) => {
      if (this.abortedWith) return;
      this.abortedWith = reason ?? new Error("aborted");
      this.abortAttempt?.(this.abortedWith);
    }, context);
  }

  /** A newer-shape attempt reached its socket. */
  started(controller: Dispatcher.DispatchController, context: unknown): void {
    this.controller.attach(controller);
    if (this.callerStarted) return;
    this.callerStarted = true;
    this.caller.onRequestStart?.(this.controller, context);
  }

  /** True when this answer (502/503, retry enabled, replayable) is to be read, dropped, and asked again. */
  discards(statusCode: number): boolean {
    if (
      !this.settings.retryOnUnavailable ||
      (statusCode !== 502 && statusCode !== 503) ||
      !this.canReplay ||
      !this.failover.canTryAnother
    ) {
      return false;
    }
    this.failover.unavailable(this.endpoint as Endpoint, statusCode);
    return true;
  }

  /** An instance answered with `statusCode`. Returns the headers to add for the caller, when asked for. */
  answered(statusCode: number): HeaderPair[] | undefined {
    this.responded = true;
    const endpoint = this.endpoint as Endpoint;
    this.failover.answered(endpoint, statusCode);
    if (!this.settings.instanceHeaders) return undefined;
    return instanceHeaders(endpoint, this.failover.sent);
  }

  /**
   * An attempt ended in an error. Only a failure to reach the instance, before any answer, says the instance
   * (not the request) is at fault: then another instance is tried when the request can be sent again.
   */
  attemptFailed(err: Error): void {
    const endpoint = this.endpoint;
    if (endpoint === undefined || this.responded || !isConnectionError(err)) {
      this.fail(err);
      return;
    }
    this.failover.unreachable(endpoint, (err as { code?: string }).code ?? err.message, err);
    if (!this.aborted && this.canReplay && this.failover.canTryAnother) {
      void this.pickAndSend();
      return;
    }
    this.fail(this.aborted ? err : this.failover.exhausted(err));
  }

  fail(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    if (this.legacy) this.caller.onError?.(error);
    else this.caller.onResponseError?.(this.controller, error);
  }
}

/** `//address:port` of each instance the cache hands out, made once per answer rather than once per request. */
const authorities = new WeakMap<Endpoint, string>();
function authorityOf(endpoint: Endpoint): string {
  let authority = authorities.get(endpoint);
  if (authority === undefined) {
    const address = endpoint.address.includes(":") ? `[${endpoint.address}]` : endpoint.address;
    authority = `//${address}:${endpoint.port}`;
    authorities.set(endpoint, authority);
  }
  return authority;
}

type NewerHeaders = Parameters<NonNullable<Dispatcher.DispatchHandler["onResponseStart"]>>[2];

/** One attempt for a caller with the newer callbacks (interceptors composed on top of this dispatcher). */
class Attempt implements Dispatcher.DispatchHandler {
  private discarding = false;
  constructor(private readonly request: ServiceRequest) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.request.started(controller, context);
  }

  onRequestUpgrade(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Parameters<NonNullable<Dispatcher.DispatchHandler["onRequestUpgrade"]>>[2],
    socket: Parameters<NonNullable<Dispatcher.DispatchHandler["onRequestUpgrade"]>>[3],
  ): void {
    this.request.answered(statusCode);
    this.request.caller.onRequestUpgrade?.(this.request.controller, statusCode, headers, socket);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: NewerHeaders,
    statusMessage?: string,
  ): void {
    if (this.request.discards(statusCode)) {
      this.discarding = true;
      return;
    }
    const added = this.request.answered(statusCode);
    const all = added ? replaceHeaders(headers, added) : headers;
    const raw = controller.rawHeaders;
    if (added && Array.isArray(raw)) {
      this.request.controller.answerRawHeaders = replaceRawHeaders(raw as Buffer[], added, Buffer.from);
    }
    this.request.caller.onResponseStart?.(this.request.controller, statusCode, all, statusMessage);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.discarding) this.request.caller.onResponseData?.(this.request.controller, chunk);
  }

  onResponseEnd(
    _controller: Dispatcher.DispatchController,
    trailers: Parameters<NonNullable<Dispatcher.DispatchHandler["onResponseEnd"]>>[1],
  ): void {
    if (this.discarding) this.request.next();
    else this.request.caller.onResponseEnd?.(this.request.controller, trailers);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.discarding) this.request.fail(err);
    else this.request.attemptFailed(err);
  }
}

/** One attempt for a caller with the older callbacks (fetch, request()): undici passes these through untouched. */
class LegacyAttempt implements LegacyHandler {
  private discarding = false;
  constructor(private readonly request: ServiceRequest) {}

  onConnect(abort: (reason?: Error) => void, context?: unknown): void {
    this.request.legacyStarted(abort, context);
  }

  onResponseStarted(): void {
    this.request.caller.onResponseStarted?.();
  }

  onBodySent(chunkSize: number, totalBytesSent: number): void {
    this.request.caller.onBodySent?.(chunkSize, totalBytesSent);
  }

  onRequestSent(): void {
    this.request.caller.onRequestSent?.();
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (this.request.discards(statusCode)) {
      this.discarding = true;
      return true;
    }
    const added = this.request.answered(statusCode);
    const all = added ? replaceRawHeaders(rawHeaders, added, (text) => Buffer.from(text)) : rawHeaders;
    return this.request.caller.onHeaders?.(statusCode, all, resume, statusText) ?? true;
  }

  onData(chunk: Buffer): boolean {
    if (this.discarding) return true;
    return this.request.caller.onData?.(chunk) ?? true;
  }

  onComplete(trailers: string[] | null): void {
    if (this.discarding) this.request.next();
    else this.request.caller.onComplete?.(trailers);
  }

  onUpgrade(statusCode: number, rawHeaders: Buffer[] | null, socket: unknown): void {
    this.request.answered(statusCode);
    this.request.caller.onUpgrade?.(statusCode, rawHeaders, socket);
  }

  onError(err: Error): void {
    if (this.discarding) this.request.fail(err);
    else this.request.attemptFailed(err);
  }
}

/** The dispatcher {@link createDispatcher} makes: service names to their instances, every other host unchanged. */
class ServiceDispatcher extends Dispatcher {
  // Origins seen, with what they mean: parsing a URL and matching names once per origin, not per request.
  private readonly origins = new Map<string, { url: URL; target: Target }>();
  private readonly agentDispatch: Dispatcher["dispatch"];
  /** With undici 8: where an older-shape caller's request goes to be adapted, then comes back here (handlerShape.ts). */
  private readonly olderShapeEntry = olderShapeAdapter ? new olderShapeAdapter(this) : undefined;

  constructor(
    private readonly agent: Agent,
    private readonly settings: RequestSettings,
    private readonly shortNames: boolean,
  ) {
    super();
    this.agentDispatch = agent.dispatch.bind(agent);
  }

  private classify(origin: string): { url: URL; target: Target } {
    let known = this.origins.get(origin);
    if (known === undefined) {
      const url = new URL(origin);
      const { domain } = this.settings.resolver;
      known = { url, target: serviceTarget(url.hostname, domain, this.shortNames, url.port) };
      if (this.origins.size >= 1_000) this.origins.clear();
      this.origins.set(origin, known);
    }
    return known;
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (this.olderShapeEntry && typeof handler.onRequestStart !== "function") {
      return this.olderShapeEntry.dispatch(opts, handler);
    }
    let known: { url: URL; target: Target };
    try {
      known = this.classify(String(opts.origin));
    } catch {
      return this.agent.dispatch(opts, handler); // not a URL: undici says so in its own words
    }
    const { url, target } = known;
    if (target.kind === "other") return this.agent.dispatch(opts, handler);
    const toHost = () => void this.agent.dispatch(opts, handler);
    const request = () =>
      new ServiceRequest(
        this.agentDispatch,
        opts,
        handler as Dispatcher.DispatchHandler & LegacyHandler,
        typeof handler.onRequestStart !== "function",
        url,
        target.srvName,
        this.settings,
        // A short name without SRV records is an ordinary host's name: the first pick tells.
        target.short ? toHost : undefined,
      );
    if (!target.short) {
      request().next();
      return true;
    }
    // A short name that exists in DNS is a host's, whatever SRV records someone published beside it.
    routeShortName(this.settings.resolver, target, {
      host: toHost,
      service: () => request().next(),
      failed: (err) => request().fail(err),
    });
    return true;
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    if (callback) return this.agent.close(callback);
    return this.agent.close();
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: unknown, b?: unknown): Promise<void> | void {
    const err = a instanceof Error ? a : null;
    const callback = (typeof a === "function" ? a : b) as (() => void) | undefined;
    if (callback) return this.agent.destroy(err, callback);
    return this.agent.destroy(err);
  }
}

/**
 * An undici Dispatcher for `fetch(url, { dispatcher })`, `setGlobalDispatcher(...)` and undici's own `request`.
 * Requests to `http(s)://_svc._tcp.<domain>/...` (or `http(s)://svc.<domain>/...`) go to an instance of the
 * service; every other request goes through a plain undici Agent, unchanged.
 *
 * @example
 * ```ts
 * const resolver = createResolver({ servers: ["127.0.0.1:5300"] });
 * const dispatcher = createDispatcher(resolver);
 * const res = await fetch("http://_calc._tcp.servicediscovery.internal/add?a=1&b=2", { dispatcher });
 * ```
 */
export function createDispatcher(resolver: Resolver, options: ServiceDispatcherOptions = {}): Dispatcher {
  const attempts = options.attempts ?? 3;
  const connections = options.connectionsPerInstance ?? 32;
  const connectTimeoutMs = options.connectTimeoutMs ?? 2_000;
  const problems: string[] = [];
  if (!Number.isInteger(attempts) || attempts < 1)
    problems.push(`[attempts] must be an integer >= 1, got ${attempts}`);
  if (!Number.isInteger(connections) || connections < 1) {
    problems.push(`[connectionsPerInstance] must be an integer >= 1, got ${connections}`);
  }
  if (!Number.isFinite(connectTimeoutMs) || connectTimeoutMs <= 0) {
    problems.push(`[connectTimeoutMs] must be a positive number, got ${connectTimeoutMs}`);
  }
  if (problems.length > 0) throw new TypeError(`Invalid dispatcher options:\n - ${problems.join("\n - ")}`);
  const agent = new Agent({
    connections,
    ...options.agent,
    connect: { timeout: connectTimeoutMs, ...(options.agent?.connect as object | undefined) },
  });
  return new ServiceDispatcher(
    agent,
    {
      resolver,
      attempts,
      retryOnUnavailable: options.retryOnUnavailable ?? false,
      instanceHeaders: options.instanceHeaders ?? false,
    },
    options.shortNames ?? true,
  );
}
