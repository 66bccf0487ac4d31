// Typed errors of the resolver. Every one names the query and the servers that were tried, so
// a log line alone says what failed where.

/** The question that failed, as sent on the wire. */
export interface FailedQuery {
  /** Fully qualified name, lower case, without the trailing dot. */
  readonly name: string;
  /** Record type asked for: "SRV" or "A". */
  readonly type: string;
}

/** What happened at one server during one lookup. */
export interface ServerAttempt {
  /** `ip:port` (IPv6 as `[ip]:port`). */
  readonly server: string;
  /** "timeout", "SERVFAIL", "REFUSED", "FORMERR", "NXDOMAIN", "tcp: <message>", ... */
  readonly outcome: string;
}

/** Options common to every resolver error. */
export interface ResolverErrorOptions {
  readonly query: FailedQuery;
  readonly attempts?: readonly ServerAttempt[];
  readonly cause?: unknown;
}

function describeServers(attempts: readonly ServerAttempt[]): string {
  if (attempts.length === 0) return "no server asked (answer from cache)";
  return `servers tried: ${attempts.map((a) => `${a.server} (${a.outcome})`).join(", ")}`;
}

/**
 * Base class of every error the resolver throws for a lookup. Catch this to handle all of them.
 *
 * @example
 * ```ts
 * try { await resolver.pick("calc"); } catch (err) { if (err instanceof ResolverError) log(err.query); }
 * ```
 */
export class ResolverError extends Error {
  /** The question that failed. */
  readonly query: FailedQuery;
  /** Each server asked and what it answered, in the order asked. */
  readonly attempts: readonly ServerAttempt[];
  /** The servers asked, in order (`ip:port`), without repeats. */
  readonly servers: readonly string[];

  constructor(summary: string, options: ResolverErrorOptions) {
    const attempts = options.attempts ?? [];
    super(`${summary}: ${options.query.type} ${options.query.name}; ${describeServers(attempts)}`, {
      cause: options.cause,
    });
    this.name = "ResolverError";
    this.query = options.query;
    this.attempts = attempts;
    this.servers = [...new Set(attempts.map((a) => a.server))];
  }
}

/**
 * The name does not exist (NXDOMAIN) or has no record of the asked type (NODATA). Cached for the
 * SOA minimum of the answer (RFC 2308).
 *
 * @example
 * ```ts
 * await resolver.resolve("nosuch").catch((err) => err instanceof NotFoundError); // true
 * ```
 */
export class NotFoundError extends ResolverError {
  /** "NXDOMAIN" when the name does not exist, "NODATA" when it has no record of that type. */
  readonly reason: "NXDOMAIN" | "NODATA";

  constructor(reason: "NXDOMAIN" | "NODATA", options: ResolverErrorOptions) {
    super(reason === "NXDOMAIN" ? "name not found (NXDOMAIN)" : "no record of this type (NODATA)", options);
    this.name = "NotFoundError";
    this.reason = reason;
  }
}

/**
 * The service says it is decidedly not available: its only SRV record has the target "." (RFC 2782).
 *
 * @example
 * ```ts
 * await resolver.pick("retired").catch((err) => err instanceof ServiceUnavailableError); // true
 * ```
 */
export class ServiceUnavailableError extends ResolverError {
  constructor(options: ResolverErrorOptions) {
    super('service decidedly not available (SRV target ".")', options);
    this.name = "ServiceUnavailableError";
  }
}

/**
 * No server answered in time, on any attempt.
 *
 * @example
 * ```ts
 * await resolver.pick("calc").catch((err) => err instanceof TimeoutError && err.servers);
 * ```
 */
export class TimeoutError extends ResolverError {
  constructor(options: ResolverErrorOptions) {
    super("no answer in time", options);
    this.name = "TimeoutError";
  }
}

/**
 * Every server failed and at least one of them answered with a failure (SERVFAIL, REFUSED,
 * another error code, or a broken TCP exchange) rather than staying silent.
 *
 * @example
 * ```ts
 * await resolver.pick("calc").catch((err) => err instanceof ServerFailureError && err.attempts);
 * ```
 */
export class ServerFailureError extends ResolverError {
  constructor(options: ResolverErrorOptions) {
    super("every server failed", options);
    this.name = "ServerFailureError";
  }
}
