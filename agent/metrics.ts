// The metrics of one agent: Prometheus, on their own registry (several agents can share a process in tests), and
// the EMF lines for CloudWatch, both from the one table (metrics/definitions.ts).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Registry } from "prom-client";
import type { EmfWriter } from "../metrics/emf";
import { promCounter, promGauge, promHistogram } from "../metrics/prometheus";
import type { RecordSetUsage } from "../route53/recordSetQuota";
import type { CheckState } from "./checkSchedule";
import type { CheckObserver } from "./healthMonitor";
import type { LoopObserver } from "./reconcileLoop";

/** EMF takes at most 100 values of one metric in one line. */
const MAX_EMF_VALUES = 100;

/** Kinds of `failed` that are the zone refusing the change itself, not failing to answer. */
const REJECTED_KINDS = new Set(["invalid-change-batch", "record-set-quota"]);

/** Running totals behind the EMF lines: each line carries what they added since the one before. */
interface EmfTotals {
  written: number;
  deleted: number;
  batches: number;
  requests: number;
  throttled: number;
  rejected: number;
  failed: number;
}

const zeroTotals = (): EmfTotals => ({
  written: 0,
  deleted: 0,
  batches: 0,
  requests: 0,
  throttled: 0,
  rejected: 0,
  failed: 0,
});

export class AgentMetrics implements LoopObserver, CheckObserver {
  readonly registry = new Registry();
  private readonly changes = promCounter("agentChanges", this.registry);
  private readonly batches = promCounter("agentBatches", this.registry);
  private readonly apiCalls = promCounter("agentApiCalls", this.registry);
  private readonly throttles = promCounter("agentThrottles", this.registry);
  private readonly errors = promCounter("agentErrors", this.registry);
  private readonly desired = promGauge("agentDesired", this.registry);
  private readonly applied = promGauge("agentApplied", this.registry);
  private readonly checkStateGauge = promGauge("agentChecks", this.registry);
  private readonly checkTransitions = promCounter("agentCheckTransitions", this.registry);
  private readonly checkDuration = promHistogram("agentCheckDuration", this.registry);
  private readonly startToZone = promHistogram("agentStartToZone", this.registry);
  /** The start → in-zone latencies since the last EMF line (at most the last 100: EMF's values per metric). */
  private startToZoneSince: number[] = [];
  reachedZone = (seconds: number): void => {
    this.startToZone.observe(seconds);
    this.startToZoneSince.push(seconds);
    if (this.startToZoneSince.length > MAX_EMF_VALUES) this.startToZoneSince.shift();
  };
  private readonly skipped = promCounter("agentDeclarationsSkipped", this.registry);
  private readonly lastSyncGauge = promGauge("agentLastSync", this.registry);
  private readonly consecutiveFailuresGauge = promGauge("agentConsecutiveFailures", this.registry);
  declarationSkipped = (problem: string, count = 1): void => {
    this.skipped.inc({ problem }, count);
  };
  private readonly introspection = promCounter("agentIntrospection", this.registry);
  introspectionRequest = (ok: boolean): void => {
    this.introspection.inc({ result: ok ? "ok" : "error" });
  };
  private readonly zoneRecordSets = promGauge("agentZoneRecordSets", this.registry);
  private readonly zoneRecordSetsLimit = promGauge("agentZoneRecordSetsLimit", this.registry);
  /** The zone's record sets against its quota, from GetHostedZoneLimit. */
  zoneRecordSetUsage(usage: RecordSetUsage): void {
    this.zoneRecordSets.set(usage.used);
    this.zoneRecordSetsLimit.set(usage.limit);
    this.usage = usage;
  }
  /** Plain counts for the benchmark and tests, by API action. */
  readonly callCounts = new Map<string, number>();

  private readonly totals = zeroTotals();
  private emitted = zeroTotals();
  private usage: RecordSetUsage | undefined;
  private checksFailing = 0;
  private readonly startedAt: number;
  /** When this host's records last equalled its containers (ms since the epoch). */
  private lastSyncAt: number | undefined;
  private failuresInARow = 0;
  /** Says whether nothing is pending (the sync loop's view); until it is given, nothing counts as a sync. */
  private inSync: () => boolean = () => false;

  constructor(private readonly now: () => number = Date.now) {
    this.startedAt = now();
  }

  /** Where the metrics learn whether the host's records equal its containers (the sync loop, once made). */
  syncedWhen(inSync: () => boolean): void {
    this.inSync = inSync;
    this.noteSync();
  }

  /** Accepted ChangeResourceRecordSets requests, as a plain number. */
  batchesApplied = 0;
  batchApplied(): void {
    this.batches.inc();
    this.batchesApplied++;
    this.totals.batches++;
    this.setFailuresInARow(0);
    // The last sync is noted by recordCounts, which the sync loop calls right after every applied batch.
  }
  changesApplied(action: string, count: number): void {
    this.changes.inc({ action }, count);
    if (action === "DELETE") this.totals.deleted += count;
    else this.totals.written += count;
  }
  throttled(): void {
    this.throttles.inc();
    this.totals.throttled++;
    this.setFailuresInARow(this.failuresInARow + 1);
  }
  failed(kind: string): void {
    this.errors.inc({ kind });
    if (REJECTED_KINDS.has(kind)) this.totals.rejected++;
    else this.totals.failed++;
    this.setFailuresInARow(this.failuresInARow + 1);
  }
  recordCounts(desired: number, applied: number): void {
    this.desired.set(desired);
    this.applied.set(applied);
    this.noteSync();
  }
  checkStates(counts: Record<CheckState, number>): void {
    for (const [state, n] of Object.entries(counts)) this.checkStateGauge.set({ state }, n);
    this.checksFailing = counts.failing ?? 0;
  }
  checkTransition(to: CheckState): void {
    this.checkTransitions.inc({ to });
  }
  checkDone(kind: string, passed: boolean, seconds: number): void {
    this.checkDuration.observe({ kind, result: passed ? "pass" : "fail" }, seconds);
  }
  apiCall = (action: string): void => {
    this.apiCalls.inc({ action });
    this.callCounts.set(action, (this.callCounts.get(action) ?? 0) + 1);
    this.totals.requests++;
  };

  private setFailuresInARow(n: number): void {
    this.failuresInARow = n;
    this.consecutiveFailuresGauge.set(n);
  }

  private noteSync(): void {
    if (!this.inSync()) return;
    this.lastSyncAt = this.now();
    this.lastSyncGauge.set(Math.floor(this.lastSyncAt / 1000));
  }

  /**
   * Puts the agent's CloudWatch metrics into `writer`: counters as what they added since the last call, gauges as
   * they read now. Returns the line's properties (the host, which is no dimension).
   */
  emitTo(writer: EmfWriter<"agent">, hostId: string): Record<string, string> {
    this.noteSync();
    const d = (k: keyof EmfTotals) => this.totals[k] - this.emitted[k];
    writer
      .put("agentRecordsWritten", d("written"))
      .put("agentRecordsDeleted", d("deleted"))
      .put("agentBatches", d("batches"))
      .put("agentApiCalls", d("requests"))
      .put("agentThrottles", d("throttled"))
      .put("agentRejected", d("rejected"))
      .put("agentFailed", d("failed"))
      .put("agentConsecutiveFailures", this.failuresInARow)
      .put(
        "agentSinceSync",
        Math.max(0, Math.round((this.now() - (this.lastSyncAt ?? this.startedAt)) / 1000)),
      )
      .put("agentChecksFailing", this.checksFailing);
    // Each latency as one value of the metric: CloudWatch computes its percentiles across hosts.
    for (const v of this.startToZoneSince.splice(0))
      writer.put("agentStartToZone", Math.round(v * 1000) / 1000);
    if (this.usage) {
      writer.put("agentZoneRecordSets", this.usage.used).put("agentZoneRecordSetsLimit", this.usage.limit);
    }
    this.emitted = { ...this.totals };
    return { host: hostId };
  }

  /** Serves `/metrics` on `port` (0: a free one); resolves with the server once it listens. */
  async serve(port: number, host = "0.0.0.0"): Promise<{ port: number; close(): Promise<void> }> {
    const server = http.createServer((req, res) => {
      if (req.url !== "/metrics") {
        res.writeHead(404).end();
        return;
      }
      this.registry.metrics().then(
        (body) => res.writeHead(200, { "content-type": this.registry.contentType }).end(body),
        () => res.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, resolve);
    });
    return {
      port: (server.address() as AddressInfo).port,
      close: () => new Promise<void>((r) => server.close(() => r())),
    };
  }
}
