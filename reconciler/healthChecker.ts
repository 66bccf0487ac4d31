// The health-check port the core owns: check endpoints, get a verdict for each. healthChecks.ts implements it
// with HTTP GETs; the core only decides what to check and what a verdict means for a record.

export interface HealthCheckOptions {
  readonly path: string;
  readonly timeoutMs: number;
  readonly attempts: number;
  readonly concurrency: number;
  /** Epoch ms after which no attempt starts; instances not fully checked by then are "skipped". */
  readonly deadline?: number;
  /** Pause before a retry after a quick failure (refused, 5xx), in ms; doubles per attempt (default 100). */
  readonly retryDelayMs?: number;
}

export interface HealthTarget {
  readonly address: string;
  readonly port: number;
}

export type HealthVerdict = "healthy" | "unhealthy" | "skipped";

export interface HealthResult {
  readonly verdict: HealthVerdict;
  readonly url: string;
  readonly attempts: number;
  /** What the last attempt saw: `HTTP 200`, `HTTP 500`, `timed out after 2000 ms`, `ECONNREFUSED`. */
  readonly detail: string;
}

/** Checks each distinct address:port once, whatever number of targets name it; results keyed by {@link endpointKey}. */
export type HealthChecker = (
  targets: readonly HealthTarget[],
  options: HealthCheckOptions,
) => Promise<Map<string, HealthResult>>;

export function endpointKey(t: HealthTarget): string {
  return `${t.address}:${t.port}`;
}
