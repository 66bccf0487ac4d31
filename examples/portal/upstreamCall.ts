// Calls time or calc through service discovery: the resolver picks an instance, a connection
// failure moves on to another instance, and every outcome becomes an answer the page can show;
// nothing an upstream does can throw out of here except as an HttpError.
import { request } from "node:http";
import {
  type Endpoint,
  isConnectionError,
  NotFoundError,
  ResolverError,
  ServiceUnavailableError,
} from "@ecssd/resolver";
import { HttpError } from "../shared/httpError";

/** The part of the resolver the portal uses; the real one is `Resolver` from @ecssd/resolver. */
export interface EndpointPicker {
  withEndpoint<T>(
    name: string,
    fn: (endpoint: Endpoint) => Promise<T>,
    options?: { attempts?: number },
  ): Promise<T>;
}

export interface UpstreamAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly endpoint: Endpoint;
  /** How many instances were tried, this one included. */
  readonly attempts: number;
}

const MAX_BODY = 1024 * 1024;

/** An upstream that answered, but not with JSON we can use: not worth another instance. */
class BadUpstreamAnswer extends Error {
  override readonly name = "BadUpstreamAnswer";
}

/** One GET to one instance; rejects with the socket error (connection failures) or a timeout. */
function getJson(
  endpoint: Endpoint,
  path: string,
  authorization: string,
  timeoutMs: number,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: endpoint.address,
        port: endpoint.port,
        path,
        method: "GET",
        headers: { authorization, accept: "application/json" },
        timeout: timeoutMs,
        // A fresh connection per call: a pooled socket that the instance closed while draining
        // would fail a request that never reached it.
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) {
            req.destroy(new BadUpstreamAnswer(`answer larger than ${MAX_BODY} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on("end", () => {
          try {
            const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
            if (body === null || typeof body !== "object" || Array.isArray(body))
              throw new Error("not an object");
            resolve({ status: res.statusCode ?? 0, body: body as Record<string, unknown> });
          } catch {
            reject(new BadUpstreamAnswer(`answered ${res.statusCode} without a JSON object`));
          }
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () =>
      req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "UPSTREAM_TIMEOUT" })),
    );
    req.on("error", reject);
    req.end();
  });
}

export interface UpstreamCallOptions {
  /** Short name shown to the user ("time"). */
  readonly label: string;
  /** SRV name looked up ("_time._tcp.servicediscovery.internal"). */
  readonly service: string;
  readonly path: string;
  readonly authorization: string;
  readonly timeoutMs?: number;
  /** Different instances to try when connections fail. */
  readonly attempts?: number;
}

/**
 * Calls `path` on an instance of the service; answers what the instance said, or throws an HttpError
 * saying whether the service is missing (503), failing (502) or too slow (504).
 */
export async function callUpstream(
  resolver: EndpointPicker,
  opts: UpstreamCallOptions,
): Promise<UpstreamAnswer> {
  let attempts = 0;
  try {
    return await resolver.withEndpoint(
      opts.service,
      async (endpoint) => {
        attempts++;
        const r = await getJson(endpoint, opts.path, opts.authorization, opts.timeoutMs ?? 5000);
        return { ...r, endpoint, attempts };
      },
      { attempts: opts.attempts ?? 3 },
    );
  } catch (err) {
    throw describeFailure(err, opts, attempts);
  }
}

function describeFailure(err: unknown, opts: UpstreamCallOptions, attempts: number): HttpError {
  const details = { service: opts.label, srv: opts.service, attempts };
  if (err instanceof NotFoundError || err instanceof ServiceUnavailableError) {
    return new HttpError(
      503,
      `service "${opts.label}" is not registered: no instance of ${opts.service} in DNS (${err instanceof NotFoundError ? err.reason : "target ."}); is it running?`,
      { ...details, kind: "missing" },
      { cause: err },
    );
  }
  if (err instanceof ResolverError) {
    return new HttpError(
      503,
      `cannot look up service "${opts.label}": the DNS servers did not answer (${err.message})`,
      { ...details, kind: "discovery" },
      { cause: err },
    );
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (code === "UPSTREAM_TIMEOUT") {
    return new HttpError(
      504,
      `service "${opts.label}" did not answer in time`,
      { ...details, kind: "timeout" },
      { cause: err },
    );
  }
  if (isConnectionError(err)) {
    return new HttpError(
      502,
      `service "${opts.label}" is failing: could not connect to ${attempts} instance(s) (${(err as Error).message})`,
      { ...details, kind: "unreachable" },
      { cause: err },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new HttpError(
    502,
    `service "${opts.label}" is failing: ${message}`,
    { ...details, kind: "bad-answer" },
    { cause: err },
  );
}
