// Calls time or calc through service discovery with plain `fetch`: the resolver's dispatcher picks an instance
// and moves to another when one cannot be reached, so there is no retry or URL building here. Every outcome
// becomes an answer the page can show; nothing an upstream does can throw out of here except as an HttpError.
import { NotFoundError, ResolverError, ServiceRequestError, ServiceUnavailableError } from "@ecssd/resolver";
import type { Dispatcher } from "undici";
import { HttpError } from "../shared/httpError";

export interface UpstreamAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  /** The instance that answered, as the dispatcher reports it (x-ecssd-instance). */
  readonly upstream: { address: string; port: number; target: string } | undefined;
  /** How many instances were tried, this one included. */
  readonly attempts: number;
}

const MAX_BODY = 1024 * 1024;

/** An upstream that answered, but not with JSON we can use. */
class BadUpstreamAnswer extends Error {
  override readonly name = "BadUpstreamAnswer";
}

export interface UpstreamCallOptions {
  /** Short name shown to the user ("time"). */
  readonly label: string;
  /** SRV name of the service ("_time._tcp.servicediscovery.internal"): the host of the URL fetched. */
  readonly service: string;
  readonly path: string;
  readonly authorization: string;
  readonly timeoutMs?: number;
}

/** `h1.zone:32768 (10.0.0.5)` -> its parts. */
function instanceOf(header: string | null): UpstreamAnswer["upstream"] {
  const m = /^(.+):(\d+) \((.+)\)$/.exec(header ?? "");
  return m ? { address: m[3] as string, port: Number(m[2]), target: m[1] as string } : undefined;
}

async function jsonBody(res: Response): Promise<Record<string, unknown>> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += chunk.length;
    if (size > MAX_BODY) throw new BadUpstreamAnswer(`answer larger than ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
    if (body === null || typeof body !== "object" || Array.isArray(body)) throw new Error("not an object");
    return body as Record<string, unknown>;
  } catch {
    throw new BadUpstreamAnswer(`answered ${res.status} without a JSON object`);
  }
}

/**
 * GETs `path` from an instance of the service; answers what the instance said, or throws an HttpError saying
 * whether the service is missing (503), failing (502) or too slow (504).
 */
export async function callUpstream(
  dispatcher: Dispatcher,
  opts: UpstreamCallOptions,
): Promise<UpstreamAnswer> {
  try {
    const res = await fetch(`http://${opts.service}${opts.path}`, {
      dispatcher,
      headers: { authorization: opts.authorization, accept: "application/json" },
      signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
    } as unknown as RequestInit);
    return {
      status: res.status,
      body: await jsonBody(res),
      upstream: instanceOf(res.headers.get("x-ecssd-instance")),
      attempts: Number(res.headers.get("x-ecssd-attempts") ?? 1),
    };
  } catch (err) {
    // fetch wraps what the dispatcher failed with in a TypeError("fetch failed", { cause }).
    const cause = err instanceof TypeError && err.cause !== undefined ? err.cause : err;
    throw describeFailure(cause, opts);
  }
}

function describeFailure(err: unknown, opts: UpstreamCallOptions): HttpError {
  const details = { service: opts.label, srv: opts.service };
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
  if (err instanceof ServiceRequestError) {
    return new HttpError(
      502,
      `service "${opts.label}" is failing: could not connect to ${err.attempts.length} instance(s) (${err.message})`,
      { ...details, kind: "unreachable", attempts: err.attempts.length },
      { cause: err },
    );
  }
  if ((err as { name?: unknown } | null)?.name === "TimeoutError") {
    return new HttpError(
      504,
      `service "${opts.label}" did not answer in time`,
      { ...details, kind: "timeout" },
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
