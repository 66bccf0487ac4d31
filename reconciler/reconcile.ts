// The reconciler's core: one run over the ports it owns. Read the zone, then the inventory; plan what is
// stale; health-check the survivors; complete the plan; apply it unless the safety valve or a dry run holds
// it back; report. The decisions are in reconcilePlan.ts, the changes in applyPlan.ts, the summary in
// runSummary.ts; the adapters (Route53, ECS, Docker, HTTP) are wired in reconcileWithClients.ts.
import pino, { type Logger } from "pino";
import { type DeploymentScope, ownershipRules } from "../records";
import { QuotaWarning, type QuotaZone, quotaWarningText } from "../route53/recordSetQuota";
import { type ApplyOutcome, applyPlan, nothingApplied } from "./applyPlan";
import type { ReconcilerConfig } from "./config";
import type { HealthChecker, HealthResult } from "./healthChecker";
import type { Inventory } from "./inventory";
import {
  healthTargets,
  planReconcile,
  planStale,
  type ReconcilePlan,
  type StalePlan,
  verdictTargets,
} from "./reconcilePlan";
import type { ReconcilerZone } from "./reconcilerZone";
import {
  type ApiCallCounts,
  type HealthCounts,
  healthCounts,
  type ReconcileSummary,
  runSummary,
} from "./runSummary";
import type { TaskStopper } from "./taskStopper";

const moduleLogger = pino({ name: "ecssd-reconciler" });
/** Time kept after the health checks to delete and report before the deadline. */
const MARGIN_AFTER_CHECKS_MS = 5_000;

/** What one run talks to. */
export interface ReconcilePorts {
  readonly zone: ReconcilerZone;
  readonly inventory: Inventory;
  /** Absent where nothing may be stopped. */
  readonly stopper?: TaskStopper;
  readonly healthChecker: HealthChecker;
  /** The run's API requests so far, read for the summary once the run is done. */
  readonly apiCalls: ApiCallCounts;
  readonly logger?: Logger;
  /** Epoch ms by which the run must be done (a Lambda's remaining time); health checks stop short of it. */
  readonly deadline?: number;
}

/** Runs the reconciler once and returns its summary. Throws when the zone or the inventory cannot be read. */
export async function runReconcile(
  ports: ReconcilePorts,
  config: ReconcilerConfig,
): Promise<ReconcileSummary> {
  const started = performance.now();
  const log = ports.logger ?? moduleLogger;
  const zoneId = await ports.zone.id();
  // The zone first, then the inventory: a record in the zone we read was written before the inventory is
  // read, so its task, if it still runs, is in the inventory. The other order could delete a record whose
  // task started between the two reads.
  const sets = await ports.zone.listRecordSets();
  const snapshot = await ports.inventory.snapshot();
  const owners = ownershipRules(config.serviceOwners, config.serviceOwnersClosed);
  const stale = planStale(sets, snapshot, config.zoneName, owners, deploymentScope(config));
  const health = config.checkHealth ? await checkSurvivors(stale, ports, config) : undefined;
  const plan = planReconcile(stale, snapshot, health?.results, config);
  const applied = await carryOut(plan, ports, config, log);
  const zoneFull = applied.zoneFull
    ? await zoneFullWarning(ports, { name: config.zoneName, id: zoneId }, log)
    : undefined;
  const summary = runSummary({
    zone: { id: zoneId, name: config.zoneName },
    inventoryKind: ports.inventory.kind,
    snapshot,
    dryRun: config.dryRun,
    plan,
    health: health?.counts,
    applied,
    maxDeleteShare: config.maxDeleteShare,
    apiCalls: ports.apiCalls,
    durationMs: Math.round(performance.now() - started),
    ...(zoneFull && { zoneFull }),
  });
  log.info({ summary }, "reconcile run finished");
  return summary;
}

/**
 * The zone refused verdict markers for its record-set quota: one warning that says which zone is full and what
 * to do (a run is minutes from the next, so each run says it once), and the same for the summary.
 */
async function zoneFullWarning(
  ports: ReconcilePorts,
  zone: QuotaZone,
  log: Logger,
): Promise<NonNullable<ReconcileSummary["zoneFull"]>> {
  const usage = ports.zone.recordSetUsage?.bind(ports.zone);
  const logged = await new QuotaWarning(log).report(zone, usage);
  return { ...logged?.usage, warning: quotaWarningText(zone, logged?.usage) };
}

/**
 * Health-checks every surviving instance without an agent check at the address its SRV target's A record
 * gives, and every instance held out by a verdict at its host's address and the port the verdict names.
 */
async function checkSurvivors(
  stale: StalePlan,
  ports: ReconcilePorts,
  config: ReconcilerConfig,
): Promise<{ results: Map<string, HealthResult>; counts: HealthCounts }> {
  const { targets, noAddress } = healthTargets(stale.toCheck, stale.view.addresses);
  const held = verdictTargets(stale.liveVerdicts, stale.view.addresses, config.zoneName);
  const results = await ports.healthChecker([...targets.values(), ...held.values()], {
    path: config.healthPath,
    timeoutMs: config.healthTimeoutMs,
    attempts: config.healthAttempts,
    concurrency: config.healthConcurrency,
    ...(ports.deadline !== undefined && { deadline: ports.deadline - MARGIN_AFTER_CHECKS_MS }),
  });
  return { results, counts: healthCounts(results, noAddress) };
}

/** Applies the plan, unless the safety valve tripped or this is a dry run: then it only logs. */
async function carryOut(
  plan: ReconcilePlan,
  ports: ReconcilePorts,
  config: ReconcilerConfig,
  log: Logger,
): Promise<ApplyOutcome> {
  const valve = plan.safetyValve;
  if (valve.tripped) {
    log.error({ planned: plan.deletes.length, ours: valve.ours, share: valve.share }, valve.reason);
    return nothingApplied();
  }
  if (config.dryRun) {
    for (const d of plan.deletes) log.info({ record: d.key, reason: d.reason }, "would delete (dry run)");
    for (const d of plan.markerDeletes)
      log.info({ record: d.key, reason: d.reason }, "would lift verdict (dry run)");
    return nothingApplied();
  }
  return applyPlan(plan, ports, log);
}

/** Which sets this reconciler judges: its deployment's (and unattributed ones, when it claims them). */
export function deploymentScope(config: ReconcilerConfig): DeploymentScope {
  return {
    ...(config.deployment !== undefined && { deployment: config.deployment }),
    claimUnattributed: config.claimUnattributed,
  };
}
