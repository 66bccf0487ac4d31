// Carries out a plan through the ports: write the verdicts of failing instances, delete the planned record
// sets, then stop the planned tasks whose failing records are gone. It decides nothing the plan has not
// decided; it reports what happened, and leaves whatever fails between two requests safe for the next run.
import type { Logger } from "pino";
import { type RecordSet, recordSetKey, type ZoneRecordSet } from "../records";
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
  /**
   * Verdict markers: written for an unhealthy instance that is now out of DNS, lifted after a pass, cleared
   * when it is gone.
   */
  readonly verdicts: { readonly written: number; readonly lifted: number; readonly cleared: number };
  /**
   * The zone refused verdict markers for its record-set quota: their failing instances stay in DNS (an
   * instance leaves only with its verdict) until the quota is raised or room is made.
   */
  readonly zoneFull: boolean;
}

/** The outcome of a plan that was not applied (a dry run, or the safety valve tripped). */
export function nothingApplied(): ApplyOutcome {
  return {
    deleted: { total: 0, byReason: zeroReasons(), vanished: 0, keptAfterChange: 0, failed: 0 },
    tasksStopped: 0,
    tasksStopFailed: 0,
    verdicts: { written: 0, lifted: 0, cleared: 0 },
    zoneFull: false,
  };
}

/**
 * Writes the verdicts, deletes, then stops. `stopper` is absent where nothing may be stopped.
 *
 * A failing instance leaves in two requests, because IAM can hold the reconciler to writing TXT markers only
 * when a request holds nothing else (infra/policies.ts): first its verdict marker (TXT UPSERTs alone), then
 * its SRV set with every other deletion of the run (DELETEs alone). Between and after the two, each outcome
 * is left safe, and the next run (or the instance's agent) finishes it:
 * - marker not written: the instance is not deleted either (its agent would write it back); the next run
 *   judges it again;
 * - marker written, instance deleted or already gone: the verdict holds it out until a run sees it pass;
 * - marker written, instance changed meanwhile (kept, as any unhealthy set that changed): the marker is taken
 *   back, for the verdict was on the endpoint that was checked;
 * - marker written, delete failed (throttled past every retry): marker and instance both stay. The agent
 *   deletes a held instance at its next read of the zone; the next run deletes it (still failing: its
 *   verdict is written again) or lifts the marker (it passes).
 */
export async function applyPlan(
  plan: ReconcilePlan,
  ports: { readonly zone: ReconcilerZone; readonly stopper?: TaskStopper },
  log: Logger,
): Promise<ApplyOutcome> {
  if (plan.deletes.length === 0 && plan.markerDeletes.length === 0) return nothingApplied();
  const planned = new Map<string, PlannedDelete>(plan.deletes.map((d) => [d.key, d]));
  const markedOut = await writeVerdicts(plan, ports.zone, log);
  // One pass of DELETEs: stale sets, failing instances whose verdict is in, unused host records, and the
  // markers lifted or cleared. A marker is ours alone: whatever it says now, the plan's reason still holds.
  const going = plan.deletes.filter((d) => d.marker === undefined || markedOut.ready.has(d.key));
  const stillDelete = (current: ZoneRecordSet, original: ZoneRecordSet) =>
    !planned.get(recordSetKey(original))?.onlyAsRead || sameValues(current, original);
  const outcome =
    going.length + plan.markerDeletes.length > 0
      ? await ports.zone.deleteRecordSets(
          [...going.map((d) => d.set), ...plan.markerDeletes.map((d) => d.set)],
          stillDelete,
        )
      : emptyOutcome();
  const ours = (set: ZoneRecordSet) => planned.has(recordSetKey(set));
  const verdicts = await settleVerdicts(plan, markedOut.ready, outcome, ports.zone, log);
  const byReason = zeroReasons();
  const deletedKeys = new Set<string>();
  for (const set of outcome.deleted.filter(ours)) {
    const d = planned.get(recordSetKey(set)) as PlannedDelete;
    deletedKeys.add(d.key);
    byReason[d.reason]++;
    log.info({ record: d.key, reason: d.reason }, "deleted record set");
  }
  const failed = outcome.failed.filter((f) => ours(f.set));
  for (const f of failed)
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
      vanished: outcome.vanished.filter(ours).length,
      keptAfterChange: outcome.keptAfterChange.filter(ours).length,
      // A failing instance whose verdict could not be written was not deleted either.
      failed: failed.length + markedOut.failed,
    },
    tasksStopped,
    tasksStopFailed,
    verdicts,
    zoneFull: markedOut.zoneFull,
  };
}

/**
 * The first request: the verdict markers of the failing instances, TXT UPSERTs alone. Returns the keys of
 * the instances whose marker is in, which may now be deleted, and how many could not be marked.
 */
async function writeVerdicts(
  plan: ReconcilePlan,
  zone: ReconcilerZone,
  log: Logger,
): Promise<{ ready: Set<string>; failed: number; zoneFull: boolean }> {
  const marked = plan.deletes.filter((d) => d.marker !== undefined);
  if (marked.length === 0) return { ready: new Set(), failed: 0, zoneFull: false };
  const outcome = await zone.writeMarkers(marked.map((d) => d.marker as RecordSet));
  const written = new Set(outcome.written.map(recordSetKey));
  const ready = new Set(
    marked.filter((d) => written.has(recordSetKey(d.marker as RecordSet))).map((d) => d.key),
  );
  for (const f of outcome.failed)
    log.warn(
      { record: recordSetKey(f.set), error: f.error },
      "could not write health verdict: its failing instance stays in DNS until a run can",
    );
  return { ready, failed: marked.length - ready.size, zoneFull: outcome.zoneFull === true };
}

/**
 * After the DELETEs: counts the verdicts written (the instance is out, or already was), takes back the
 * markers of instances that changed meanwhile and stayed, and counts the markers lifted and cleared.
 */
async function settleVerdicts(
  plan: ReconcilePlan,
  ready: ReadonlySet<string>,
  outcome: ZoneDeleteOutcome,
  zone: ReconcilerZone,
  log: Logger,
): Promise<ApplyOutcome["verdicts"]> {
  const markerOf = new Map(
    plan.deletes.flatMap((d) => (d.marker && ready.has(d.key) ? [[d.key, d.marker]] : [])),
  );
  const written = [...outcome.deleted, ...outcome.vanished].filter((s) =>
    markerOf.has(recordSetKey(s)),
  ).length;
  for (const f of outcome.failed) {
    if (!markerOf.has(recordSetKey(f.set))) continue;
    log.warn(
      { record: recordSetKey(f.set), error: f.error },
      "wrote a health verdict but could not delete its instance: its agent takes it out at its next read of the zone, or the next run does",
    );
  }
  const takeBack = outcome.keptAfterChange.flatMap((s) => markerOf.get(recordSetKey(s)) ?? []);
  if (takeBack.length > 0) {
    const back = await zone.deleteRecordSets(takeBack, () => true);
    for (const set of back.deleted)
      log.info(
        { record: recordSetKey(set) },
        "took a health verdict back: its instance changed since it was checked",
      );
    for (const f of back.failed)
      log.warn(
        { record: recordSetKey(f.set), error: f.error },
        "could not take back a health verdict: the next run lifts it once its instance passes",
      );
  }

  const byKey = new Map(plan.markerDeletes.map((d) => [d.key, d]));
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
    if (byKey.has(recordSetKey(f.set)))
      log.warn({ record: recordSetKey(f.set), error: f.error }, "could not remove health verdict");
  return { written, lifted, cleared };
}

function emptyOutcome(): ZoneDeleteOutcome {
  return { deleted: [], vanished: [], keptAfterChange: [], failed: [] };
}

function sameValues(a: ZoneRecordSet, b: ZoneRecordSet): boolean {
  const values = (set: ZoneRecordSet) => JSON.stringify((set.ResourceRecords ?? []).map((r) => r.Value));
  return values(a) === values(b);
}
