// A token bucket as AWS describes Route53's throttling: it holds at most `capacity` tokens (the
// burst), refills at `refillPerSecond` (the sustained rate) and discards refill that finds it full.
// The clock is injected so tests can move time instead of waiting for it. The local zone throttles with it,
// and the coalescer paces its own requests with it (route53Budget.ts), so both read Route53's rule the same way.

/** Refill computed in floating point may land a hair below a whole token that is really there. */
const EPSILON = 1e-9;

export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  /** `now` is in milliseconds (performance.now or a test's own clock). The bucket starts full. */
  constructor(
    readonly capacity: number,
    private refillPerSecond: number,
    private readonly now: () => number,
  ) {
    this.tokens = capacity;
    this.refilledAt = now();
  }

  /** Whether `n` tokens are there now, without taking them. */
  has(n: number): boolean {
    this.refill();
    return this.tokens + EPSILON >= n;
  }

  /** Takes `n` tokens; call only after has(n). */
  take(n: number): void {
    this.refill();
    this.tokens = Math.max(0, this.tokens - n);
  }

  /** Takes `n` tokens when they are there; false (and nothing taken) when not. */
  tryTake(n: number): boolean {
    if (!this.has(n)) return false;
    this.take(n);
    return true;
  }

  /** The refill rate now (tokens per second). */
  get rate(): number {
    return this.refillPerSecond;
  }

  /** Changes the refill rate from now on (what was refilled before stays). */
  setRate(refillPerSecond: number): void {
    this.refill();
    this.refillPerSecond = refillPerSecond;
  }

  /** Tokens there now. */
  available(): number {
    this.refill();
    return this.tokens;
  }

  /** Milliseconds until `n` tokens are there (0 when they are; Infinity when they never will be). */
  msUntil(n: number): number {
    this.refill();
    const missing = Math.min(n, this.capacity) - this.tokens;
    if (missing <= EPSILON) return 0;
    if (this.refillPerSecond <= 0) return Number.POSITIVE_INFINITY;
    return (missing / this.refillPerSecond) * 1000;
  }

  private refill(): void {
    const now = this.now();
    const elapsed = Math.max(0, now - this.refilledAt);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed / 1000) * this.refillPerSecond);
    this.refilledAt = now;
  }
}
