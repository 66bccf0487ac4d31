// Every AWS API request the reconciler makes goes through here: it is counted (the summary reports calls
// per operation) and retried with the edge's back-off (route53/: exponential, full jitter) when the edge's
// one classification calls the error retryable (throttling, 5xx, a broken or refused connection). Other
// errors are rethrown unchanged.
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetries } from "../route53/retry";

export { isRetryableAwsError } from "../route53/errorClass";
export { DEFAULT_RETRY_POLICY, type RetryPolicy };

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
  call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    return withRetries(send, this.policy, {
      sleep: this.sleep,
      random: this.random,
      onAttempt: (outcome) => this.count(operation, outcome),
      onRetry: () => {
        this.retries++;
      },
    });
  }

  private count(operation: string, outcome: unknown): void {
    const attempts = (outcome as { $metadata?: { attempts?: number } } | undefined)?.$metadata?.attempts;
    const n = typeof attempts === "number" && attempts >= 1 ? attempts : 1;
    this.byOperation[operation] = (this.byOperation[operation] ?? 0) + n;
  }
}
