// The agent's core: container events and lists in, desired record sets out to the sync loop.
// Subscribes before listing, resyncs after every reconnect and on a ticker; one bad container is logged
// and skipped. Knows Docker and Route53 only through ContainerSource and the loop's ZoneWriter.

import { azIdOf, recordSetKey } from "../records";
import { Backoff, sleep } from "./backoff";
import type { Prober } from "./checkProber";
import { CheckSchedule, monotonicNow } from "./checkSchedule";
import { classifyEvent } from "./containerEvents";
import {
  type ContainerDescription,
  type ContainerEvent,
  type ContainerSource,
  type EventSubscription,
  shortId,
} from "./containerSource";
import {
  checkedRecordSets,
  checkTargets,
  containerRecordSets,
  type HostContext,
  hostRecordSets,
  servingVerdict,
} from "./desiredState";
import { type CheckObserver, HealthMonitor } from "./healthMonitor";
import { errorText, type Log, type SyncLoop } from "./syncLoop";

export interface AgentOptions {
  source: ContainerSource;
  loop: SyncLoop;
  host: HostContext;
  log: Log;
  /** Anti-entropy: a full list of the containers this often (ms). */
  resyncMs: number;
  /** Re-read this host's names from the zone every this many resyncs (default 10). */
  zoneRefreshEvery?: number;
  /** Parallel inspects during a full list. */
  inspectConcurrency?: number;
  reconnectBackoff?: { baseMs: number; capMs: number };
  /** Told of the declarations skipped (once per container and change), by problem code and count: for metrics. */
  onSkip?: (problem: string, count: number) => void;
  /** Runs the declared health checks (checkProber.ts over the network). */
  prober: Prober;
  checkObserver?: CheckObserver;
  /** Health checks in flight at most (default 64), shared fairly between containers. */
  checkConcurrency?: number;
  /** A checked port's place in DNS changes at most once this often (ms); its first entry and stops excepted. */
  dnsHoldDownMs?: number;
  /**
   * The host's AZ ID when it is learnt after start (asked of the metadata endpoints in the background);
   * undefined when none could be. Until it is learnt, an AZ set this host has in the zone is kept as it is: a
   * restart does not delete it only to write it back a moment later, and a lookup that fails (a metadata
   * endpoint briefly down) does not delete it at all, since a host never changes AZ.
   */
  availabilityZone?: Promise<string | undefined>;
}

interface ContainerEntry {
  /** Bumped by every event; a read started under an older generation is stale and dropped. */
  gen: number;
  /** Set by a stop signal; only a `start` clears it. */
  stopping: boolean;
  /** What was last logged for this container, so a resync does not repeat it. */
  logged?: string;
  registered: boolean;
  /** Services last registered, for the deregister log line. */
  services?: string;
  /** The last description applied: a health transition rewrites the records from it. */
  desc?: ContainerDescription;
}

const HOST_GROUP = "host";

export class Agent {
  private readonly entries = new Map<string, ContainerEntry>();
  private readonly stopped = new AbortController();
  private subscription: EventSubscription | undefined;
  private watching: Promise<void> | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private resyncing: Promise<void> | undefined;
  private firstSync: { promise: Promise<void>; resolve: () => void };
  private readonly inflight = new Set<Promise<void>>();
  private readonly schedule: CheckSchedule;
  private readonly health: HealthMonitor;
  private readonly stoppedPromise = new Promise<undefined>((r) =>
    this.stopped.signal.addEventListener("abort", () => r(undefined), { once: true }),
  );

  constructor(private readonly opts: AgentOptions) {
    let resolve = () => {};
    const promise = new Promise<void>((r) => {
      resolve = r;
    });
    this.firstSync = { promise, resolve };
    this.schedule = new CheckSchedule(monotonicNow, opts.dnsHoldDownMs ?? 0);
    this.health = new HealthMonitor({
      schedule: this.schedule,
      prober: opts.prober,
      log: opts.log,
      ...(opts.checkObserver ? { observer: opts.checkObserver } : {}),
      ...(opts.checkConcurrency ? { concurrency: opts.checkConcurrency } : {}),
      onTransition: (group) => this.onHealthChange(group),
    });
  }

  /**
   * Starts watching Docker. Resolves after the first full list has been turned into desired state; the
   * loop flushes from then on. The loop's applied state must already be loaded.
   */
  async start(): Promise<void> {
    this.setHostGroup(this.opts.availabilityZone !== undefined);
    void this.opts.availabilityZone?.then(
      (azId) => {
        // None learnt: the host group stays as set above, with the AZ set the zone holds, if any.
        if (this.stopped.signal.aborted || azId === undefined) return;
        this.opts.host.azId = azId;
        this.setHostGroup(false);
      },
      // Discovery reports failures as a result and never rejects; should it, the held set stays too.
      () => {},
    );
    this.watching = this.watch();
    await Promise.race([this.firstSync.promise, this.watching]);
    this.opts.loop.start();
    let ticks = 0;
    this.resyncTimer = setInterval(() => {
      if (this.subscription) void this.resync().catch((err) => this.logResyncFailure(err));
      this.opts.loop.requestHeldRefresh();
      // The zone side is read far less often: Route53 allows 5 requests a second per account, all hosts together.
      if (++ticks % (this.opts.zoneRefreshEvery ?? 10) === 0) this.opts.loop.requestZoneRefresh();
    }, this.opts.resyncMs);
    this.resyncTimer.unref();
  }

  /**
   * The host's own group: its A set, and its AZ set when the AZ is known. `azPending`: the AZ is still being
   * asked for (or could not be learnt), so the AZ set the zone holds for this host (if any) stays.
   */
  private setHostGroup(azPending: boolean): void {
    const sets = hostRecordSets(this.opts.host);
    const [address] = sets;
    if (azPending && sets.length === 1 && address !== undefined) {
      const held = this.opts.loop.appliedSet(recordSetKey({ ...address, Type: "TXT" }));
      if (held !== undefined && azIdOf(held) !== undefined) sets.push(held);
    }
    this.opts.loop.setGroup(HOST_GROUP, sets);
  }

  /** Stops watching; the loop is left to the caller (flush or not). */
  async stop(): Promise<void> {
    this.stopped.abort();
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.subscription?.close();
    await this.watching;
    await Promise.allSettled([...this.inflight]);
    await this.health.stop();
  }

  /** Resolves once every declared check has had its first result, or after `timeoutMs` (converge once). */
  async checksProbed(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.schedule.unprobed() > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Ids of the containers registered now (tests, status). */
  registeredContainers(): string[] {
    return [...this.entries].filter(([, e]) => e.registered).map(([id]) => id);
  }

  /** Runs one full list now (normally the ticker does). */
  resync(): Promise<void> {
    this.resyncing ??= this.fullList().finally(() => {
      this.resyncing = undefined;
    });
    return this.resyncing;
  }

  private async watch(): Promise<void> {
    const backoff = new Backoff(this.opts.reconnectBackoff ?? { baseMs: 250, capMs: 5000 });
    while (!this.stopped.signal.aborted) {
      let onEnd: (err?: Error) => void = () => {};
      const ended = new Promise<Error | undefined>((r) => {
        onEnd = r;
      });
      try {
        this.subscription = await this.opts.source.subscribe(
          (e) => this.onEvent(e),
          (err) => onEnd(err),
        );
        await this.resync();
        this.firstSync.resolve();
        backoff.reset();
        this.opts.log.info({ action: "watch", containers: this.entries.size }, "watching container events");
        const err = await Promise.race([ended, this.stoppedPromise]);
        if (this.stopped.signal.aborted) break;
        this.opts.log.warn(
          { action: "reconnect", err: err ? errorText(err) : "stream ended" },
          "container event stream ended",
        );
      } catch (err) {
        if (this.stopped.signal.aborted) break;
        this.opts.log.warn({ action: "reconnect", err: errorText(err) }, "cannot reach the container engine");
      }
      this.subscription?.close();
      this.subscription = undefined;
      await sleep(backoff.next(), this.stopped.signal);
    }
    this.subscription?.close();
    this.subscription = undefined;
  }

  private onEvent(event: ContainerEvent): void {
    if (this.stopped.signal.aborted) return;
    const effect = classifyEvent(event);
    if (effect === "ignore") return;
    const entry = this.entry(event.id);
    entry.gen++;
    switch (effect) {
      case "stopping":
        entry.stopping = true;
        this.withdraw(event.id, entry, event.action);
        return;
      case "forget":
        this.withdraw(event.id, entry, event.action);
        this.entries.delete(event.id);
        return;
      case "withdraw":
        this.withdraw(event.id, entry, event.action);
        this.track(this.refresh(event.id, entry.gen));
        return;
      case "refresh":
        if (event.action === "start") entry.stopping = false;
        this.track(this.refresh(event.id, entry.gen));
        return;
    }
  }

  private entry(id: string): ContainerEntry {
    let e = this.entries.get(id);
    if (!e) {
      e = { gen: 0, stopping: false, registered: false };
      this.entries.set(id, e);
    }
    return e;
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private async refresh(id: string, gen: number): Promise<void> {
    let desc: ContainerDescription | undefined;
    try {
      desc = await this.opts.source.inspect(id);
    } catch (err) {
      // The next event or resync reads it again; one failed read is not a reason to change DNS.
      this.opts.log.warn(
        { container: shortId(id), action: "inspect", err: errorText(err) },
        "inspect failed",
      );
      return;
    }
    const entry = this.entries.get(id);
    if (!entry || entry.gen !== gen) return;
    this.apply(id, entry, desc);
  }

  private async fullList(): Promise<void> {
    const gens = new Map([...this.entries].map(([id, e]) => [id, e.gen]));
    const unchanged = (id: string) => {
      const e = this.entries.get(id);
      return e === undefined ? !gens.has(id) : gens.get(id) === e.gen;
    };
    const ids = await this.opts.source.listRunning();
    const unreadable = Symbol("unreadable");
    const descs = await mapLimit(ids, this.opts.inspectConcurrency ?? 16, (id) =>
      this.opts.source.inspect(id).catch((err) => {
        // Left as it is until the next event or resync: one failed read is no reason to change DNS.
        this.opts.log.warn(
          { container: shortId(id), action: "inspect", err: errorText(err) },
          "inspect failed",
        );
        return unreadable;
      }),
    );
    ids.forEach((id, i) => {
      const desc = descs[i];
      if (typeof desc === "symbol" || !unchanged(id)) return;
      this.apply(id, this.entry(id), desc);
    });
    const running = new Set(ids);
    for (const [id, e] of [...this.entries]) {
      if (running.has(id) || gens.get(id) !== e.gen) continue;
      this.withdraw(id, e, "gone");
      this.entries.delete(id);
    }
  }

  private apply(id: string, entry: ContainerEntry, desc: ContainerDescription | undefined): void {
    if (!desc) {
      // Removed before we could look at it: nothing to register, nothing to report.
      this.withdraw(id, entry, "gone");
      this.entries.delete(id);
      return;
    }
    const verdict = servingVerdict(desc);
    if (!verdict.serving || entry.stopping) {
      this.withdraw(id, entry, verdict.serving ? "stopping" : verdict.reason);
      if (!desc.State?.Running) this.entries.delete(id);
      return;
    }
    entry.desc = desc;
    const records = containerRecordSets(desc, this.opts.host);
    // Targets first, so that a port whose check changed starts pending before anything is published for it.
    this.health.setGroup(id, checkTargets(records, id, this.opts.host));
    const checked = checkedRecordSets(records, (key) => this.health.passing(key));
    // Health transitions are logged by the monitor; this line is about what the container declares.
    const summary = JSON.stringify([records.services, records.problems.map((p) => p.message)]);
    const base = { container: shortId(id), containerName: desc.Name?.replace(/^\//, "") };
    if (summary !== entry.logged) {
      if (records.awsvpcTask) {
        this.opts.log.info({ ...base, action: "skip" }, "awsvpc task container: the registrar registers it");
      }
      for (const p of records.problems) {
        // A check below the floor is kept, slower: nothing is skipped.
        const raised = p.code === "check-below-floor";
        this.opts.log.warn(
          { ...base, action: raised ? "raise" : "skip", key: p.subject, problem: p.code },
          p.message,
        );
        if (!raised) this.opts.onSkip?.(p.code, p.code === "too-many-ports" ? records.portsOverCap : 1);
      }
      const published = records.services.filter((s) => !checked.waiting.includes(s));
      if (published.length > 0) {
        this.opts.log.info(
          { ...base, action: "register", service: [...new Set(published)].join(",") },
          "register",
        );
      }
      if (checked.waiting.length > 0) {
        this.opts.log.info(
          { ...base, action: "wait", service: [...new Set(checked.waiting)].join(",") },
          "health check not passing; not in DNS",
        );
      }
      entry.logged = summary;
    }
    this.opts.loop.setGroup(id, checked.recordSets);
    entry.registered = checked.recordSets.some((rs) => rs.Type === "SRV");
    entry.services = records.services.join(",");
  }

  /** A port's check changed state: rewrite that container's records from what was last read. */
  private onHealthChange(id: string): void {
    const entry = this.entries.get(id);
    if (!entry?.desc || entry.stopping || this.stopped.signal.aborted) return;
    this.apply(id, entry, entry.desc);
  }

  private withdraw(id: string, entry: ContainerEntry, reason: string): void {
    if (entry.registered) {
      this.opts.log.info(
        { container: shortId(id), action: "deregister", service: entry.services, reason },
        "deregister",
      );
    }
    entry.registered = false;
    entry.logged = undefined;
    entry.desc = undefined;
    this.health.removeGroup(id);
    this.opts.loop.removeGroup(id);
  }

  private logResyncFailure(err: unknown): void {
    this.opts.log.warn({ action: "resync", err: errorText(err) }, "resync failed");
  }
}

/** Maps with at most `limit` calls in flight; a rejected call rejects the whole. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
