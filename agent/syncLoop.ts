// Syncs the zone to the desired record sets of this host: desired vs applied state, flushed in batches
// after a short window, one request in flight, back-off with full jitter when the zone is busy. (Not the
// reconciler: that is the Lambda in reconciler/, which removes what no host owns any more.)
// Knows nothing of Docker or AWS: it talks to a ZoneWriter. What the reconciler's verdicts hold out is kept
// in heldVerdicts.ts, the changes the zone refuses on their own in rejectedChanges.ts. A full zone (its
// record-set quota) refuses only batches that add sets: deletes and updates go on, and what adds a set waits
// for the back-off and is tried again, pending, until the quota is raised or room is made.
import { canonicalName, ownedByHost, parseSetIdentifier, type RecordSet, recordSetKey } from "../records";
import { CHANGE_BATCH_LIMITS, firstBatch } from "../route53/changeBatches";
import {
  isRecordSetQuotaError,
  type QuotaWarning,
  type QuotaZone,
  type RecordSetUsage,
} from "../route53/recordSetQuota";
import { withRetries } from "../route53/retry";
import { Backoff, sleep } from "./backoff";
import { HeldVerdicts } from "./heldVerdicts";
import { changeFingerprint, diffRecordSets } from "./recordSetDiff";
import { RejectedChanges } from "./rejectedChanges";
import { WarningLimiter } from "./warningLimiter";
import { InvalidChangeBatchError, type RecordChange, ZoneBusyError, type ZoneWriter } from "./zoneWriter";

/**
 * Retry back-off of zone requests: full jitter up to 30 s. Tens of seconds keep a fleet of agents from
 * hammering Route53 (and each other, on recovery) during an outage; the first retries stay quick.
 */
export const ZONE_BACKOFF = { baseMs: 100, capMs: 30_000 } as const;
/** At most one "zone write failed" line per this interval while failures repeat. */
export const RETRY_WARNING_INTERVAL_MS = 60_000;

/** Minimal structured logger (pino's shape). */
export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What the loop reports, for metrics. */
export interface LoopObserver {
  /** One ChangeResourceRecordSets the zone accepted, with its size. */
  batchApplied(changes: number): void;
  changesApplied(action: string, count: number): void;
  throttled(): void;
  failed(kind: string): void;
  recordCounts(desired: number, applied: number): void;
  /**
   * An instance's SRV set reached the zone this many seconds after the agent first wanted it there (a container's
   * start, or its first passing check): the start → in-zone latency.
   */
  reachedZone?(seconds: number): void;
}

export interface SyncLoopOptions {
  zone: ZoneWriter;
  hostId: string;
  /** Its deployment's mark (ECSSD_DEPLOYMENT): only its host's sets with that mark, or none, are its own. */
  deployment?: string;
  /** How long to gather changes before the first request of a burst (ms). */
  flushMs: number;
  backoff?: { baseMs: number; capMs: number };
  random?: () => number;
  log: Log;
  observer?: LoopObserver;
  /** Most rejected changes remembered at once (default 1,000); tests lower it. */
  maxRejected?: number;
  /**
   * A monotonic clock in ms (default performance.now): the flush window is measured with it, so a wall clock
   * stepped back (NTP, a VM resumed) cannot hold a change back.
   */
  now?: () => number;
  /**
   * The zone's record-set quota: who says the zone is full (at most once a minute), which zone it is, and
   * how full (GetHostedZoneLimit; absent where it cannot be asked). Without it a refusal is still held back
   * and retried, only unannounced.
   */
  quota?: {
    warning: QuotaWarning;
    zone: QuotaZone;
    usage?: () => Promise<RecordSetUsage | undefined>;
  };
}

/** A change that adds a set to the zone: what a full zone refuses (an UPSERT replaces one of this host's). */
function addsSet(change: RecordChange): boolean {
  return change.action === "CREATE";
}

export class SyncLoop {
  private readonly groups = new Map<string, RecordSet[]>();
  private desired = new Map<string, RecordSet>();
  private readonly applied = new Map<string, RecordSet>();
  /** Instances wanted in the zone and not there yet, with when they were first wanted (monotonic ms). */
  private readonly wantedSince = new Map<string, number>();
  /** An instance held by a verdict is left out of the desired state until the reconciler lifts it. */
  private readonly held: HeldVerdicts;
  private refreshHeldRequested = false;
  private readonly rejected: RejectedChanges;
  private readonly backoff: Backoff;
  private readonly stopping = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private waiters: (() => void)[] = [];
  private batchLimit: number = CHANGE_BATCH_LIMITS.changes;
  private refreshRequested = false;
  /** When the oldest change not yet sent came in. */
  private pendingSince: number | undefined;
  /** Set by `flush`: no more gathering, send now. */
  private hurry = false;
  private started = false;
  private readonly now: () => number;
  private readonly retryWarnings: WarningLimiter;
  /**
   * Set by a quota refusal: the changes that add sets wait for the next back-off pause, and the rest
   * (deletes, updates) go first, at once: leaving DNS never waits for room in the zone.
   */
  private addsHeld = false;

  constructor(private readonly opts: SyncLoopOptions) {
    this.now = opts.now ?? (() => performance.now());
    this.held = new HeldVerdicts(opts.log, opts.deployment);
    this.rejected = new RejectedChanges(opts.maxRejected);
    this.retryWarnings = new WarningLimiter(RETRY_WARNING_INTERVAL_MS, this.now);
    this.backoff = new Backoff({
      ...(opts.backoff ?? ZONE_BACKOFF),
      ...(opts.random ? { random: opts.random } : {}),
    });
  }

  /** Replaces the record sets of one group (a container, or the host itself). */
  setGroup(group: string, sets: RecordSet[]): void {
    if (sets.length === 0) this.groups.delete(group);
    else this.groups.set(group, sets);
    this.desiredChanged();
  }

  removeGroup(group: string): void {
    if (this.groups.delete(group)) this.desiredChanged();
  }

  /** Replaces every group at once (a full resync). */
  replaceAll(groups: ReadonlyMap<string, RecordSet[]>): void {
    this.groups.clear();
    for (const [g, sets] of groups) if (sets.length > 0) this.groups.set(g, sets);
    this.desiredChanged();
  }

  hasGroup(group: string): boolean {
    return this.groups.has(group);
  }

  /** The set the zone holds (as the loop last knew it) under this key (recordSetKey), if any. */
  appliedSet(key: string): RecordSet | undefined {
    return this.applied.get(key);
  }

  /** Applied state from the zone: every record set of this host. Call before `start`. */
  async loadApplied(): Promise<void> {
    const sets = await this.retrying("list", () =>
      this.opts.zone.listHostRecordSets(this.opts.hostId, this.opts.deployment),
    );
    this.applied.clear();
    for (const rs of this.held.takeRead(sets)) this.applied.set(recordSetKey(rs), rs);
    this.desiredChanged();
  }

  /** Begins flushing; changes made before are flushed right away. */
  start(): void {
    this.started = true;
    this.schedule(0);
  }

  /** Resolves when the zone equals the desired state and nothing is in flight. */
  whenConverged(): Promise<void> {
    if (!this.running && !this.timer && this.pendingChanges().length === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Flushes now (skipping the window) and waits for convergence, at most `timeoutMs`. */
  async flush(timeoutMs: number): Promise<boolean> {
    if (this.stopping.signal.aborted) return this.pendingChanges().length === 0;
    if (!this.started) this.started = true;
    this.hurry = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.running) this.run();
    let timedOut = false;
    let t: NodeJS.Timeout | undefined;
    await Promise.race([
      this.whenConverged(),
      new Promise<void>((r) => {
        t = setTimeout(() => {
          timedOut = true;
          r();
        }, timeoutMs);
      }),
    ]);
    clearTimeout(t);
    return !timedOut;
  }

  /** Stops flushing and any back-off sleep; pending changes stay pending. */
  async stop(): Promise<void> {
    this.started = false;
    this.stopping.abort();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    for (const w of this.waiters.splice(0)) w();
  }

  get desiredCount(): number {
    return this.desired.size;
  }

  get appliedCount(): number {
    return this.applied.size;
  }

  /** How many rejected changes are remembered (for tests and status). */
  get rejectedCount(): number {
    return this.rejected.size;
  }

  /** The changes still to make (for tests and status). */
  pendingChanges(): RecordChange[] {
    return diffRecordSets(this.desired, this.applied).filter((c) => !this.rejected.has(c));
  }

  private desiredChanged(): void {
    const desired = new Map<string, RecordSet>();
    for (const sets of this.groups.values()) {
      for (const rs of sets) if (!this.held.holds(rs)) desired.set(recordSetKey(rs), rs);
    }
    this.desired = desired;
    // When each instance the zone does not have yet was first wanted there; forgotten when no longer wanted.
    const now = this.now();
    for (const key of this.wantedSince.keys()) if (!desired.has(key)) this.wantedSince.delete(key);
    for (const [key, rs] of desired) {
      if (rs.Type === "SRV" && !this.applied.has(key) && !this.wantedSince.has(key))
        this.wantedSince.set(key, now);
    }
    this.rejected.keepPending(() => diffRecordSets(this.desired, this.applied));
    this.pendingSince ??= this.now();
    this.report();
    this.schedule(this.opts.flushMs);
  }

  private schedule(delayMs: number): void {
    if (!this.started || this.timer || this.running || this.stopping.signal.aborted) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.run();
    }, delayMs);
  }

  private run(): void {
    let failed = false;
    this.running = this.drain()
      .catch((err) => {
        failed = true;
        this.opts.log.error({ action: "flush", err: errorText(err) }, "reconcile loop failed; retrying");
      })
      .finally(() => {
        this.running = undefined;
        const more = this.refreshRequested || this.refreshHeldRequested || this.pendingChanges().length > 0;
        if (more && this.started) this.schedule(failed ? 1000 : 0);
        else for (const w of this.waiters.splice(0)) w();
      });
  }

  /**
   * Re-reads from the zone the names this host writes (anti-entropy for the zone side): a record set of
   * ours that someone else deleted or changed is written again. Runs in the flush sequence, so it never
   * overlaps a write.
   */
  requestZoneRefresh(): void {
    this.refreshRequested = true;
    this.schedule(0);
  }

  /**
   * Re-reads only the names of instances held out by a verdict (cheap: nothing when there are none), so an
   * instance comes back within one resync period of the reconciler lifting its verdict.
   */
  requestHeldRefresh(): void {
    if (this.held.size === 0) return;
    this.refreshHeldRequested = true;
    this.schedule(0);
  }

  /** Sends batches until nothing is pending; one request at a time. */
  private async drain(): Promise<void> {
    if (this.refreshRequested || this.refreshHeldRequested) {
      const all = this.refreshRequested;
      this.refreshRequested = false;
      this.refreshHeldRequested = false;
      const names = all
        ? [...this.desired.values(), ...this.applied.values(), ...this.held.markers()].map((rs) => rs.Name)
        : this.held.markers().map((rs) => rs.Name);
      try {
        await this.reread(names);
      } catch (err) {
        this.opts.log.warn({ action: "refresh", err: errorText(err) }, "zone refresh failed; next time then");
      }
    }
    while (!this.stopping.signal.aborted) {
      // Changes that came in while a request was in flight get the same window as any other burst.
      // Never longer than the window itself, whatever the clock did.
      const wait = Math.min(this.opts.flushMs, (this.pendingSince ?? 0) + this.opts.flushMs - this.now());
      if (wait > 0 && !this.hurry) await sleep(wait, this.stopping.signal);
      const pending = this.pendingChanges();
      const batch = firstBatch(this.addsHeld ? pending.filter((c) => !addsSet(c)) : pending, this.batchLimit);
      if (batch.length === 0) {
        if (this.addsHeld && pending.length > 0) {
          // Only changes that add sets are left, and the zone was full: try them again after the back-off.
          this.addsHeld = false;
          await sleep(this.backoff.next(), this.stopping.signal);
          continue;
        }
        this.pendingSince = undefined;
        return;
      }
      this.pendingSince = undefined;
      try {
        await this.opts.zone.change(batch);
      } catch (err) {
        await this.handleFailure(err, batch);
        continue;
      }
      this.backoff.reset();
      const unlogged = this.retryWarnings.reset();
      if (unlogged > 0) {
        this.opts.log.info(
          { action: "recovered", unlogged },
          `zone write recovered (${unlogged} failures not logged one by one)`,
        );
      }
      this.batchLimit = CHANGE_BATCH_LIMITS.changes;
      const counts = new Map<string, number>();
      const landed = this.now();
      for (const c of batch) {
        const key = recordSetKey(c.recordSet);
        if (c.action === "DELETE") this.applied.delete(key);
        else this.applied.set(key, c.recordSet);
        counts.set(c.action, (counts.get(c.action) ?? 0) + 1);
        const since = c.action === "DELETE" ? undefined : this.wantedSince.get(key);
        if (since !== undefined) {
          this.wantedSince.delete(key);
          this.opts.observer?.reachedZone?.((landed - since) / 1000);
        }
      }
      this.opts.observer?.batchApplied(batch.length);
      for (const [action, n] of counts) this.opts.observer?.changesApplied(action, n);
      this.opts.log.debug(
        { action: "flush", changes: batch.length, pending: this.pendingChanges().length },
        "zone updated",
      );
      this.report();
    }
  }

  private async handleFailure(err: unknown, batch: RecordChange[]): Promise<void> {
    if (isRecordSetQuotaError(err)) {
      await this.quotaRefused(batch);
      return;
    }
    if (err instanceof InvalidChangeBatchError) {
      this.opts.observer?.failed("invalid-change-batch");
      this.opts.log.warn(
        { action: "rebuild", changes: batch.length, err: err.message },
        "zone rejected the batch; re-reading its names",
      );
      // The re-read explained nothing when the same changes come back: narrow down to the culprit.
      if ((await this.rereadAfterRefusal(batch)) === "unexplained") {
        if (batch.length === 1) {
          const only = batch[0] as RecordChange;
          // Route53's words for the quota are not published: a lone new set refused while the zone is
          // at its limit is the quota, whatever the words (one GetHostedZoneLimit, only here).
          if (addsSet(only) && (await this.zoneAtLimit())) {
            await this.quotaRefused(batch);
            return;
          }
          this.opts.log.error(
            { action: only.action, record: recordSetKey(only.recordSet), err: err.message },
            "zone rejects this change; skipping it until the container changes",
          );
          if (this.rejected.remember(only)) await this.pause(err, batch);
        } else {
          this.batchLimit = Math.max(1, Math.floor(batch.length / 2));
        }
      }
      return;
    }
    if (err instanceof ZoneBusyError) {
      if (err.throttled) this.opts.observer?.throttled();
      else this.opts.observer?.failed("transient");
    } else {
      this.opts.observer?.failed("other");
    }
    await this.pause(err, batch);
  }

  /**
   * The zone is full. Not a change refused on its own: nothing is isolated or skipped. The warning says so
   * (once a minute per zone); the batch's deletes and updates are sent again at once without what adds a
   * set, which is tried again after the back-off, until the quota is raised or room is made.
   */
  private async quotaRefused(batch: RecordChange[]): Promise<void> {
    this.opts.observer?.failed("record-set-quota");
    const quota = this.opts.quota;
    if (quota) await quota.warning.report(quota.zone, quota.usage);
    if (batch.some(addsSet)) {
      this.addsHeld = true;
      return;
    }
    // No CREATE, yet the zone counted something as added: an UPSERT of a set that vanished behind our back (the
    // reconciler, a person). Read the names again: it becomes a CREATE, held back as the others are, and the
    // batch's deletes go on instead of waiting behind it. When the read explains nothing, the same batch would be
    // refused again at once: wait for the back-off first.
    if ((await this.rereadAfterRefusal(batch)) === "unexplained")
      await this.pause(new Error("the zone is full"), batch);
  }

  /**
   * After the zone refused `batch`: reads its names again and says whether that explained the refusal. The same
   * changes coming back first are "unexplained"; a failed read pauses the loop on its error ("paused").
   */
  private async rereadAfterRefusal(batch: RecordChange[]): Promise<"explained" | "unexplained" | "paused"> {
    const before = new Set(batch.map(changeFingerprint));
    try {
      await this.reread(batch.map((c) => c.recordSet.Name));
    } catch (readErr) {
      await this.pause(readErr, batch);
      return "paused";
    }
    const again = firstBatch(this.pendingChanges(), this.batchLimit);
    return again.length > 0 && again.every((c) => before.has(changeFingerprint(c)))
      ? "unexplained"
      : "explained";
  }

  private async zoneAtLimit(): Promise<boolean> {
    const usage = await this.opts.quota?.usage?.().catch(() => undefined);
    return usage !== undefined && usage.used >= usage.limit;
  }

  /** Backs off before the next attempt; anything unexpected is retried too, only slower and logged. */
  private async pause(err: unknown, batch: RecordChange[]): Promise<void> {
    const delay = this.backoff.next();
    const line = this.retryWarnings.take();
    if (line.log) {
      this.opts.log.warn(
        {
          action: "retry",
          changes: batch.length,
          delayMs: delay,
          err: errorText(err),
          suppressed: line.suppressed,
        },
        line.suppressed > 0
          ? `zone write failed; retrying (${line.suppressed} more failures since the last line)`
          : "zone write failed; retrying",
      );
    }
    await sleep(delay, this.stopping.signal);
  }

  /** Re-reads these names and takes what is there (of this host) as their applied state. */
  private async reread(recordNames: string[]): Promise<void> {
    const names = [...new Set(recordNames.map(canonicalName))];
    const found = await this.retrying("reread", () => this.opts.zone.readNames(names));
    const nameSet = new Set(names);
    for (const [key, rs] of this.applied) if (nameSet.has(canonicalName(rs.Name))) this.applied.delete(key);
    const ours = found.filter(
      (rs) =>
        ownedByHost(parseSetIdentifier(rs.SetIdentifier), this.opts) && nameSet.has(canonicalName(rs.Name)),
    );
    for (const rs of this.held.takeRead(ours, nameSet)) this.applied.set(recordSetKey(rs), rs);
    // The held set decides what is desired.
    this.desiredChanged();
  }

  /** Runs a read with the edge's back-off, without a bound on attempts, until it succeeds or the loop stops. */
  private retrying<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const backoff = this.opts.backoff ?? ZONE_BACKOFF;
    const counted = async (): Promise<T> => {
      try {
        return await fn();
      } catch (err) {
        if (err instanceof ZoneBusyError && err.throttled) this.opts.observer?.throttled();
        else this.opts.observer?.failed(err instanceof ZoneBusyError ? "transient" : "other");
        throw err;
      }
    };
    return withRetries(
      counted,
      { maxAttempts: Number.POSITIVE_INFINITY, baseDelayMs: backoff.baseMs, maxDelayMs: backoff.capMs },
      {
        sleep: (ms) => sleep(ms, this.stopping.signal),
        ...(this.opts.random && { random: this.opts.random }),
        onRetry: (err, delayMs) => {
          // Only a busy zone is worth waiting for; a missing zone or a refused permission is reported. (The
          // port's own rule: the edge also retries raw network errors, which a ZoneWriter never lets out.)
          if (this.stopping.signal.aborted || !(err instanceof ZoneBusyError)) throw err;
          // A read retried without bound (a long outage, a refused coalescer token) warns once a minute, with the
          // writes' limiter; every attempt is still a debug line.
          const fields = { action: what, delayMs, err: errorText(err) };
          const line = this.retryWarnings.take();
          if (line.log)
            this.opts.log.warn({ ...fields, suppressed: line.suppressed }, "zone read failed; retrying");
          else this.opts.log.debug(fields, "zone read failed; retrying");
        },
      },
    );
  }

  private report(): void {
    this.opts.observer?.recordCounts(this.desired.size, this.applied.size);
  }
}

export function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/** The agent's sync loop under its first name; kept for code that imports it so. */
export { SyncLoop as ReconcileLoop };
export type ReconcileLoopOptions = SyncLoopOptions;
