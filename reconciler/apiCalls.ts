// Every AWS API request the reconciler makes goes through here: it is counted (the summary reports calls
// per operation) and retried with exponential back-off and full jitter when AWS asks us to slow down
// (Throttling, PriorRequestNotComplete) or fails on its side (5xx). Other errors are rethrown unchanged.

/** How often and how patiently a throttled or failed request is retried. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** The cap of the first back-off; it doubles per attempt up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 5_000 };

const THROTTLING = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "PriorRequestNotComplete",
]);
// Connections that broke mid-request; a refused connection is not here (nothing listens, retrying won't help).
const TRANSIENT_NETWORK = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "TimeoutError", "RequestTimeout"]);

/** True for the errors worth another attempt: throttling, 5xx, and a connection that broke. */
export function isRetryableAwsError(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { name?: string; code?: string; $fault?: string; $metadata?: { httpStatusCode?: number } };
  if (e.name && THROTTLING.has(e.name)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  if (e.$fault === "server") return true;
  return (
    (e.code !== undefined && TRANSIENT_NETWORK.has(e.code)) ||
    (e.name !== undefined && TRANSIENT_NETWORK.has(e.name))
  );
}

/** Counts and retries API requests for one reconcile run. */
export class ApiCalls {
  /** Requests sent per operation, every attempt counted (including the SDK's own retries). */
  readonly byOperation: Record<string, number> = {};
  /** Attempts that were retries after a throttling or server error. */
  retries = 0;

  constructor(
    private readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    private readonly random: () => number = Math.random,
  ) {}

  get total(): number {
    return Object.values(this.byOperation).reduce((a, b) => a + b, 0);
  }

  /** Runs one API request (`send` builds and sends it afresh on every attempt). */
  async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await send();
        this.count(operation, out);
        return out;
      } catch (err) {
        this.count(operation, err);
        if (!isRetryableAwsError(err) || attempt >= this.policy.maxAttempts) throw err;
        this.retries++;
        await this.sleep(this.backoffMs(attempt));
      }
    }
  }

  /** Full jitter: a uniform delay below an exponentially growing cap spreads out competing clients. */
  backoffMs(attempt: number): number {
    const cap = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempt - 1));
    return Math.floor(this.random() * cap);
  }

  private count(operation: string, outcome: unknown): void {
    const attempts = (outcome as { $metadata?: { attempts?: number } } | undefined)?.$metadata?.attempts;
    const n = typeof attempts === "number" && attempts >= 1 ? attempts : 1;
    this.byOperation[operation] = (this.byOperation[operation] ?? 0) + n;
  }
}
