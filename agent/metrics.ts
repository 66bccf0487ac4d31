// Prometheus metrics of one agent, on their own registry (several agents can share a process in tests).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { RecordSetUsage } from "../route53/recordSetQuota";
import type { CheckState } from "./checkSchedule";
import type { CheckObserver } from "./healthMonitor";
import type { LoopObserver } from "./reconcileLoop";

export class AgentMetrics implements LoopObserver, CheckObserver {
  readonly registry = new Registry();
  private readonly changes = new Counter({
    name: "ecssd_agent_changes_applied_total",
    help: "Record set changes the zone accepted, by action",
    labelNames: ["action"],
    registers: [this.registry],
  });
  private readonly batches = new Counter({
    name: "ecssd_agent_batches_applied_total",
    help: "ChangeResourceRecordSets requests the zone accepted",
    registers: [this.registry],
  });
  private readonly apiCalls = new Counter({
    name: "ecssd_agent_api_calls_total",
    help: "Route53 API calls, by action",
    labelNames: ["action"],
    registers: [this.registry],
  });
  private readonly throttles = new Counter({
    name: "ecssd_agent_throttles_total",
    help: "Calls answered with Throttling or PriorRequestNotComplete",
    registers: [this.registry],
  });
  private readonly errors = new Counter({
    name: "ecssd_agent_errors_total",
    help: "Failed zone calls other than throttles, by kind",
    labelNames: ["kind"],
    registers: [this.registry],
  });
  private readonly desired = new Gauge({
    name: "ecssd_agent_desired_records",
    help: "Record sets this host should have in the zone",
    registers: [this.registry],
  });
  private readonly applied = new Gauge({
    name: "ecssd_agent_applied_records",
    help: "Record sets this host has in the zone, as far as the agent knows",
    registers: [this.registry],
  });
  private readonly checkStateGauge = new Gauge({
    name: "ecssd_agent_checks",
    help: "Ports the agent health-checks, by state (pending: no pass yet; failing: out of DNS)",
    labelNames: ["state"],
    registers: [this.registry],
  });
  private readonly checkTransitions = new Counter({
    name: "ecssd_agent_check_transitions_total",
    help: "Health check state changes, by the state entered",
    labelNames: ["to"],
    registers: [this.registry],
  });
  private readonly checkDuration = new Histogram({
    name: "ecssd_agent_check_duration_seconds",
    help: "Time one health check took, by kind and result",
    labelNames: ["kind", "result"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly skipped = new Counter({
    name: "ecssd_agent_declarations_skipped_total",
    help: "Service declarations not registered, by problem (e.g. service-not-owned; too-many-ports counts each port left out), once per container change",
    labelNames: ["problem"],
    registers: [this.registry],
  });
  declarationSkipped = (problem: string, count = 1): void => {
    this.skipped.inc({ problem }, count);
  };
  private readonly introspection = new Counter({
    name: "ecssd_agent_ecs_introspection_requests_total",
    help: "Requests to the ECS agent's introspection API (which task each container belongs to), by result",
    labelNames: ["result"],
    registers: [this.registry],
  });
  introspectionRequest = (ok: boolean): void => {
    this.introspection.inc({ result: ok ? "ok" : "error" });
  };
  private readonly zoneRecordSets = new Gauge({
    name: "ecssd_agent_zone_record_sets",
    help: "Record sets in the zone, every writer's (GetHostedZoneLimit's Count), as last asked",
    registers: [this.registry],
  });
  private readonly zoneRecordSetsLimit = new Gauge({
    name: "ecssd_agent_zone_record_sets_limit",
    help: 'The zone\'s record-set quota ("Records per hosted zone", GetHostedZoneLimit MAX_RRSETS_BY_ZONE), as last asked',
    registers: [this.registry],
  });
  /** The zone's record sets against its quota, from GetHostedZoneLimit. */
  zoneRecordSetUsage(usage: RecordSetUsage): void {
    this.zoneRecordSets.set(usage.used);
    this.zoneRecordSetsLimit.set(usage.limit);
  }
  /** Plain counts for the benchmark and tests, by API action. */
  readonly callCounts = new Map<string, number>();

  /** Accepted ChangeResourceRecordSets requests, as a plain number. */
  batchesApplied = 0;
  batchApplied(): void {
    this.batches.inc();
    this.batchesApplied++;
  }
  changesApplied(action: string, count: number): void {
    this.changes.inc({ action }, count);
  }
  throttled(): void {
    this.throttles.inc();
  }
  failed(kind: string): void {
    this.errors.inc({ kind });
  }
  recordCounts(desired: number, applied: number): void {
    this.desired.set(desired);
    this.applied.set(applied);
  }
  checkStates(counts: Record<CheckState, number>): void {
    for (const [state, n] of Object.entries(counts)) this.checkStateGauge.set({ state }, n);
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
  };

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
