// Runs the check schedule (checkSchedule.ts) on real timers through a prober (checkProber.ts): at most
// `concurrency` probes in flight, shared fairly between containers by the schedule, one timer for the
// earliest due check or held verdict, every probe asynchronous, so checks never block the event loop or
// the zone writes. Reports transitions to the agent (which rewrites that
// container's records), to the log and to the metrics.

import type { Prober } from "./checkProber";
import {
  type CheckSchedule,
  type CheckState,
  type CheckTarget,
  monotonicNow,
  type Transition,
} from "./checkSchedule";
import { shortId } from "./containerSource";
import type { Log } from "./reconcileLoop";

/** What the monitor reports, for metrics. */
export interface CheckObserver {
  checkStates(counts: Record<CheckState, number>): void;
  checkTransition(to: CheckState): void;
  checkDone(kind: string, passed: boolean, seconds: number): void;
}

/** Checks due within this long of a timer run with it: a few ms early is harmless, a timer per check is not. */
const SLACK_MS = 25;

export interface HealthMonitorOptions {
  schedule: CheckSchedule;
  prober: Prober;
  log: Log;
  /** Called with the container whose port changed state. */
  onTransition: (group: string, transition: Transition) => void;
  observer?: CheckObserver;
  /** Probes in flight at most (default 64). */
  concurrency?: number;
  now?: () => number;
}

export class HealthMonitor {
  private timer: NodeJS.Timeout | undefined;
  private timerAt: number | undefined;
  private inFlight = 0;
  private stopped = false;
  private readonly running = new Set<Promise<void>>();
  private readonly now: () => number;
  private readonly concurrency: number;

  constructor(private readonly opts: HealthMonitorOptions) {
    // The schedule's clock, which must be the same one: due times are compared with it.
    this.now = opts.now ?? monotonicNow;
    this.concurrency = opts.concurrency ?? 64;
  }

  /** Sets the checked ports of one container (see CheckSchedule.setGroup). */
  setGroup(group: string, targets: readonly CheckTarget[]): void {
    if (this.stopped) return;
    this.opts.schedule.setGroup(group, targets);
    this.report();
    this.wake();
  }

  removeGroup(group: string): void {
    this.opts.schedule.removeGroup(group);
    this.report();
  }

  /** True when the port's check passes now (it may be in DNS). */
  passing(key: string): boolean {
    return this.opts.schedule.state(key) === "passing";
  }

  state(key: string): CheckState | undefined {
    return this.opts.schedule.state(key);
  }

  /** Stops scheduling; waits for the probes in flight (each bounded by its timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.running]);
  }

  /** Applies the held verdicts whose hold-down ended, starts what is due and sets one timer for the next. */
  private wake(): void {
    if (this.stopped) return;
    for (const t of this.opts.schedule.takeReleased()) this.transitioned(t);
    if (this.stopped) return;
    const limit = this.concurrency - this.inFlight;
    for (const target of this.opts.schedule.takeDue(limit, SLACK_MS)) this.run(target);
    if (this.inFlight < this.concurrency) this.arm(this.opts.schedule.nextDue());
    this.arm(this.opts.schedule.nextRelease());
  }

  /** Makes sure a timer fires by `at` (the schedule's clock); one timer serves every check. */
  private arm(at: number | undefined): void {
    if (at === undefined || this.stopped) return;
    if (this.timer && this.timerAt !== undefined && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = undefined;
        this.wake();
      },
      Math.max(0, at - this.now()),
    );
    this.timer.unref();
  }

  private run(target: CheckTarget): void {
    this.inFlight++;
    const started = performance.now();
    const p = this.opts
      .prober(target)
      .catch((err: unknown) => ({ passed: false, detail: (err as Error)?.message ?? String(err) }))
      .then((result) => {
        this.opts.observer?.checkDone(target.check.kind, result.passed, (performance.now() - started) / 1000);
        const wasHeld = this.opts.schedule.heldUntil(target.key) !== undefined;
        const transition = this.opts.schedule.record(target, result.passed, result.detail);
        if (transition) this.transitioned(transition);
        else if (!wasHeld) this.held(target);
      })
      .catch((err: unknown) => {
        // A failing callback must not stop the schedule: log it and go on.
        this.opts.log.error({ action: "check", err: String(err) }, "health check handling failed");
      })
      .finally(() => {
        const wasFull = this.inFlight >= this.concurrency;
        this.inFlight--;
        this.running.delete(p);
        // A freed slot may start waiting checks now; otherwise only this target's next check needs a timer.
        if (wasFull) this.wake();
        else {
          this.arm(this.opts.schedule.dueAt(target.key));
          this.arm(this.opts.schedule.heldUntil(target.key));
        }
      });
    this.running.add(p);
  }

  private transitioned(t: Transition): void {
    this.opts.observer?.checkTransition(t.to);
    this.report();
    const { target } = t;
    const fields = {
      container: shortId(target.group),
      action: "check",
      service: target.service,
      check: `${target.check.kind} ${target.address}:${target.port}${target.check.path ?? ""}`,
      from: t.from,
      to: t.to,
      detail: t.detail,
    };
    const message =
      t.to === "passing"
        ? t.from === "pending"
          ? "health check passed; entering DNS"
          : "health check passing again; back in DNS"
        : "health check failing; leaving DNS";
    if (t.to === "passing") this.opts.log.info(fields, message);
    else this.opts.log.warn(fields, message);
    if (!this.stopped) this.opts.onTransition(target.group, t);
  }

  /** A verdict that DNS will show only when the hold-down ends: said once per hold. */
  private held(target: CheckTarget): void {
    const until = this.opts.schedule.heldUntil(target.key);
    if (until === undefined) return;
    this.opts.log.info(
      {
        container: shortId(target.group),
        action: "hold",
        service: target.service,
        check: `${target.check.kind} ${target.address}:${target.port}${target.check.path ?? ""}`,
        state: this.opts.schedule.state(target.key),
        heldMs: Math.max(0, Math.round(until - this.now())),
      },
      "health check changed within the DNS hold-down; DNS keeps its state until it ends",
    );
  }

  private report(): void {
    this.opts.observer?.checkStates(this.opts.schedule.counts());
  }
}
