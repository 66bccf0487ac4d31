// Endpoints reported as failed, each skipped for a back-off that doubles while failures repeat.

interface Failure {
  count: number;
  until: number;
}

/** Remembers failed endpoints by `address:port`; at most `maxTracked` of them. */
export class EndpointHealth {
  private readonly failures = new Map<string, Failure>();
  /** No endpoint is avoided at or after this time: lets the pick hot path skip every check. */
  private avoidUntil = 0;

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
    private readonly now: () => number,
    private readonly maxTracked = 10_000,
  ) {}

  /** True when some endpoint may still be in its back-off at `now`. */
  anyAvoided(now: number): boolean {
    return now < this.avoidUntil;
  }

  /** Starts (or lengthens) the back-off of an endpoint: base, 2×base, 4×base ... up to max. */
  markFailed(key: string): number {
    const now = this.now();
    const previous = this.failures.get(key);
    // A failure long after the last back-off ended starts over from the base period.
    const count = previous && now < previous.until + this.maxMs ? previous.count + 1 : 1;
    const backoff = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(count - 1, 30));
    const until = now + backoff;
    this.failures.delete(key);
    this.failures.set(key, { count, until });
    if (until > this.avoidUntil) this.avoidUntil = until;
    if (this.failures.size > this.maxTracked) {
      // Oldest first: Map keeps insertion order and a repeated failure re-inserts its key.
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
    return until;
  }

  /** True when no endpoint has a failure on record: a success then has nothing to forget. */
  get empty(): boolean {
    return this.failures.size === 0;
  }

  /** Forgets an endpoint's failures: it worked. */
  markSucceeded(key: string): void {
    this.failures.delete(key);
  }

  /** True while the endpoint is in its back-off. */
  isAvoided(key: string, now: number): boolean {
    const f = this.failures.get(key);
    return f !== undefined && now < f.until;
  }
}
