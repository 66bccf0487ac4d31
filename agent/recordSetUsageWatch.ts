// How full the zone is, for the agent's gauges: GetHostedZoneLimit once an hour, at a random phase, and whenever a
// quota refusal asks. The first ask waits a random part of the hour: 500 agents that start together (a new cluster,
// a restart of every agent) then ask 0.14 times a second between them, 1.4% of the account's request rate. Spread
// over the resync period instead, they took 8 a second for a minute, and the fleet benchmark's other tool was
// throttled on 6.6% of its requests.
import type { RecordSetUsage } from "../route53/recordSetQuota";
import type { Log } from "./syncLoop";
import { errorText } from "./syncLoop";

/** Between two scheduled asks: the quota changes when someone raises it, and the count moves slowly. */
export const RECORD_SET_USAGE_EVERY_MS = 3_600_000;

export interface RecordSetUsageWatchOptions {
  /** One GetHostedZoneLimit MAX_RRSETS_BY_ZONE. */
  ask: () => Promise<RecordSetUsage>;
  /** Every answer (the gauges). */
  onUsage: (usage: RecordSetUsage) => void;
  /** The first ask comes at a random point within this (an hour, the period of the asks). */
  firstWithinMs: number;
  everyMs?: number;
  random?: () => number;
  log: Log;
}

export class RecordSetUsageWatch {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: RecordSetUsageWatchOptions) {}

  start(): void {
    this.next(Math.floor((this.opts.random ?? Math.random)() * this.opts.firstWithinMs));
  }

  /**
   * Asks now; the answer goes to the gauges too. Undefined when it cannot be asked (e.g. a role without
   * route53:GetHostedZoneLimit): logged, and the gauges keep what they had.
   */
  async askNow(): Promise<RecordSetUsage | undefined> {
    try {
      const usage = await this.opts.ask();
      this.opts.onUsage(usage);
      return usage;
    } catch (err) {
      this.opts.log.warn(
        { action: "record-set-usage", err: errorText(err) },
        "cannot read the zone's record sets against its quota (GetHostedZoneLimit); the gauges keep their last values",
      );
      return undefined;
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private next(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.askNow().finally(() => this.next(this.opts.everyMs ?? RECORD_SET_USAGE_EVERY_MS));
    }, delayMs);
    // A schedule of gauges never keeps the process alive.
    this.timer.unref();
  }
}
