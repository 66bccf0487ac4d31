// The registrar's core: one ECS Task State Change event in, the task's records registered, removed or left
// alone. It knows nothing of AWS: the task and its definition come through a TaskSource, the zone through a
// TaskZone (the Lambda and `ecssd task-event` give it ECS and Route53; the local stack its containers).
//
// The event is only a prompt: it says which task to look at, and its `version` orders it. What is registered
// (the address, the definition and so the declarations, the overrides, the state) is what DescribeTasks says
// now, never what the event says: anyone who may invoke the registrar can send an event. A late or repeated
// RUNNING never brings back a task told to stop. After a registration the task is described once more: a stop
// that raced the write (another invocation deleted the records before this one's UPSERT landed) is caught here
// and undone, not left to the reconciler.
import { familyFromTaskDefinitionArn, problem, type RecordSet } from "../records";
import type { AvailabilityZoneIds } from "./availabilityZoneIds";
import { type DescribedTask, taskAction } from "./taskAction";
import { isAwsvpc, type TaskDefinitionShape, taskOffers } from "./taskDeclarations";
import { type TaskRecordSettings, type TaskRecords, taskRecordSets } from "./taskRecords";
import { parseTaskStateChange } from "./taskStateChange";

/** Where the registrar reads tasks. */
export interface TaskSource {
  /** The task as DescribeTasks returns it now, or "missing" when ECS no longer has it. */
  describeTask(clusterArn: string, taskArn: string): Promise<DescribedTask>;
  /** DescribeTaskDefinition's `taskDefinition` (a revision never changes: callers may cache it). */
  taskDefinition(taskDefinitionArn: string): Promise<TaskDefinitionShape>;
}

/** Where the registrar writes. Each call is one all-or-nothing change, or one read. */
export interface TaskZone {
  upsert(sets: readonly RecordSet[]): Promise<void>;
  /** DELETEs exactly these sets; false when Route53 rejected the batch (a set was not there as given). */
  deleteExactly(sets: readonly RecordSet[]): Promise<boolean>;
  /** The record sets at these names whose SetIdentifier belongs to this task. */
  taskSets(names: readonly string[], taskId: string): Promise<RecordSet[]>;
}

/** What shapes the task's records (zone, TTL, routing, service owners), and which clusters are ours. */
export interface RegistrarSettings extends TaskRecordSettings {
  /** Cluster ARNs or names whose tasks are ours (none: every cluster, as the reconciler reads them all). */
  clusters: readonly string[];
}

export interface RegistrarDeps {
  tasks: TaskSource;
  zone: TaskZone;
  /**
   * AZ names → AZ IDs (availabilityZoneIds.ts), for each task's AZ set beside its A record; none: no task gets
   * one, and nothing is said of it.
   */
  zones?: AvailabilityZoneIds;
}

export type EventOutcome = "registered" | "deregistered" | "waiting" | "ignored";

/** What one event did, for the log line and the caller's summary. */
export interface EventResult {
  outcome: EventOutcome;
  reason: string;
  taskId?: string;
  version?: number;
  /** Record sets written or deleted. */
  records: number;
  services: string[];
  problems: TaskRecords["problems"];
  /**
   * Declared ports left out by ECSSD_MAX_PORTS_PER_CONTAINER, when the event wrote (or tried to write) the
   * task's records: each `too-many-ports` problem above says which container and how many.
   */
  portsOverCap?: number;
}

/** DescribeTasks is behind the event: the invocation fails, and the retry finds ECS caught up. */
export class TaskNotCaughtUpError extends Error {
  override name = "TaskNotCaughtUpError";
}

function ourCluster(clusterArn: string, clusters: readonly string[]): boolean {
  if (clusters.length === 0) return true;
  const name = clusterArn.slice(clusterArn.indexOf("/") + 1);
  return clusters.some((c) => c === clusterArn || c === name);
}

/** Applies one EventBridge event. Throws TaskEventError for a malformed event, and any AWS error as is (retry). */
export async function applyTaskEvent(
  event: unknown,
  deps: RegistrarDeps,
  settings: RegistrarSettings,
): Promise<EventResult> {
  const change = parseTaskStateChange(event);
  const base = { taskId: change.taskId, version: change.version, records: 0, services: [], problems: [] };
  if (!ourCluster(change.clusterArn, settings.clusters)) {
    return { ...base, outcome: "ignored", reason: `cluster ${change.clusterArn} is not one of ours` };
  }
  // The event's definition (cached) only sets bridge and host tasks, the agent's, aside before any
  // DescribeTasks; an event that names the wrong one can at most have its task ignored.
  const named = await deps.tasks.taskDefinition(change.taskDefinitionArn);
  const notOurs = (networkMode: string | undefined): EventResult => ({
    ...base,
    outcome: "ignored",
    reason: `network mode ${networkMode ?? "bridge"}: the agent on its host registers it`,
  });
  if (!isAwsvpc(named)) return notOurs(named.networkMode);
  const described = await deps.tasks.describeTask(change.clusterArn, change.taskArn);
  // A task ECS no longer knows: its own sets go, found at the names the event's definition gives (deleting
  // what a task no longer running has is safe whoever asks).
  const task = described === "missing" ? change : described;
  const definition =
    task.taskDefinitionArn === change.taskDefinitionArn
      ? named
      : await deps.tasks.taskDefinition(task.taskDefinitionArn);
  if (!isAwsvpc(definition)) return notOurs(definition.networkMode);
  const family = familyFromTaskDefinitionArn(task.taskDefinitionArn);
  if (family === undefined)
    throw new Error(`DescribeTasks gave no task definition ARN for ${change.taskArn}`);
  const offers = taskOffers(definition, task.containerOverrides);
  const healthChecked = offers.some((o) => o.hasHealthCheck);
  const action = taskAction(change, described, healthChecked);
  if (action.action === "retry") throw new TaskNotCaughtUpError(`${change.taskArn}: ${action.reason}`);
  if (action.action === "none") {
    return { ...base, outcome: "waiting", reason: action.reason };
  }
  const identity = { taskId: change.taskId, family };
  const az = await azIdOfTask(deps.zones, task);
  const azId = az && "azId" in az ? az.azId : undefined;
  const removal = { deployment: settings.deployment, azUnknown: az !== undefined && "problem" in az };
  if (action.action === "deregister") {
    // The address and AZ only make the exact DELETE match at once; the task's sets are read back when it does not.
    const address = described === "missing" ? change.eniAddress : described.eniAddress;
    const planned = taskRecordSets(identity, address, offers, settings, azId);
    const records = await deregister(deps.zone, change.taskId, planned, removal);
    return {
      ...base,
      version: action.version,
      outcome: "deregistered",
      reason: action.reason,
      records,
      services: planned.services,
    };
  }
  const planned = taskRecordSets(identity, action.address, offers, settings, azId);
  const overCap = planned.portsOverCap > 0 && { portsOverCap: planned.portsOverCap };
  // A task whose AZ is not known is registered all the same, without its AZ set, and the line says why.
  if (az && "problem" in az && planned.recordSets.length > 0)
    planned.problems.push({
      ...problem("unknown-az-id", "availabilityZone", `no AZ set is written: ${az.problem}`),
      container: "(task)",
    });
  if (planned.recordSets.length === 0) {
    return {
      ...base,
      outcome: "ignored",
      reason: "the task declares no service (SERVICE_<port>_NAME) that can be registered",
      problems: planned.problems,
      ...overCap,
    };
  }
  await deps.zone.upsert(planned.recordSets);
  const after = await deps.tasks.describeTask(change.clusterArn, change.taskArn);
  const recheck = taskAction({ ...change, version: action.version }, after, healthChecked);
  if (recheck.action === "deregister") {
    const records = await deregister(deps.zone, change.taskId, planned, removal);
    return {
      ...base,
      version: recheck.version,
      outcome: "deregistered",
      reason: `stopped while registering: ${recheck.reason}`,
      records,
      services: planned.services,
      problems: planned.problems,
      ...overCap,
    };
  }
  return {
    ...base,
    version: action.version,
    outcome: "registered",
    reason: `RUNNING at ${action.address}`,
    records: planned.recordSets.length,
    services: planned.services,
    problems: planned.problems,
    ...overCap,
  };
}

/**
 * The AZ ID of the task's AZ (DescribeTasks' `availabilityZone`, a name), or why there is none; undefined when
 * the registrar maps no AZs at all.
 */
async function azIdOfTask(
  zones: AvailabilityZoneIds | undefined,
  task: { availabilityZone?: string },
): Promise<{ azId: string } | { problem: string } | undefined> {
  if (zones === undefined) return undefined;
  if (task.availabilityZone === undefined) return { problem: "ECS names no availabilityZone for the task" };
  return zones.idOf(task.availabilityZone);
}

/**
 * Removes the task's record sets. The sets it should have are deleted exactly, in one request; when Route53
 * rejects that (already gone: a repeated stop; or written with other settings), the task's sets are read at
 * their names and those found are deleted as read. Returns the number deleted. `azUnknown`: the task's AZ could
 * not be looked up now, so the plan has no AZ set, though the task may have been registered with one.
 */
async function deregister(
  zone: TaskZone,
  taskId: string,
  planned: TaskRecords,
  { deployment, azUnknown }: { deployment: string | undefined; azUnknown: boolean },
): Promise<number> {
  const expected = planned.recordSets;
  if (expected.length > 0 && (await zone.deleteExactly(expected))) {
    if (deployment === undefined && !azUnknown) return expected.length;
    // Sets the plan could not name may be left beside these, at the task's own name: with a deployment, the
    // unattributed sets of a task registered before deployments had names (its A record would point at an
    // address ECS hands to another task); with its AZ unknown, the AZ set it was registered with. One read of
    // that name tells; only then is every name read and cleared.
    const [taskName] = planned.names;
    if (taskName === undefined || (await zone.taskSets([taskName], taskId)).length === 0)
      return expected.length;
    return expected.length + (await deleteTaskSets(zone, taskId, planned));
  }
  return deleteTaskSets(zone, taskId, planned);
}

/** Reads the task's sets at its names and deletes them as read; returns the number deleted. */
async function deleteTaskSets(zone: TaskZone, taskId: string, planned: TaskRecords): Promise<number> {
  if (planned.names.length === 0) return 0; // it declares nothing: it never had records
  // Read and delete what is there; a concurrent invocation for the same task (a stop racing a registration)
  // may delete or rewrite them meanwhile, so this is tried twice before the event is failed for a retry.
  for (let round = 0; round < 2; round++) {
    const found = await zone.taskSets(planned.names, taskId);
    if (found.length === 0) return 0;
    if (await zone.deleteExactly(found)) return found.length;
  }
  throw new Error(`the record sets of task ${taskId} kept changing while they were being deleted; retry`);
}
