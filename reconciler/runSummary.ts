// The report: the JSON summary of one reconcile run, what the handler returns and `ecssd reconcile` prints.
// Its shape is a public interface (users' scripts and dashboards read it).
import type { EmfKey } from "../metrics/definitions";
import type { EmfWriter } from "../metrics/emf";
import type { ApplyOutcome } from "./applyPlan";
import type { HealthResult } from "./healthChecker";
import type { InventorySnapshot } from "./inventory";
import { DELETE_REASONS, type DeleteReason, type ReconcilePlan } from "./reconcilePlan";

export type ReasonCounts = Record<DeleteReason, number>;

/** An instance that failed its health check. */
export interface HealthFailure {
  readonly record: string;
  readonly url: string;
  readonly detail: string;
}

export interface ReconcileSummary {
  readonly zone: { readonly id: string; readonly name: string };
  readonly inventory: { readonly kind: string } & Readonly<Record<string, number | string>>;
  readonly dryRun: boolean;
  readonly records: {
    /** Every record set in the zone. */
    readonly seen: number;
    /** Record sets whose SetIdentifier parses as ours. */
    readonly ours: number;
    readonly instances: number;
    /** Our hosts, by their A sets (the AZ set beside one is not a second host). */
    readonly hosts: number;
    /** The registrar's record sets of awsvpc tasks (A, AZ and SRV). */
    readonly tasks: number;
    /** Our instance records whose SRV target is not the host their SetIdentifier names: never checked, never a stop. */
    readonly unverified: number;
    /**
     * Sets with an unattributed (`ecssd1`) SetIdentifier this deployment does not claim
     * (ECSSD_CLAIM_UNATTRIBUTED): written before deployments had names; never touched. Part of `foreign`.
     */
    readonly unattributed: number;
    /** Everything else, never touched. */
    readonly foreign: number;
  };
  /** What the run decided to delete (also in a dry run, or when the safety valve tripped). */
  readonly planned: { readonly total: number; readonly byReason: ReasonCounts };
  /** What it did delete (the apply step's own account: see {@link ApplyOutcome}). */
  readonly deleted: ApplyOutcome["deleted"];
  readonly health: {
    readonly enabled: boolean;
    /** Distinct endpoints checked. */
    readonly checked: number;
    readonly healthy: number;
    readonly failed: number;
    /** Not checked: no address for the host, or out of time. */
    readonly skipped: number;
    /** The first few failures, for the log reader. */
    readonly failures: readonly HealthFailure[];
    /**
     * Verdicts in the zone (markers beside instances taken out for failing): written this run with a
     * deletion, lifted after a pass, cleared because the instance is gone, and still held.
     */
    readonly verdicts: {
      readonly written: number;
      readonly lifted: number;
      readonly cleared: number;
      readonly held: number;
    };
    /** Instances whose port declares an agent check: their health is the agent's, never checked here. */
    readonly agentChecked: number;
  };
  readonly tasksStopped: number;
  readonly tasksStopFailed: number;
  /**
   * Present when the zone refused verdict markers for its record-set quota ("Records per hosted zone"): the
   * zone's sets against its quota when GetHostedZoneLimit could be asked, and the warning the run logged.
   */
  readonly zoneFull?: { readonly used?: number; readonly limit?: number; readonly warning: string };
  readonly safetyValve: {
    readonly tripped: boolean;
    /** Planned deletes over our record sets. */
    readonly share: number;
    readonly maxShare: number;
    readonly reason?: string;
  };
  readonly apiCalls: {
    readonly total: number;
    readonly retries: number;
    readonly byOperation: Readonly<Record<string, number>>;
  };
  readonly durationMs: number;
}

export function zeroReasons(): ReasonCounts {
  return Object.fromEntries(DELETE_REASONS.map((r) => [r, 0])) as ReasonCounts;
}

/** The health checks of one run, counted for the summary. */
export interface HealthCounts {
  /** Distinct endpoints checked. */
  readonly checked: number;
  readonly healthy: number;
  readonly failed: number;
  /** Not checked: no address for the host (`noAddress`), or out of time. */
  readonly skipped: number;
}

export function healthCounts(results: ReadonlyMap<string, HealthResult>, noAddress: number): HealthCounts {
  const count = (v: HealthResult["verdict"]) => [...results.values()].filter((r) => r.verdict === v).length;
  return {
    checked: results.size,
    healthy: count("healthy"),
    failed: count("unhealthy"),
    skipped: count("skipped") + noAddress,
  };
}

/** The API requests of one run (AwsCall counts them). */
export interface ApiCallCounts {
  readonly total: number;
  readonly retries: number;
  readonly byOperation: Readonly<Record<string, number>>;
}

/** Everything one run found, decided and did. */
export interface RunFacts {
  readonly zone: { readonly id: string; readonly name: string };
  readonly inventoryKind: string;
  readonly snapshot: InventorySnapshot;
  readonly dryRun: boolean;
  readonly plan: ReconcilePlan;
  /** Undefined when health checks are off. */
  readonly health: HealthCounts | undefined;
  readonly applied: ApplyOutcome;
  readonly maxDeleteShare: number;
  readonly apiCalls: ApiCallCounts;
  readonly durationMs: number;
  readonly zoneFull?: ReconcileSummary["zoneFull"];
}

export function runSummary(facts: RunFacts): ReconcileSummary {
  const { plan, applied, health } = facts;
  const { view, safetyValve } = plan;
  const markers = view.agentMarkers + view.verdicts.length;
  const plannedByReason = zeroReasons();
  for (const d of plan.deletes) plannedByReason[d.reason]++;
  return {
    zone: facts.zone,
    inventory: { kind: facts.inventoryKind, ...facts.snapshot.counts },
    dryRun: facts.dryRun,
    records: {
      seen: view.seen,
      // Health markers are ours too (the safety valve counts only instances, hosts and task records).
      ours: safetyValve.ours + markers,
      instances: view.instances.length,
      hosts: view.hosts.filter((h) => h.set.Type === "A").length,
      tasks: view.taskRecords.length,
      unverified: plan.unverifiedCount,
      unattributed: view.unattributed,
      foreign: view.seen - safetyValve.ours - markers,
    },
    planned: { total: plan.deletes.length, byReason: plannedByReason },
    deleted: {
      total: applied.deleted.total,
      vanished: applied.deleted.vanished,
      keptAfterChange: applied.deleted.keptAfterChange,
      failed: applied.deleted.failed,
      byReason: applied.deleted.byReason,
    },
    health: {
      enabled: health !== undefined,
      checked: health?.checked ?? 0,
      healthy: health?.healthy ?? 0,
      failed: health?.failed ?? 0,
      skipped: health?.skipped ?? 0,
      failures: plan.failures,
      verdicts: { ...applied.verdicts, held: plan.verdictsHeld },
      agentChecked: view.agentChecked.size,
    },
    tasksStopped: applied.tasksStopped,
    tasksStopFailed: applied.tasksStopFailed,
    ...(facts.zoneFull && { zoneFull: facts.zoneFull }),
    safetyValve: {
      tripped: safetyValve.tripped,
      share: round(safetyValve.share),
      maxShare: facts.maxDeleteShare,
      ...(safetyValve.reason !== undefined && { reason: safetyValve.reason }),
    },
    apiCalls: {
      total: facts.apiCalls.total,
      retries: facts.apiCalls.retries,
      byOperation: { ...facts.apiCalls.byOperation },
    },
    durationMs: facts.durationMs,
  };
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/** The CloudWatch metric of each deletion reason (metrics/definitions.ts). */
const DELETED_METRIC: Readonly<Record<DeleteReason, EmfKey<"reconciler">>> = {
  "host-gone": "reconcilerDeletedHostGone",
  "task-gone": "reconcilerDeletedTaskGone",
  "container-gone": "reconcilerDeletedContainerGone",
  unhealthy: "reconcilerDeletedUnhealthy",
  "not-owned": "reconcilerDeletedNotOwned",
  forged: "reconcilerDeletedForged",
};

/** Puts one run's metrics into `writer`: deletions by reason, a safety-valve trip, errors, the zone against its quota. */
export function putRunMetrics(writer: EmfWriter<"reconciler">, summary: ReconcileSummary): void {
  for (const reason of DELETE_REASONS)
    writer.put(DELETED_METRIC[reason], summary.deleted.byReason[reason] ?? 0);
  writer
    .put("reconcilerSafetyValveTrips", summary.safetyValve.tripped ? 1 : 0)
    .put("reconcilerErrors", summary.deleted.failed + summary.tasksStopFailed)
    .put("reconcilerZoneRecordSets", summary.zoneFull?.used ?? summary.records.seen);
  if (summary.zoneFull?.limit !== undefined)
    writer.put("reconcilerZoneRecordSetsLimit", summary.zoneFull.limit);
}
