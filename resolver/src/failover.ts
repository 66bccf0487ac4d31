// Failover between the instances of a service, shared by the fetch dispatcher (one request) and the http.Agent (one
// connection): how many instances were sent to, which failed and how, the resolver told of each, the next pick
// avoiding them, and the error that names every instance tried once none is left. It is also the one path by which
// both tell the resolver's outlier detection what each instance did (a status, a connection made or failed).
import type { Resolver } from "./resolver";
import { type Endpoint, endpointKey } from "./srvSelect";

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

/** `host:port (address)`: how an instance is named in errors and headers. */
export function describeInstance(endpoint: Endpoint): string {
  return `${endpoint.host}:${endpoint.port} (${endpoint.address})`;
}

const NONE_TRIED: ReadonlySet<string> = new Set();

/** The instances of one service tried for one request, up to `attempts` of them. */
export class Failover {
  /** Instances sent to so far. */
  sent = 0;
  /** How each instance that failed this request failed, in order. */
  readonly history: InstanceAttempt[] = [];
  /** The error of the last instance that could not be reached. */
  lastError: unknown;
  /** `address:port` of the instances that failed: built only when one does (most requests need none). */
  private tried: Set<string> | undefined;

  constructor(
    private readonly resolver: Resolver,
    readonly srvName: string,
    private readonly attempts: number,
  ) {}

  /** Whether another instance may still be sent to. */
  get canTryAnother(): boolean {
    return this.sent < this.attempts;
  }

  /** The request is being sent to `endpoint`. */
  sending(): void {
    this.sent++;
  }

  /** The instance accepted the connection: its failure back-off, if any, ends. */
  connected(endpoint: Endpoint): void {
    this.resolver.markSucceeded(endpoint);
    this.resolver.reportOutcome(this.srvName, endpoint, "connected");
  }

  /** The instance answered with `statusCode` (whatever it is, the connection worked: its back-off ends). */
  answered(endpoint: Endpoint, statusCode: number): void {
    this.resolver.markSucceeded(endpoint);
    this.resolver.reportOutcome(this.srvName, endpoint, statusCode);
  }

  /** The instance answered 502 or 503 and the request goes to another: counted, and this request avoids it. */
  unavailable(endpoint: Endpoint, statusCode: number): void {
    this.resolver.reportOutcome(this.srvName, endpoint, statusCode);
    this.failed(endpoint, `HTTP ${statusCode}`);
  }

  /** The instance could not be reached (refused, reset before any answer, timed out): see {@link failed}. */
  unreachable(endpoint: Endpoint, error: string, cause?: unknown): void {
    this.resolver.reportOutcome(this.srvName, endpoint, "connection-failed");
    this.failed(endpoint, error, cause);
  }

  /**
   * The instance failed this request (`error` says how; `cause`, when given, is the error to report if no instance
   * is left): the resolver skips it for a while, and this request does not go back to it.
   */
  private failed(endpoint: Endpoint, error: string, cause?: unknown): void {
    this.resolver.markFailed(endpoint);
    this.tried ??= new Set();
    this.tried.add(endpointKey(endpoint));
    this.history.push({ instance: describeInstance(endpoint), error });
    if (cause !== undefined) this.lastError = cause;
  }

  /** The next instance to try: one this request has not failed on; undefined when only those are left. */
  next(): Promise<Endpoint | undefined> {
    return this.resolver.pickExcept(this.srvName, this.tried ?? NONE_TRIED);
  }

  /** The error for a request that ran out of instances, `cause` its last error. */
  exhausted(cause: unknown = this.lastError): ServiceRequestError {
    return new ServiceRequestError(this.srvName, this.history, { cause });
  }
}
