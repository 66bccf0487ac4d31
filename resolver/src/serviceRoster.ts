// The instances each service was seen with lately, for outlier detection's share: a Route53 multivalue answer holds
// at most 8 records drawn from the whole set, so one answer understates a larger service, and 10% of 8 ejects one
// instance at a time however many are failing. The roster gathers the instances of a service's answers over a
// window, and is told only when a new answer arrives, so picking never pays for it.
import type { EndpointSet } from "./srvSelect";

/** One service's instances (`address:port`) with when each was last in an answer, least recently seen first. */
class Roll {
  /** The answer last counted in: a set seen again changes nothing. */
  set: EndpointSet | undefined;
  readonly seen = new Map<string, number>();
}

/** The instances of every service seen in its answers within `windowMs`; at most `maxTracked` instances in all. */
export class ServiceRoster {
  /** By service, least recently answered first: the bound's eviction order. */
  private readonly rolls = new Map<string, Roll>();
  private tracked = 0;

  constructor(
    private readonly windowMs: number,
    private readonly maxTracked = 10_000,
  ) {}

  /** Counts in the instances of `set`, an answer of `service` (its SRV name) that arrived at `now`. */
  saw(service: string, set: EndpointSet, now: number): void {
    if (this.rolls.get(service)?.set !== set) this.record(service, set, now);
  }

  /**
   * How many instances `service` has: those of `current`, its answer in the cache (seen now: while it is cached it
   * is what the servers say, however old), and those of its answers within the window.
   */
  size(service: string, current: EndpointSet | undefined, now: number): number {
    if (current !== undefined) this.record(service, current, now);
    const roll = this.rolls.get(service);
    if (roll === undefined) return 0;
    this.expire(service, roll, now);
    return roll.seen.size;
  }

  /** Instances counted in all, across services. */
  get trackedCount(): number {
    return this.tracked;
  }

  /** Marks the instances of `set` seen at `now`, `service` answered last; keeps the bound. */
  private record(service: string, set: EndpointSet, now: number): void {
    let roll = this.rolls.get(service);
    if (roll === undefined) roll = new Roll();
    else this.rolls.delete(service);
    this.rolls.set(service, roll);
    roll.set = set;
    this.stamp(roll, set, now);
    this.expire(service, roll, now);
    // A service no longer answered (no longer called) is cleared here, a little at each answer of another.
    const [first, firstRoll] = this.rolls.entries().next().value!;
    if (firstRoll !== roll) this.expire(first, firstRoll, now);
    while (this.tracked > this.maxTracked) this.evictOne();
  }

  /** Marks the instances of `set` seen at `now`, moving each to the back of the roll's order. */
  private stamp(roll: Roll, set: EndpointSet, now: number): void {
    const keys = set.keys;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (roll.seen.delete(key)) this.tracked--;
      roll.seen.set(key, now);
      this.tracked++;
    }
  }

  /** Drops the instances of a roll not seen within the window (the oldest are first). */
  private expire(service: string, roll: Roll, now: number): void {
    for (const [key, at] of roll.seen) {
      if (now - at <= this.windowMs) break;
      roll.seen.delete(key);
      this.tracked--;
    }
    if (roll.seen.size === 0) this.rolls.delete(service);
  }

  /** Forgets the least recently seen instance of the least recently answered service. */
  private evictOne(): void {
    const first = this.rolls.entries().next().value;
    if (first === undefined) return;
    const [service, roll] = first;
    const oldest = roll.seen.keys().next().value;
    if (oldest !== undefined) {
      roll.seen.delete(oldest);
      this.tracked--;
    }
    if (roll.seen.size === 0) this.rolls.delete(service);
  }
}
