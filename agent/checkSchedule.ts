// The agent's health checks as a pure schedule and state machine: which checks are due, and what a result
// does to a port's place in DNS. No timers, no sockets: the clock is injected, and healthMonitor.ts runs it.
//   pending --pass--> passing            (a declared check must pass once before the port enters DNS)
//   passing --N consecutive failures--> failing   (N = unhealthy threshold; the port leaves DNS)
//   failing --M consecutive passes--> passing      (M = healthy threshold; the port returns)
// Two bounds keep one container from spending what every container of the host shares:
// - Hold-down: after a port enters or leaves DNS, its next change waits until `holdDownMs` has passed since
//   (the verdict goes on being computed; what it is when the hold-down ends is what DNS gets). The first
//   entry is never held, and a container that stops is removed by its group at once, never held.
// - Fair slots: due probes are handed out to the container with the fewest probes running first, so one
//   whose probes all hang holds no slot a neighbour's due probe is waiting for once one of them ends.
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
  /** What the thresholds conclude; DNS follows it, within the hold-down. */
  verdict: CheckState;
  /** In DNS now, and when that last changed (undefined until the first entry). */
  published: boolean;
  changedAt: number | undefined;
  /** Set while a verdict waits for the hold-down to end: when it may be applied, and what the check saw. */
  heldUntil: number | undefined;
  heldDetail: string;
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

  /**
   * @param now the clock of every due time (monotonic by default).
   * @param holdDownMs how long a port's place in DNS stays as it is after it changed (0: not held).
   */
  constructor(
    private readonly now: () => number = monotonicNow,
    private readonly holdDownMs = 0,
  ) {}

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
        verdict: "pending",
        published: false,
        changedAt: undefined,
        heldUntil: undefined,
        heldDetail: "",
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

  /** The port's place in DNS: passing (in), pending (never in yet) or failing (out since it left). */
  state(key: string): CheckState | undefined {
    const e = this.entries.get(key);
    return e && placeOf(e);
  }

  /** When a verdict that DNS does not show yet may be applied; undefined when none waits. */
  heldUntil(key: string): number | undefined {
    return this.entries.get(key)?.heldUntil;
  }

  /** Counts by state, for the metrics gauge. */
  counts(): Record<CheckState, number> {
    const out: Record<CheckState, number> = { pending: 0, passing: 0, failing: 0 };
    for (const e of this.entries.values()) out[placeOf(e)]++;
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
   * milliseconds apart), marked as running. Each slot goes to the container with the fewest probes running
   * (then to the one whose probe waited longest), and within a container to its earliest due probe: a
   * container holds more than its share of the slots only while no other container has a probe due.
   */
  takeDue(limit: number, slackMs = 0): CheckTarget[] {
    if (limit <= 0) return [];
    const now = this.now();
    const running = new Map<string, number>();
    const waiting = new Map<string, Entry[]>();
    for (const e of this.entries.values()) {
      const group = e.target.group;
      if (e.startedAt !== undefined) running.set(group, (running.get(group) ?? 0) + 1);
      else if (e.nextDue <= now + slackMs) {
        const queue = waiting.get(group);
        if (queue) queue.push(e);
        else waiting.set(group, [e]);
      }
    }
    for (const queue of waiting.values()) queue.sort((a, b) => a.nextDue - b.nextDue);
    const taken: CheckTarget[] = [];
    while (taken.length < limit && waiting.size > 0) {
      let best: { group: string; queue: Entry[]; load: number } | undefined;
      for (const [group, queue] of waiting) {
        const load = running.get(group) ?? 0;
        const head = queue[0] as Entry;
        if (
          !best ||
          load < best.load ||
          (load === best.load && head.nextDue < (best.queue[0] as Entry).nextDue)
        )
          best = { group, queue, load };
      }
      const { group, queue, load } = best as { group: string; queue: Entry[]; load: number };
      const e = queue.shift() as Entry;
      if (queue.length === 0) waiting.delete(group);
      running.set(group, load + 1);
      e.startedAt = now;
      taken.push(e.target);
    }
    return taken;
  }

  /**
   * Applies the verdicts whose hold-down has ended (those still different from what DNS shows) and returns
   * the transitions; call it when {@link nextRelease} comes.
   */
  takeReleased(): Transition[] {
    const now = this.now();
    const out: Transition[] = [];
    for (const e of this.entries.values()) {
      if (e.heldUntil === undefined || e.heldUntil > now) continue;
      const t = this.settle(e, e.heldDetail);
      if (t) out.push(t);
    }
    return out;
  }

  /** When the earliest held verdict may be applied (the schedule's clock), or undefined when none waits. */
  nextRelease(): number | undefined {
    let next: number | undefined;
    for (const e of this.entries.values()) {
      if (e.heldUntil !== undefined && (next === undefined || e.heldUntil < next)) next = e.heldUntil;
    }
    return next;
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
   * one started (at once if it took longer). Returns the transition of the port's place in DNS, if any (a
   * verdict within the hold-down waits: see {@link heldUntil}); a result for a target removed or changed
   * meanwhile is dropped.
   */
  record(target: CheckTarget, passed: boolean, detail: string): Transition | undefined {
    const e = this.entries.get(target.key);
    if (!e || e.target !== target || e.startedAt === undefined) return undefined;
    e.nextDue = Math.max(this.now(), e.startedAt + e.target.check.intervalMs);
    e.startedAt = undefined;
    e.probed = true;
    const from = e.verdict;
    if (passed) {
      e.failures = 0;
      e.passes++;
      if (from === "pending" || (from === "failing" && e.passes >= e.target.check.healthyThreshold)) {
        e.verdict = "passing";
      }
    } else {
      e.passes = 0;
      e.failures++;
      if (from === "passing" && e.failures >= e.target.check.unhealthyThreshold) e.verdict = "failing";
    }
    if (e.verdict !== from) {
      e.passes = 0;
      e.failures = 0;
    }
    return this.settle(e, detail);
  }

  /** Brings DNS in line with the verdict, unless the hold-down since the last change has not ended. */
  private settle(e: Entry, detail: string): Transition | undefined {
    const want = e.verdict === "passing";
    if (want === e.published) {
      e.heldUntil = undefined;
      return undefined;
    }
    const now = this.now();
    // The first entry is never held: it follows a start, not a flap.
    if (e.changedAt !== undefined && now < e.changedAt + this.holdDownMs) {
      e.heldUntil = e.changedAt + this.holdDownMs;
      e.heldDetail = detail;
      return undefined;
    }
    const from = placeOf(e);
    e.published = want;
    e.changedAt = now;
    e.heldUntil = undefined;
    return { target: e.target, from, to: placeOf(e), detail };
  }
}

/** A port's place in DNS as the logs and metrics name it. */
function placeOf(e: Entry): CheckState {
  if (e.published) return "passing";
  return e.changedAt === undefined ? "pending" : "failing";
}

function sameTarget(a: CheckTarget, b: CheckTarget): boolean {
  return (
    a.address === b.address &&
    a.port === b.port &&
    a.group === b.group &&
    JSON.stringify(a.check) === JSON.stringify(b.check)
  );
}
