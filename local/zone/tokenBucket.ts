// A token bucket as AWS describes Route53's throttling: it holds at most `capacity` tokens (the
// burst), refills at `refillPerSecond` (the sustained rate) and discards refill that finds it full.
// The clock is injected so tests can move time instead of waiting for it.

/** Refill computed in floating point may land a hair below a whole token that is really there. */
const EPSILON = 1e-9;

export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  /** `now` is in milliseconds (performance.now or a test's own clock). The bucket starts full. */
  constructor(
    readonly capacity: number,
    readonly refillPerSecond: number,
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

  private refill(): void {
    const now = this.now();
    const elapsed = Math.max(0, now - this.refilledAt);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed / 1000) * this.refillPerSecond);
    this.refilledAt = now;
  }
}
