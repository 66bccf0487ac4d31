// One warning line per interval for a failure that repeats: during an outage the agent retries every few
// seconds, and a line per retry (about 1,400 per host per hour) buries everything else. The first failure is
// logged at once; the ones after it are counted and reported in the next line, at most one per interval.
export class WarningLimiter {
  private lastAt: number | undefined;
  private suppressed = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number,
  ) {}

  /** Whether to log this occurrence now; if so, how many were left unlogged since the last line. */
  take(): { log: true; suppressed: number } | { log: false } {
    const now = this.now();
    if (this.lastAt !== undefined && now - this.lastAt < this.intervalMs) {
      this.suppressed++;
      return { log: false };
    }
    const suppressed = this.suppressed;
    this.lastAt = now;
    this.suppressed = 0;
    return { log: true, suppressed };
  }

  /** The failures ended: how many there were since the last line (so a recovery line can say it). */
  reset(): number {
    const suppressed = this.suppressed;
    this.lastAt = undefined;
    this.suppressed = 0;
    return suppressed;
  }
}
