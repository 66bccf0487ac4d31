// Carries out a plan through the ports: delete the planned record sets, then stop the planned tasks whose
// failing records are gone. It decides nothing the plan has not decided; it reports what happened.
import type { Logger } from "pino";
import { recordSetKey, type ZoneRecordSet } from "../records";
import type { PlannedDelete, ReconcilePlan } from "./reconcilePlan";
import type { ReconcilerZone, ZoneDeleteOutcome } from "./reconcilerZone";
import { type ReasonCounts, zeroReasons } from "./runSummary";
import type { TaskStopper } from "./taskStopper";

/** What applying a plan did. */
export interface ApplyOutcome {
  /** What it did delete; the summary reports this as it is. */
  readonly deleted: {
    readonly total: number;
    readonly byReason: ReasonCounts;
    /** Already gone when we came to delete them. */
    readonly vanished: number;
    /** Changed meanwhile so that they no longer warranted deleting. */
    readonly keptAfterChange: number;
    readonly failed: number;
  };
  readonly tasksStopped: number;
  readonly tasksStopFailed: number;
  /** Verdict markers: written with an unhealthy instance's deletion, lifted after a pass, cleared when it is gone. */
  readonly verdicts: { readonly written: number; readonly lifted: number; readonly cleared: number };
}

/** The outcome of a plan that was not applied (a dry run, or the safety valve tripped). */
export function nothingApplied(): ApplyOutcome {
  return {
    deleted: { total: 0, byReason: zeroReasons(), vanished: 0, keptAfterChange: 0, failed: 0 },
    tasksStopped: 0,
    tasksStopFailed: 0,
    verdicts: { written: 0, lifted: 0, cleared: 0 },
  };
}

/** Deletes, then stops. `stopper` is absent where nothing may be stopped. */
export async function applyPlan(
  plan: ReconcilePlan,
  ports: { readonly zone: ReconcilerZone; readonly stopper?: TaskStopper },
  log: Logger,
): Promise<ApplyOutcome> {
  if (plan.deletes.length === 0 && plan.markerDeletes.length === 0) return nothingApplied();
  const planned = new Map<string, PlannedDelete>(plan.deletes.map((d) => [d.key, d]));
  const stillDelete = (current: ZoneRecordSet, original: ZoneRecordSet) =>
    !planned.get(recordSetKey(original))?.onlyAsRead || sameValues(current, original);
  const plain = plan.deletes.filter((d) => d.marker === undefined);
  const withVerdict = plan.deletes.flatMap((d) => (d.marker ? [{ set: d.set, marker: d.marker }] : []));
  const outcome = mergeOutcomes(
    plain.length > 0
      ? await ports.zone.deleteRecordSets(
          plain.map((d) => d.set),
          stillDelete,
        )
      : undefined,
    withVerdict.length > 0 ? await ports.zone.replaceWithVerdicts(withVerdict, stillDelete) : undefined,
  );
  const withVerdictKeys = new Set(withVerdict.map((c) => recordSetKey(c.set)));
  const written = outcome.deleted.filter((s) => withVerdictKeys.has(recordSetKey(s))).length;
  const verdicts = await liftVerdicts(plan, ports.zone, log);
  const byReason = zeroReasons();
  const deletedKeys = new Set<string>();
  for (const set of outcome.deleted) {
    const d = planned.get(recordSetKey(set));
    if (!d) continue;
    deletedKeys.add(d.key);
    byReason[d.reason]++;
    log.info({ record: d.key, reason: d.reason }, "deleted record set");
  }
  for (const f of outcome.failed)
    log.warn({ record: recordSetKey(f.set), error: f.error }, "could not delete record set");

  let tasksStopped = 0;
  let tasksStopFailed = 0;
  const { stopper } = ports;
  for (const { task, reason, recordKeys } of stopper ? plan.stops : []) {
    // Only stop a task once its failing records are out of DNS; any others go when its agent sees the stop.
    if (!recordKeys.every((k) => deletedKeys.has(k))) continue;
    try {
      await stopper?.stopTask(task, reason);
      tasksStopped++;
      log.warn({ task: task.taskArn, reason }, "stopped unhealthy task");
    } catch (err) {
      tasksStopFailed++;
      log.warn({ task: task.taskArn, err }, "could not stop unhealthy task");
    }
  }
  return {
    deleted: {
      total: deletedKeys.size,
      byReason,
      vanished: outcome.vanished.length,
      keptAfterChange: outcome.keptAfterChange.length,
      failed: outcome.failed.length,
    },
    tasksStopped,
    tasksStopFailed,
    verdicts: { written, ...verdicts },
  };
}

/** Deletes the verdict markers the plan lifts (instance passed again) or clears (instance gone). */
async function liftVerdicts(
  plan: ReconcilePlan,
  zone: ReconcilerZone,
  log: Logger,
): Promise<{ lifted: number; cleared: number }> {
  if (plan.markerDeletes.length === 0) return { lifted: 0, cleared: 0 };
  const byKey = new Map(plan.markerDeletes.map((d) => [d.key, d]));
  // A marker is ours alone: whatever it says now, the plan's reason still holds.
  const outcome = await zone.deleteRecordSets(
    plan.markerDeletes.map((d) => d.set),
    () => true,
  );
  let lifted = 0;
  let cleared = 0;
  for (const set of outcome.deleted) {
    const d = byKey.get(recordSetKey(set));
    if (!d) continue;
    if (d.reason === "recovered") lifted++;
    else cleared++;
    log.info(
      { record: d.key, reason: d.reason },
      d.reason === "recovered"
        ? "lifted health verdict: the instance passes again and its agent writes it back"
        : "removed health verdict: its instance is gone",
    );
  }
  for (const f of outcome.failed)
    log.warn({ record: recordSetKey(f.set), error: f.error }, "could not remove health verdict");
  return { lifted, cleared };
}

function mergeOutcomes(...outcomes: (ZoneDeleteOutcome | undefined)[]): ZoneDeleteOutcome {
  const present = outcomes.filter((o): o is ZoneDeleteOutcome => o !== undefined);
  return {
    deleted: present.flatMap((o) => o.deleted),
    vanished: present.flatMap((o) => o.vanished),
    keptAfterChange: present.flatMap((o) => o.keptAfterChange),
    failed: present.flatMap((o) => o.failed),
  };
}

function sameValues(a: ZoneRecordSet, b: ZoneRecordSet): boolean {
  const values = (set: ZoneRecordSet) => JSON.stringify((set.ResourceRecords ?? []).map((r) => r.Value));
  return values(a) === values(b);
}
