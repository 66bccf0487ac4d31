// One reconcile run: read the zone, then the inventory; delete our records whose task, container or host is
// gone; health-check the rest and delete (optionally stop) what fails; all behind a safety valve.
import type { ECSClient } from "@aws-sdk/client-ecs";
import type { ResourceRecordSet, Route53Client } from "@aws-sdk/client-route-53";
import type Docker from "dockerode";
import pino, { type Logger } from "pino";
import { canonicalName, recordSetKey, type ZoneRecordSet } from "../records";
import { ApiCalls, type RetryPolicy } from "./apiCalls";
import type { ReconcilerConfig } from "./config";
import { DockerInventory } from "./dockerInventory";
import { EcsInventory } from "./ecsInventory";
import { checkEndpoints, endpointKey, type HealthResult, type HealthTarget } from "./healthChecks";
import type { Inventory, LiveTask } from "./inventory";
import { type HealthFailure, type ReconcileSummary, zeroReasons } from "./runSummary";
import {
  type InstanceRecord,
  type PlannedDelete,
  staleInstances,
  unusedHostRecords,
  viewZone,
} from "./staleRecords";
import { deleteRecordSets, findPrivateZoneId, listRecordSets } from "./zoneRecords";

const moduleLogger = pino({ name: "ecssd-reconciler" });
const MAX_REPORTED_FAILURES = 20;

/** What a run talks to. Give `ecs` (or `docker`) for the configured inventory, or an `inventory` outright. */
export interface ReconcileDeps {
  readonly route53: Route53Client;
  readonly ecs?: ECSClient;
  readonly docker?: Docker;
  /** Overrides the inventory that `config.inventory` would build. */
  readonly inventory?: Inventory;
  readonly logger?: Logger;
  readonly retryPolicy?: RetryPolicy;
  /** Epoch ms by which the run must be done (a Lambda's remaining time); health checks stop short of it. */
  readonly deadline?: number;
}

/** Runs the reconciler once and returns its summary. Throws when the zone or the inventory cannot be read. */
export async function reconcile(deps: ReconcileDeps, config: ReconcilerConfig): Promise<ReconcileSummary> {
  const started = performance.now();
  const log = deps.logger ?? moduleLogger;
  const calls = new ApiCalls(deps.retryPolicy);
  const inventory = deps.inventory ?? buildInventory(deps, config, calls);

  const zoneId = config.zoneId ?? (await findPrivateZoneId(deps.route53, config.zoneName, calls));
  // The zone first, then the inventory: a record in the zone we read was written before the inventory is
  // read, so its task, if it still runs, is in the inventory. The other order could delete a record whose
  // task started between the two reads.
  const sets = await listRecordSets(deps.route53, zoneId, calls);
  const snapshot = await inventory.snapshot();
  const view = viewZone(sets, config.zoneName);
  const { stale, survivors } = staleInstances(view, snapshot);

  // Health checks on what the inventory keeps.
  const health = config.checkHealth
    ? await checkSurvivors(survivors, view.addresses, config, deps.deadline)
    : undefined;
  const unhealthy: PlannedDelete[] = [];
  const failures: HealthFailure[] = [];
  const unhealthyTasks = new Map<string, { task: LiveTask; reason: string; recordKeys: string[] }>();
  for (const record of survivors) {
    const result = health?.byRecord.get(record.key);
    if (result?.verdict !== "unhealthy") continue;
    unhealthy.push({ key: record.key, set: record.set, reason: "unhealthy" });
    if (failures.length < MAX_REPORTED_FAILURES)
      failures.push({ record: record.key, url: result.url, detail: result.detail });
    const taskId = record.identity.taskId;
    const task = taskId !== undefined ? snapshot.tasks?.get(taskId) : undefined;
    if (task) {
      const entry = unhealthyTasks.get(task.taskId) ?? {
        task,
        reason: `ecssd reconciler: health check ${result.url} failed ${result.attempts} times (${result.detail})`,
        recordKeys: [],
      };
      entry.recordKeys.push(record.key);
      unhealthyTasks.set(task.taskId, entry);
    }
  }

  const srvDeletes = [...stale, ...unhealthy];
  const hostDeletes = unusedHostRecords(
    view,
    snapshot,
    config.zoneName,
    new Set(srvDeletes.map((d) => d.key)),
  );
  // SRV sets go before the host records they point at, so no consumer is sent to a name without an address.
  const planned = [...srvDeletes, ...hostDeletes];
  const ours = view.instances.length + view.hosts.length;
  const share = ours === 0 ? 0 : planned.length / ours;
  const tripped = share > config.maxDeleteShare;
  const valveReason = tripped
    ? `this run would delete ${planned.length} of our ${ours} record sets (${pct(share)}), more than the allowed ${pct(config.maxDeleteShare)} (ECSSD_MAX_DELETE_SHARE); deleted nothing. A partial inventory or a network problem between the reconciler and the hosts looks like this; if the deletions are right, raise the share for one run.`
    : undefined;

  const byReasonPlanned = zeroReasons();
  for (const d of planned) byReasonPlanned[d.reason]++;
  const byReasonDeleted = zeroReasons();
  const deletedTotals = { total: 0, vanished: 0, keptAfterChange: 0, failed: 0 };
  let tasksStopped = 0;
  let tasksStopFailed = 0;

  if (tripped) {
    log.error({ planned: planned.length, ours, share }, valveReason);
  } else if (config.dryRun) {
    for (const d of planned) log.info({ record: d.key, reason: d.reason }, "would delete (dry run)");
  } else if (planned.length > 0) {
    const reasonOf = new Map(planned.map((d) => [d.key, d]));
    const unhealthyValue = new Map(unhealthy.map((d) => [d.key, valuesText(d.set)]));
    const outcome = await deleteRecordSets(
      deps.route53,
      zoneId,
      // The sets came from listRecordSets (records' model); staleRecords.ts still types them as the SDK's.
      planned.map((d) => d.set as ZoneRecordSet),
      calls,
      {
        // A set re-read after it changed still goes for an inventory reason (its identity is unchanged), but a
        // health verdict only holds for the endpoint that was checked.
        stillDelete: (current, original) => {
          const key = recordSetKey(original);
          return !unhealthyValue.has(key) || unhealthyValue.get(key) === valuesText(current);
        },
      },
    );
    const deletedKeys = new Set<string>();
    for (const set of outcome.deleted) {
      const d = reasonOf.get(recordSetKey(set));
      if (!d) continue;
      deletedKeys.add(d.key);
      byReasonDeleted[d.reason]++;
      log.info({ record: d.key, reason: d.reason }, "deleted record set");
    }
    for (const f of outcome.failed)
      log.warn({ record: recordSetKey(f.set), error: f.error }, "could not delete record set");
    deletedTotals.total = deletedKeys.size;
    deletedTotals.vanished = outcome.vanished.length;
    deletedTotals.keptAfterChange = outcome.keptAfterChange.length;
    deletedTotals.failed = outcome.failed.length;

    if (config.stopUnhealthyTasks && inventory.stopTask) {
      for (const { task, reason, recordKeys } of unhealthyTasks.values()) {
        // Only stop a task once its failing records are out of DNS; any others go when its agent sees the stop.
        if (!recordKeys.every((k) => deletedKeys.has(k))) continue;
        try {
          await inventory.stopTask(task, reason);
          tasksStopped++;
          log.warn({ task: task.taskArn, reason }, "stopped unhealthy task");
        } catch (err) {
          tasksStopFailed++;
          log.warn({ task: task.taskArn, err }, "could not stop unhealthy task");
        }
      }
    }
  }

  const summary: ReconcileSummary = {
    zone: { id: zoneId, name: config.zoneName },
    inventory: { kind: inventory.kind, ...snapshot.counts },
    dryRun: config.dryRun,
    records: {
      seen: view.seen,
      ours,
      instances: view.instances.length,
      hosts: view.hosts.length,
      foreign: view.seen - ours,
    },
    planned: { total: planned.length, byReason: byReasonPlanned },
    deleted: { ...deletedTotals, byReason: byReasonDeleted },
    health: {
      enabled: config.checkHealth,
      checked: health?.checked ?? 0,
      healthy: health?.healthy ?? 0,
      failed: health?.failed ?? 0,
      skipped: health?.skipped ?? 0,
      failures,
    },
    tasksStopped,
    tasksStopFailed,
    safetyValve: {
      tripped,
      share: round(share),
      maxShare: config.maxDeleteShare,
      ...(valveReason !== undefined && { reason: valveReason }),
    },
    apiCalls: { total: calls.total, retries: calls.retries, byOperation: { ...calls.byOperation } },
    durationMs: Math.round(performance.now() - started),
  };
  log.info({ summary }, "reconcile run finished");
  return summary;
}

function buildInventory(deps: ReconcileDeps, config: ReconcilerConfig, calls: ApiCalls): Inventory {
  if (config.inventory === "docker") {
    if (!deps.docker)
      throw new Error("reconcile: the docker inventory needs a dockerode client in deps.docker");
    if (!config.hostId) throw new Error("reconcile: the docker inventory needs config.hostId");
    return new DockerInventory({ docker: deps.docker, hostId: config.hostId, calls });
  }
  if (!deps.ecs) throw new Error("reconcile: the ecs inventory needs an ECS client in deps.ecs");
  return new EcsInventory({ ecs: deps.ecs, clusters: config.clusters, calls });
}

interface SurvivorHealth {
  byRecord: Map<string, HealthResult>;
  checked: number;
  healthy: number;
  failed: number;
  skipped: number;
}

/** Health-checks every surviving instance at the address its SRV target's A record gives. */
async function checkSurvivors(
  survivors: readonly InstanceRecord[],
  addresses: ReadonlyMap<string, readonly string[]>,
  config: ReconcilerConfig,
  deadline: number | undefined,
): Promise<SurvivorHealth> {
  const targets = new Map<string, HealthTarget>();
  let noAddress = 0;
  for (const record of survivors) {
    const address = record.srv ? addresses.get(canonicalName(record.srv.target))?.[0] : undefined;
    if (!record.srv || !address) {
      // Without an address there is nothing to check; the agent may be writing the host record right now.
      noAddress++;
      continue;
    }
    targets.set(record.key, { address, port: record.srv.port });
  }
  const results = await checkEndpoints([...targets.values()], {
    path: config.healthPath,
    timeoutMs: config.healthTimeoutMs,
    attempts: config.healthAttempts,
    concurrency: config.healthConcurrency,
    // Leave a margin to delete and report after the checks.
    ...(deadline !== undefined && { deadline: deadline - 5_000 }),
  });
  const byRecord = new Map<string, HealthResult>();
  for (const [key, target] of targets) {
    const r = results.get(endpointKey(target));
    if (r) byRecord.set(key, r);
  }
  const count = (v: HealthResult["verdict"]) => [...results.values()].filter((r) => r.verdict === v).length;
  return {
    byRecord,
    checked: results.size,
    healthy: count("healthy"),
    failed: count("unhealthy"),
    skipped: count("skipped") + noAddress,
  };
}

function valuesText(set: ResourceRecordSet): string {
  return JSON.stringify((set.ResourceRecords ?? []).map((r) => r.Value));
}

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
