// Bounded retries of one request with the edge's back-off, for callers that give up after a number of
// attempts (the reconciler's requests, the agent's zone lookup at start-up). The agent's loop retries
// without bound itself, with a Backoff it keeps across batches.
import { fullJitterDelayMs } from "./backoff";
import { classifyError } from "./errorClass";

/** How often and how patiently a throttled or failed request is retried. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** The cap of the first back-off; it doubles per attempt up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 5_000 };

export interface RetryHooks {
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Every attempt's result or error, before the decision to retry. */
  onAttempt?: (outcome: unknown) => void;
  /** Called before each retry's sleep. */
  onRetry?: (err: unknown, delayMs: number) => void;
}

/** Runs `send` (it builds and sends the request afresh each time) until it succeeds or is not retryable. */
export async function withRetries<T>(
  send: () => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  hooks: RetryHooks = {},
): Promise<T> {
  const sleep = hooks.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      const out = await send();
      hooks.onAttempt?.(out);
      return out;
    } catch (err) {
      hooks.onAttempt?.(err);
      if (classifyError(err).kind !== "retryable" || attempt >= policy.maxAttempts) throw err;
      const delay = fullJitterDelayMs(attempt - 1, {
        baseMs: policy.baseDelayMs,
        capMs: policy.maxDelayMs,
        ...(hooks.random && { random: hooks.random }),
      });
      hooks.onRetry?.(err, delay);
      await sleep(delay);
    }
  }
}
