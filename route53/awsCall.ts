// The counting, retrying wrapper every AWS request of the reconciler and the registrar goes through (Route53
// and ECS alike): each attempt is counted per operation (the summaries report calls), and a request the
// edge's one classification calls retryable (throttling, 5xx, a broken or refused connection) is retried
// with the edge's back-off (exponential, full jitter). Other errors are rethrown unchanged. No SDK import.
import type { Route53Call } from "./call";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetries } from "./retry";

/** Counts and retries the API requests of one reconcile run, or of one registrar. */
export class AwsCall {
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

  /**
   * Runs one API request (`send` builds and sends it afresh on every attempt). A bound function, so it can be
   * handed on as the edge's {@link Route53Call}.
   */
  readonly call: Route53Call = (operation, send) =>
    withRetries(send, this.policy, {
      sleep: this.sleep,
      random: this.random,
      onAttempt: (outcome) => this.count(operation, outcome),
      onRetry: () => {
        this.retries++;
      },
    });

  private count(operation: string, outcome: unknown): void {
    const attempts = (outcome as { $metadata?: { attempts?: number } } | undefined)?.$metadata?.attempts;
    const n = typeof attempts === "number" && attempts >= 1 ? attempts : 1;
    this.byOperation[operation] = (this.byOperation[operation] ?? 0) + n;
  }
}

/** The wrapper's first name, kept for callers written before it carried ECS requests too. */
export const ApiCalls = AwsCall;
export type ApiCalls = AwsCall;
