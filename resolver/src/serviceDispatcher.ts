// `fetch` that finds services: an undici dispatcher that sends a request whose host is a service name to an
// instance picked by RFC 2782 from the resolver's cached SRV answer, and fails over to another instance when the
// connection fails. Built from undici's own parts: an Agent (one bounded Pool per instance, which is what an
// Agent keeps per origin) composed with one interceptor, written here because it is what this package is for.
import { Agent, type Dispatcher } from "undici";
import { isConnectionError } from "./connectionErrors";
import { NotFoundError } from "./errors";
import type { Resolver } from "./resolver";
import { type Endpoint, endpointKey } from "./srvSelect";

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
   * Accept `http://calc.<domain>/` as `_calc._tcp.<domain>`. A short name with no SRV records is then sent as
   * an ordinary host name (the zone's host records stay reachable). Default true.
   */
  readonly shortNames?: boolean;
  /**
   * Add `x-ecssd-instance` (`host:port (address)` of the instance that answered) and `x-ecssd-attempts` (instances
   * tried) to each response of a service, for callers that show or log where an answer came from. Default false.
   */
  readonly instanceHeaders?: boolean;
  /** Options for the undici Agent underneath (TLS `connect` settings, keep-alive, ...). */
  readonly agent?: Agent.Options;
}

/** One instance tried for a request, and how it failed. */
export interface InstanceAttempt {
  /** `host:port (address)` of the SRV target tried. */
  readonly instance: string;
  readonly error: string;
}

/** A request to a service failed on every instance tried; `attempts` names each one and `cause` the last error. */
export class ServiceRequestError extends Error {
  override readonly name = "ServiceRequestError";
  constructor(
    readonly service: string,
    readonly attempts: readonly InstanceAttempt[],
    options: { cause?: unknown } = {},
  ) {
    super(
      attempts.length === 0
        ? `no instance of ${service} could be tried`
        : `every instance of ${service} tried failed: ${attempts.map((a) => `${a.instance}: ${a.error}`).join("; ")}`,
      options,
    );
  }
}

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

/** What a host name means to the dispatcher. */
type Target = { kind: "service"; srvName: string; short: boolean } | { kind: "other" };

/** Tells service names under the resolver's domain from every other host. */
export function serviceTarget(hostname: string, domain: string, shortNames: boolean): Target {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (!host.endsWith(`.${domain}`)) return { kind: "other" };
  const prefix = host.slice(0, -domain.length - 1);
  if (/^_[a-z0-9-]+\._(tcp|udp)$/.test(prefix)) return { kind: "service", srvName: host, short: false };
  if (shortNames && /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(prefix)) {
    return { kind: "service", srvName: `_${prefix}._tcp.${domain}`, short: true };
  }
  return { kind: "other" };
}

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
  const out: Record<string, string | string[] | undefined> = {};
  for (const [k, v] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (k.toLowerCase() !== "host") out[k] = v;
  }
  out.host = host;
  return out;
}

/** A body that can be sent again as it is: none, text or bytes (a stream is consumed by the first attempt). */
function replayable(body: Dispatcher.DispatchOptions["body"]): boolean {
  return body == null || typeof body === "string" || body instanceof Uint8Array;
}

/**
 * The controller the caller holds for the whole request; each attempt has its own connection controller,
 * and this one forwards to the current attempt's (as undici's RetryHandler does).
 */
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
  get rawHeaders() {
    return this.target?.rawHeaders;
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

/** One request to a service: picks an instance, sends, and on a connection failure moves to the next. */
class ServiceRequest implements Dispatcher.DispatchHandler {
  private readonly controller = new StableController();
  private readonly tried = new Set<string>();
  private readonly history: InstanceAttempt[] = [];
  private endpoint: Endpoint | undefined;
  private started = false;
  private responded = false;
  private discarding = false;
  private lastError: unknown;

  constructor(
    private readonly dispatch: Dispatcher["dispatch"],
    private readonly opts: Dispatcher.DispatchOptions,
    private readonly handler: Dispatcher.DispatchHandler,
    private readonly url: URL,
    private readonly srvName: string,
    private readonly settings: RequestSettings,
    /** For a short name: what to do when the zone has no SRV records for it (send it as an ordinary host). */
    private readonly notAService?: () => void,
  ) {}

  private get canReplay(): boolean {
    return IDEMPOTENT.has((this.opts.method ?? "GET").toUpperCase()) && replayable(this.opts.body);
  }

  async next(): Promise<void> {
    if (this.controller.aborted) {
      this.fail(this.controller.reason ?? new Error("aborted"));
      return;
    }
    let endpoint: Endpoint | undefined;
    try {
      // The first pick is served from the cache without waiting, as almost every request's is.
      endpoint =
        (this.tried.size === 0 ? this.settings.resolver.pickCached(this.srvName) : undefined) ??
        (await this.settings.resolver.pickExcept(this.srvName, this.tried));
    } catch (err) {
      if (this.notAService && this.history.length === 0 && err instanceof NotFoundError) {
        this.notAService();
        return;
      }
      this.fail(
        this.history.length === 0 ? err : new ServiceRequestError(this.srvName, this.history, { cause: err }),
      );
      return;
    }
    if (endpoint === undefined) {
      this.fail(new ServiceRequestError(this.srvName, this.history, { cause: this.lastError }));
      return;
    }
    this.endpoint = endpoint;
    this.tried.add(endpointKey(endpoint));
    const address = endpoint.address.includes(":") ? `[${endpoint.address}]` : endpoint.address;
    const origin = `${this.url.protocol}//${address}:${endpoint.port}`;
    try {
      this.dispatch({ ...this.opts, origin, headers: withHost(this.opts.headers, this.url.host) }, this);
    } catch (err) {
      this.onResponseError(this.controller, err as Error);
    }
  }

  private fail(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.handler.onResponseError?.(this.controller, error);
  }

  private describe(endpoint: Endpoint): string {
    return `${endpoint.host}:${endpoint.port} (${endpoint.address})`;
  }

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.controller.attach(controller);
    if (!this.started) {
      this.started = true;
      this.handler.onRequestStart?.(this.controller, context);
    }
  }

  onRequestUpgrade(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Parameters<NonNullable<Dispatcher.DispatchHandler["onRequestUpgrade"]>>[2],
    socket: Parameters<NonNullable<Dispatcher.DispatchHandler["onRequestUpgrade"]>>[3],
  ): void {
    this.responded = true;
    this.handler.onRequestUpgrade?.(this.controller, statusCode, headers, socket);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Parameters<NonNullable<Dispatcher.DispatchHandler["onResponseStart"]>>[2],
    statusMessage?: string,
  ): void {
    const endpoint = this.endpoint as Endpoint;
    if (
      this.settings.retryOnUnavailable &&
      (statusCode === 502 || statusCode === 503) &&
      this.canReplay &&
      this.tried.size < this.settings.attempts
    ) {
      // Read and drop this answer; the next instance is asked once it has ended.
      this.discarding = true;
      this.history.push({ instance: this.describe(endpoint), error: `HTTP ${statusCode}` });
      this.settings.resolver.markFailed(endpoint);
      return;
    }
    this.responded = true;
    this.settings.resolver.markSucceeded(endpoint);
    const annotated = this.settings.instanceHeaders
      ? {
          ...headers,
          "x-ecssd-instance": this.describe(endpoint),
          "x-ecssd-attempts": String(this.tried.size),
        }
      : headers;
    this.handler.onResponseStart?.(this.controller, statusCode, annotated, statusMessage);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.discarding) return;
    this.handler.onResponseData?.(this.controller, chunk);
  }

  onResponseEnd(
    _controller: Dispatcher.DispatchController,
    trailers: Parameters<NonNullable<Dispatcher.DispatchHandler["onResponseEnd"]>>[1],
  ): void {
    if (this.discarding) {
      this.discarding = false;
      void this.next();
      return;
    }
    this.handler.onResponseEnd?.(this.controller, trailers);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    const endpoint = this.endpoint;
    // Only a failure to reach the instance, before any answer, says the instance (not the request) is at fault.
    const instanceFailed = !this.responded && !this.discarding && isConnectionError(err);
    if (endpoint !== undefined && instanceFailed) {
      this.settings.resolver.markFailed(endpoint);
      this.history.push({
        instance: this.describe(endpoint),
        error: (err as { code?: string }).code ?? err.message,
      });
      this.lastError = err;
      if (!this.controller.aborted && this.canReplay && this.tried.size < this.settings.attempts) {
        void this.next();
        return;
      }
      this.fail(new ServiceRequestError(this.srvName, this.history, { cause: err }));
      return;
    }
    this.discarding = false;
    this.handler.onResponseError?.(this.controller, err);
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
  const shortNames = options.shortNames ?? true;
  const settings: RequestSettings = {
    resolver,
    attempts,
    retryOnUnavailable: options.retryOnUnavailable ?? false,
    instanceHeaders: options.instanceHeaders ?? false,
  };
  const agent = new Agent({
    connections,
    ...options.agent,
    connect: { timeout: connectTimeoutMs, ...(options.agent?.connect as object | undefined) },
  });
  // Origins seen, with what they mean: parsing a URL and matching names once per origin, not per request.
  const origins = new Map<string, { url: URL; target: Target }>();
  const classify = (origin: string) => {
    let known = origins.get(origin);
    if (known === undefined) {
      const url = new URL(origin);
      known = { url, target: serviceTarget(url.hostname, resolver.domain, shortNames) };
      if (origins.size >= 1_000) origins.clear();
      origins.set(origin, known);
    }
    return known;
  };
  return agent.compose((dispatch) => (opts, handler) => {
    const { url, target } = classify(String(opts.origin));
    if (target.kind === "other") return dispatch(opts, handler);
    // A short name is a service only if the zone says so; otherwise it is an ordinary host. The first pick
    // tells, so a short name costs no lookup of its own.
    const notAService = target.short ? () => void dispatch(opts, handler) : undefined;
    void new ServiceRequest(dispatch, opts, handler, url, target.srvName, settings, notAService).next();
    return true;
  });
}
