// Every metric the project emits, once: its CloudWatch name (EMF, namespace ECSServiceDiscovery) and, for the
// agent, its Prometheus name and labels. The agent's Prometheus registry, the EMF writers of every component and
// the catalog (what a dashboard or an alarm may name) are all made from this table.

/** The CloudWatch namespace of every metric. */
export const METRICS_NAMESPACE = "ECSServiceDiscovery";

export type Component = "agent" | "reconciler" | "registrar" | "coalescer";
export type MetricKind = "counter" | "gauge" | "histogram";
/** CloudWatch units used here (a subset of EMF's). */
export type MetricUnit = "Count" | "Seconds" | "None";
/**
 * Dimensions a metric may carry beyond the component (`service`, which Powertools always adds): few, and never a
 * container, task or host id (those go into the line as plain properties, for Logs Insights).
 */
export type MetricDimension = "Cluster";

export interface PrometheusFacet {
  /** Scraped name: kept as it is once published. */
  readonly name: string;
  readonly labelNames?: readonly string[];
  readonly buckets?: readonly number[];
}

export interface MetricDefinition {
  readonly component: Component;
  readonly kind: MetricKind;
  readonly unit: MetricUnit;
  /** What it counts or shows: the Prometheus help text and the README's row. */
  readonly meaning: string;
  /** Its CloudWatch name, when it goes out as EMF (a counter as what it added since the last line). */
  readonly emf?: string;
  readonly dimensions: readonly MetricDimension[];
  readonly prometheus?: PrometheusFacet;
}

// The helpers keep each row's component (and whether it has an EMF name) in its type, for EmfWriter.put's keys.
const agent = <D extends Omit<MetricDefinition, "component" | "dimensions">>(d: D) => ({
  component: "agent" as const,
  dimensions: ["Cluster"] as const,
  ...d,
});
const lambda = <C extends "reconciler" | "registrar">(
  component: C,
  emf: string,
  unit: MetricUnit,
  meaning: string,
  kind: MetricKind = "counter",
) => ({ component, kind, unit, meaning, emf, dimensions: ["Cluster"] as const });
const coalescer = (emf: string, kind: MetricKind, meaning: string) => ({
  component: "coalescer" as const,
  kind,
  unit: "Count" as const,
  meaning,
  emf,
  dimensions: [] as const,
});

export const METRICS = {
  // The agent: Prometheus names as published, and what goes to CloudWatch.
  agentChanges: agent({
    kind: "counter",
    unit: "Count",
    meaning: "Record set changes the zone accepted, by action",
    prometheus: { name: "ecssd_agent_changes_applied_total", labelNames: ["action"] },
  }),
  agentRecordsWritten: agent({
    kind: "counter",
    unit: "Count",
    meaning: "Record sets created or updated in the zone (CREATE and UPSERT the zone accepted)",
    emf: "AgentRecordsWritten",
  }),
  agentRecordsDeleted: agent({
    kind: "counter",
    unit: "Count",
    meaning: "Record sets deleted from the zone (DELETE the zone accepted)",
    emf: "AgentRecordsDeleted",
  }),
  agentBatches: agent({
    kind: "counter",
    unit: "Count",
    meaning: "ChangeResourceRecordSets requests the zone accepted",
    emf: "AgentBatchesApplied",
    prometheus: { name: "ecssd_agent_batches_applied_total" },
  }),
  agentApiCalls: agent({
    kind: "counter",
    unit: "Count",
    meaning: "Route53 API calls (Prometheus: by action)",
    emf: "AgentRoute53Requests",
    prometheus: { name: "ecssd_agent_api_calls_total", labelNames: ["action"] },
  }),
  agentThrottles: agent({
    kind: "counter",
    unit: "Count",
    meaning: "Calls answered with Throttling or PriorRequestNotComplete",
    emf: "AgentRoute53Throttled",
    prometheus: { name: "ecssd_agent_throttles_total" },
  }),
  agentErrors: agent({
    kind: "counter",
    unit: "Count",
    meaning: "Failed zone calls other than throttles, by kind",
    prometheus: { name: "ecssd_agent_errors_total", labelNames: ["kind"] },
  }),
  agentRejected: agent({
    kind: "counter",
    unit: "Count",
    meaning: "Zone writes the zone refused (InvalidChangeBatch, or the zone's record-set quota)",
    emf: "AgentRoute53Rejected",
  }),
  agentFailed: agent({
    kind: "counter",
    unit: "Count",
    meaning: "Zone calls that failed otherwise (5xx, network, anything unexpected)",
    emf: "AgentRoute53Errors",
  }),
  agentLastSync: agent({
    kind: "gauge",
    unit: "Seconds",
    meaning:
      "When this host's records last equalled its containers (Unix time, seconds; 0 until the first time)",
    prometheus: { name: "ecssd_agent_last_sync_timestamp_seconds" },
  }),
  agentSinceSync: agent({
    kind: "gauge",
    unit: "Seconds",
    meaning:
      "Seconds since this host's records last equalled its containers (since start, until the first time); alarm on its Maximum",
    emf: "AgentSecondsSinceSync",
  }),
  agentConsecutiveFailures: agent({
    kind: "gauge",
    unit: "Count",
    meaning: "Zone calls failed in a row since the last one that succeeded (throttles included)",
    emf: "AgentConsecutiveFailedSyncs",
    prometheus: { name: "ecssd_agent_consecutive_failed_syncs" },
  }),
  agentDesired: agent({
    kind: "gauge",
    unit: "Count",
    meaning: "Record sets this host should have in the zone",
    prometheus: { name: "ecssd_agent_desired_records" },
  }),
  agentApplied: agent({
    kind: "gauge",
    unit: "Count",
    meaning: "Record sets this host has in the zone, as far as the agent knows",
    prometheus: { name: "ecssd_agent_applied_records" },
  }),
  agentChecks: agent({
    kind: "gauge",
    unit: "Count",
    meaning: "Ports the agent health-checks, by state (pending: no pass yet; failing: out of DNS)",
    prometheus: { name: "ecssd_agent_checks", labelNames: ["state"] },
  }),
  agentChecksFailing: agent({
    kind: "gauge",
    unit: "Count",
    meaning: "Ports whose declared health check fails (out of DNS)",
    emf: "AgentChecksFailing",
  }),
  agentCheckTransitions: agent({
    kind: "counter",
    unit: "Count",
    meaning: "Health check state changes, by the state entered",
    prometheus: { name: "ecssd_agent_check_transitions_total", labelNames: ["to"] },
  }),
  agentCheckDuration: agent({
    kind: "histogram",
    unit: "Seconds",
    meaning: "Time one health check took, by kind and result",
    prometheus: {
      name: "ecssd_agent_check_duration_seconds",
      labelNames: ["kind", "result"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    },
  }),
  agentStartToZone: agent({
    kind: "histogram",
    unit: "Seconds",
    meaning:
      "Seconds from the agent first wanting an instance in the zone (its container's start, or its first passing check) to Route53 accepting it",
    emf: "AgentStartToZoneSeconds",
    prometheus: {
      name: "ecssd_agent_start_to_zone_seconds",
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
    },
  }),
  agentDeclarationsSkipped: agent({
    kind: "counter",
    unit: "Count",
    meaning:
      "Service declarations not registered, by problem (e.g. service-not-owned; too-many-ports counts each port left out), once per container change",
    prometheus: { name: "ecssd_agent_declarations_skipped_total", labelNames: ["problem"] },
  }),
  agentIntrospection: agent({
    kind: "counter",
    unit: "Count",
    meaning:
      "Requests to the ECS agent's introspection API (which task each container belongs to), by result",
    prometheus: { name: "ecssd_agent_ecs_introspection_requests_total", labelNames: ["result"] },
  }),
  agentZoneRecordSets: agent({
    kind: "gauge",
    unit: "Count",
    meaning: "Record sets in the zone, every writer's (GetHostedZoneLimit's Count), as last asked",
    emf: "AgentZoneRecordSets",
    prometheus: { name: "ecssd_agent_zone_record_sets" },
  }),
  agentZoneRecordSetsLimit: agent({
    kind: "gauge",
    unit: "Count",
    meaning:
      'The zone\'s record-set quota ("Records per hosted zone", GetHostedZoneLimit MAX_RRSETS_BY_ZONE), as last asked',
    emf: "AgentZoneRecordSetsLimit",
    prometheus: { name: "ecssd_agent_zone_record_sets_limit" },
  }),

  // The reconciler: one line per run.
  reconcilerDeletedHostGone: lambda(
    "reconciler",
    "ReconcilerDeletedHostGone",
    "Count",
    "Record sets deleted because their host is gone",
  ),
  reconcilerDeletedTaskGone: lambda(
    "reconciler",
    "ReconcilerDeletedTaskGone",
    "Count",
    "Record sets deleted because their task is gone",
  ),
  reconcilerDeletedContainerGone: lambda(
    "reconciler",
    "ReconcilerDeletedContainerGone",
    "Count",
    "Record sets deleted because their container is no longer in its task, or not on that host",
  ),
  reconcilerDeletedUnhealthy: lambda(
    "reconciler",
    "ReconcilerDeletedUnhealthy",
    "Count",
    "Instances taken out for failing the reconciler's health check",
  ),
  reconcilerDeletedNotOwned: lambda(
    "reconciler",
    "ReconcilerDeletedNotOwned",
    "Count",
    "Record sets deleted because the task's family may not offer the name (ECSSD_SERVICE_OWNERS)",
  ),
  reconcilerDeletedForged: lambda(
    "reconciler",
    "ReconcilerDeletedForged",
    "Count",
    "Record sets deleted because the task or container their SetIdentifier names does not publish what they say",
  ),
  reconcilerSafetyValveTrips: lambda(
    "reconciler",
    "ReconcilerSafetyValveTrips",
    "Count",
    "Runs that deleted nothing because the planned share of deletions was over the safety valve",
  ),
  reconcilerErrors: lambda(
    "reconciler",
    "ReconcilerErrors",
    "Count",
    "Runs that failed, plus deletions and task stops that failed within a run",
  ),
  reconcilerZoneRecordSets: lambda(
    "reconciler",
    "ReconcilerZoneRecordSets",
    "Count",
    "Record sets in the zone, every writer's, as the run listed them",
    "gauge",
  ),
  reconcilerZoneRecordSetsLimit: lambda(
    "reconciler",
    "ReconcilerZoneRecordSetsLimit",
    "Count",
    "The zone's record-set quota, when the run asked it (the zone refused a write for it)",
    "gauge",
  ),

  // The registrar: one line per event, its outcome counted once.
  registrarRegistered: lambda(
    "registrar",
    "RegistrarRegistered",
    "Count",
    "Task events that wrote a task's records",
  ),
  registrarDeregistered: lambda(
    "registrar",
    "RegistrarDeregistered",
    "Count",
    "Task events that removed a task's records",
  ),
  registrarWaiting: lambda(
    "registrar",
    "RegistrarWaiting",
    "Count",
    "Task events that changed nothing yet (the task is not running, or not ready)",
  ),
  registrarIgnored: lambda(
    "registrar",
    "RegistrarIgnored",
    "Count",
    "Task events not ours (another cluster, no declaration, not awsvpc)",
  ),
  registrarRejected: lambda("registrar", "RegistrarRejected", "Count", "Malformed events, dropped"),
  registrarPortsOverCap: lambda(
    "registrar",
    "RegistrarPortsOverCap",
    "Count",
    "Declared ports of awsvpc tasks' containers left out, over ECSSD_MAX_PORTS_PER_CONTAINER (each port once per event that registers its task)",
  ),
  registrarFailed: lambda(
    "registrar",
    "RegistrarFailed",
    "Count",
    "Events that failed and will be retried (then go to the dead-letter queue)",
  ),

  // The coalescer: one line a minute.
  coalescerRequests: coalescer("CoalescerRoute53Requests", "counter", "Route53 requests the coalescer sent"),
  coalescerThrottled: coalescer(
    "CoalescerRoute53Throttled",
    "counter",
    "Route53 requests answered with Throttling",
  ),
  coalescerBatches: coalescer(
    "CoalescerBatches",
    "counter",
    "ChangeResourceRecordSets batches the zone accepted",
  ),
  coalescerChanges: coalescer("CoalescerChanges", "counter", "Record set changes in the accepted batches"),
  coalescerRefused: coalescer(
    "CoalescerRefused",
    "counter",
    "Submissions refused (the zone's refusal, a missing zone, a refused permission)",
  ),
  coalescerQueued: coalescer("CoalescerQueued", "gauge", "Submissions waiting to be sent"),
  coalescerQueuedChanges: coalescer("CoalescerQueuedChanges", "gauge", "Changes in the submissions waiting"),
  coalescerZoneRecordSets: coalescer(
    "CoalescerZoneRecordSets",
    "gauge",
    "Record sets in the zone (the coalescer's copy)",
  ),
  coalescerZoneRecordSetsLimit: coalescer(
    "CoalescerZoneRecordSetsLimit",
    "gauge",
    "The zone's record-set quota, when Route53 told it",
  ),
} as const satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof METRICS;

/** The keys of a component's metrics that go out as EMF. */
export type EmfKey<C extends Component> = {
  [K in MetricKey]: (typeof METRICS)[K] extends { component: C; emf: string } ? K : never;
}[MetricKey];
