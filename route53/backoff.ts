// Exponential back-off with full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): a
// uniform delay below a cap that doubles per attempt spreads the retries of many clients over the whole
// window instead of synchronising them into bursts. The one back-off of the tree: the agent's loop and
// Docker reconnects, and every retried AWS request of the reconciler.

export interface BackoffOptions {
  /** The cap of the first delay (ms); it doubles per attempt up to `capMs`. */
  baseMs: number;
  capMs: number;
  /** Uniform [0, 1); injectable so tests can replay. */
  random?: () => number;
}

/** The delay before retry number `retry` (0 for the first): uniform in [0, min(cap, base · 2^retry)). */
export function fullJitterDelayMs(retry: number, opts: BackoffOptions): number {
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** Math.min(retry, 30));
  return Math.floor((opts.random ?? Math.random)() * ceiling);
}

/** Back-off that remembers its attempt: `next()` after each failure, `reset()` after a success. */
export class Backoff {
  private attempt = 0;
  constructor(private readonly opts: BackoffOptions) {}

  next(): number {
    return fullJitterDelayMs(this.attempt++, this.opts);
  }

  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
