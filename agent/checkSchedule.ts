// The agent's health checks as a pure schedule and state machine: which checks are due, and what a result
// does to a port's place in DNS. No timers, no sockets: the clock is injected, and healthMonitor.ts runs it.
//   pending --pass--> passing            (a declared check must pass once before the port enters DNS)
//   passing --N consecutive failures--> failing   (N = unhealthy threshold; the port leaves DNS)
//   failing --M consecutive passes--> passing      (M = healthy threshold; the port returns)
import type { CheckDeclaration } from "../records";

export type CheckState = "pending" | "passing" | "failing";

/** One port to check. */
export interface CheckTarget {
  /** The instance it guards (records' instanceKey): name and SetIdentifier of its SRV set. */
  readonly key: string;
  /** The container it belongs to; targets come and go a container at a time. */
  readonly group: string;
  readonly check: CheckDeclaration;
  /** Where it is probed: the address and port the agent publishes for it. */
  readonly address: string;
  readonly port: number;
  /** For logs: `_calc._tcp`. */
  readonly service: string;
}

export interface Transition {
  readonly target: CheckTarget;
  readonly from: CheckState;
  readonly to: CheckState;
  /** What the check that caused it saw. */
  readonly detail: string;
}

interface Entry {
  target: CheckTarget;
  state: CheckState;
  /** Consecutive passes / failures in the current state. */
  passes: number;
  failures: number;
  nextDue: number;
  /** Set while a probe runs: a target is never probed twice at once. */
  startedAt: number | undefined;
  probed: boolean;
}

/**
 * The schedule's default clock: monotonic milliseconds. A wall clock stepped back (NTP, a VM restored) would
 * push every check into the future by the step, and a failing port would stay in DNS that long.
 */
export const monotonicNow = (): number => performance.now();

export class CheckSchedule {
  private readonly entries = new Map<string, Entry>();
  private readonly groups = new Map<string, Set<string>>();

  constructor(private readonly now: () => number = monotonicNow) {}

  /**
   * Sets the targets of one container. A target whose key, address, port and check are unchanged keeps its
   * state and schedule (a resync must not reset a failing count); a new or changed one starts pending and
   * is due at once.
   */
  setGroup(group: string, targets: readonly CheckTarget[]): void {
    const keep = new Set<string>();
    for (const target of targets) {
      keep.add(target.key);
      const existing = this.entries.get(target.key);
      if (existing && sameTarget(existing.target, target)) continue;
      this.entries.set(target.key, {
        target,
        state: "pending",
        passes: 0,
        failures: 0,
        nextDue: this.now(),
        startedAt: undefined,
        probed: false,
      });
    }
    for (const key of this.groups.get(group) ?? []) if (!keep.has(key)) this.entries.delete(key);
    if (keep.size === 0) this.groups.delete(group);
    else this.groups.set(group, keep);
  }

  removeGroup(group: string): void {
    for (const key of this.groups.get(group) ?? []) this.entries.delete(key);
    this.groups.delete(group);
  }

  state(key: string): CheckState | undefined {
    return this.entries.get(key)?.state;
  }

  /** Counts by state, for the metrics gauge. */
  counts(): Record<CheckState, number> {
    const out: Record<CheckState, number> = { pending: 0, passing: 0, failing: 0 };
    for (const e of this.entries.values()) out[e.state]++;
    return out;
  }

  /** Targets without a result yet. */
  unprobed(): number {
    let n = 0;
    for (const e of this.entries.values()) if (!e.probed) n++;
    return n;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Up to `limit` targets due now (or within `slackMs`, so that one timer serves checks due a few
   * milliseconds apart), earliest first, marked as running.
   */
  takeDue(limit: number, slackMs = 0): CheckTarget[] {
    if (limit <= 0) return [];
    const now = this.now();
    const due = [...this.entries.values()]
      .filter((e) => e.startedAt === undefined && e.nextDue <= now + slackMs)
      .sort((a, b) => a.nextDue - b.nextDue)
      .slice(0, limit);
    for (const e of due) e.startedAt = now;
    return due.map((e) => e.target);
  }

  /** When this target is next due (in the clock's milliseconds); undefined while it runs or when it is unknown. */
  dueAt(key: string): number | undefined {
    const e = this.entries.get(key);
    return e && e.startedAt === undefined ? e.nextDue : undefined;
  }

  /** When the next target not running now is due (in the clock's milliseconds), or undefined when there is none. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const e of this.entries.values()) {
      if (e.startedAt === undefined && (next === undefined || e.nextDue < next)) next = e.nextDue;
    }
    return next;
  }

  /**
   * Records the result of a probe taken by {@link takeDue}. The next probe is due one interval after this
   * one started (at once if it took longer). Returns the transition, if any; a result for a target removed
   * or changed meanwhile is dropped.
   */
  record(target: CheckTarget, passed: boolean, detail: string): Transition | undefined {
    const e = this.entries.get(target.key);
    if (!e || e.target !== target || e.startedAt === undefined) return undefined;
    e.nextDue = Math.max(this.now(), e.startedAt + e.target.check.intervalMs);
    e.startedAt = undefined;
    e.probed = true;
    const from = e.state;
    if (passed) {
      e.failures = 0;
      e.passes++;
      if (from === "pending" || (from === "failing" && e.passes >= e.target.check.healthyThreshold)) {
        e.state = "passing";
      }
    } else {
      e.passes = 0;
      e.failures++;
      if (from === "passing" && e.failures >= e.target.check.unhealthyThreshold) e.state = "failing";
    }
    if (e.state === from) return undefined;
    e.passes = 0;
    e.failures = 0;
    return { target: e.target, from, to: e.state, detail };
  }
}

function sameTarget(a: CheckTarget, b: CheckTarget): boolean {
  return (
    a.address === b.address &&
    a.port === b.port &&
    a.group === b.group &&
    JSON.stringify(a.check) === JSON.stringify(b.check)
  );
}
