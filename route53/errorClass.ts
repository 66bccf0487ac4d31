// The one classification of AWS errors, the same for every caller: retry later, the batch was rejected, or
// fatal. Duck-typed on the SDK's error shape (name, code, $fault, $metadata), so it needs no SDK import and
// also serves the reconciler's ECS requests.
import { InvalidChangeBatchError, ZoneBusyError } from "./errors";

export type ErrorKind = "retryable" | "rejected" | "fatal";

export interface ErrorClass {
  kind: ErrorKind;
  /** Retryable because AWS asked us to slow down (counted apart from failures). */
  throttled: boolean;
  /** A short reason for logs: the error's name, HTTP status or network code. */
  reason: string;
}

const THROTTLING = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "PriorRequestNotComplete",
]);
/**
 * Route53 answers a DELETE whose set does not match what is stored with InvalidChangeBatch, and for some
 * mismatches InvalidInput: both mean "this batch, as it stands, will never pass"; re-read and rebuild it.
 */
const REJECTED = new Set(["InvalidChangeBatch", "InvalidInput"]);
/**
 * Connections that broke, timed out, or could not be made. ECONNREFUSED (and a failed name lookup) is here
 * on purpose: the agent runs for months and must ride out a restart of the local zone or an endpoint; the
 * reconciler's retries are bounded by its RetryPolicy, so a dead endpoint still fails its run, a little later.
 */
const NETWORK = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
  "AbortError",
]);

interface AwsErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
}

export function classifyError(err: unknown): ErrorClass {
  if (typeof err !== "object" || err === null)
    return { kind: "fatal", throttled: false, reason: String(err) };
  // Already classified (and translated) once: keep the verdict.
  if (err instanceof ZoneBusyError) return { kind: "retryable", throttled: err.throttled, reason: err.name };
  if (err instanceof InvalidChangeBatchError) return { kind: "rejected", throttled: false, reason: err.name };
  const e = err as AwsErrorShape;
  const name = e.name ?? "";
  const status = e.$metadata?.httpStatusCode;
  if (THROTTLING.has(name)) return { kind: "retryable", throttled: true, reason: name };
  if (status === 429) return { kind: "retryable", throttled: true, reason: "HTTP 429" };
  if (REJECTED.has(name)) return { kind: "rejected", throttled: false, reason: name };
  if (status !== undefined && status >= 500)
    return { kind: "retryable", throttled: false, reason: `HTTP ${status}` };
  if (e.$fault === "server") return { kind: "retryable", throttled: false, reason: name || "server fault" };
  if (e.code !== undefined && NETWORK.has(e.code))
    return { kind: "retryable", throttled: false, reason: e.code };
  if (NETWORK.has(name)) return { kind: "retryable", throttled: false, reason: name };
  return { kind: "fatal", throttled: false, reason: name || "Error" };
}

/** True for the errors worth another attempt: throttling, 5xx, and a connection that broke or was refused. */
export function isRetryableAwsError(err: unknown): boolean {
  return classifyError(err).kind === "retryable";
}

/** True when the zone rejected the change batch as it stands. */
export function isRejectedBatch(err: unknown): boolean {
  return classifyError(err).kind === "rejected";
}

/** The classification as the edge's error classes; fatal errors are returned unchanged. */
export function translateError(err: unknown): unknown {
  const c = classifyError(err);
  const message = (err as { message?: string })?.message ?? String(err);
  if (c.kind === "rejected") return new InvalidChangeBatchError(message, { cause: err });
  if (c.kind === "retryable") {
    return new ZoneBusyError(`${c.reason}: ${message}`, c.throttled, { cause: err });
  }
  return err;
}

/**
 * The record sets a rejection names, as `name|type|SetIdentifier` parts, e.g. from
 * `[Tried to delete resource record set [name='a.zone.', type='SRV', set-identifier='x'] but ...]`.
 */
export function rejectedRecordSets(err: unknown): { Name: string; Type: string; SetIdentifier?: string }[] {
  const e = err as { message?: string; messages?: string[] };
  const text = [e?.message ?? "", ...(e?.messages ?? [])].join("\n");
  const named: { Name: string; Type: string; SetIdentifier?: string }[] = [];
  const re = /name='([^']*)',\s*type='([^']*)'(?:,\s*set-identifier='([^']*)')?/g;
  for (const m of text.matchAll(re)) {
    named.push({ Name: m[1] ?? "", Type: m[2] ?? "", ...(m[3] !== undefined && { SetIdentifier: m[3] }) });
  }
  return named;
}
