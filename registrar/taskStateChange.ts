// Reads an EventBridge "ECS Task State Change" event into what the registrar acts on. The shape is AWS's
// (the event's `detail` is a Task as DescribeTasks returns it); ECS adds fields over time, so unknown ones are
// ignored, and a field we rely on that is missing or of the wrong type is one specific TaskEventError.
// Pure: no I/O, so every entry point (Lambda, `ecssd task-event`, the local stack) reads events the same way.
import { isIPv4 } from "node:net";
import { familyFromTaskDefinitionArn, taskIdFromArn } from "../records";

export type TaskStatus =
  | "PROVISIONING"
  | "PENDING"
  | "ACTIVATING"
  | "RUNNING"
  | "DEACTIVATING"
  | "STOPPING"
  | "DEPROVISIONING"
  | "STOPPED"
  | "DELETED";

const STATUSES: ReadonlySet<string> = new Set<TaskStatus>([
  "PROVISIONING",
  "PENDING",
  "ACTIVATING",
  "RUNNING",
  "DEACTIVATING",
  "STOPPING",
  "DEPROVISIONING",
  "STOPPED",
  "DELETED",
]);

export interface TaskContainerState {
  name: string;
  lastStatus?: string;
  /** HEALTHY, UNHEALTHY or UNKNOWN; absent when the container declares no ECS health check. */
  healthStatus?: string;
}

export interface TaskStateChange {
  /** The EventBridge event id: the same for a redelivered event. */
  eventId: string;
  clusterArn: string;
  taskArn: string;
  /** The last part of the task ARN. */
  taskId: string;
  taskDefinitionArn: string;
  /** The task definition's family, from its ARN (`task-definition/<family>:<revision>`). */
  family: string;
  /**
   * Increases by one at every change of the task; a later event for the same task carries a higher version,
   * which is how a late or repeated event is told from a newer one.
   */
  version: number;
  lastStatus: TaskStatus;
  desiredStatus: TaskStatus;
  launchType?: string;
  /** The task's health: HEALTHY only when every essential container with a health check passes it. */
  healthStatus?: string;
  /** The private IPv4 address of the task's ENI (awsvpc tasks), once ECS has attached it. */
  eniAddress?: string;
  /** The AZ the task runs in, by name (us-east-1a): the registrar maps it to the AZ ID of its AZ set. */
  availabilityZone?: string;
  containers: TaskContainerState[];
  /** Environment given at RunTask/StartTask per container; it overrides the task definition's. */
  containerOverrides: { name: string; environment: Map<string, string> }[];
}

export class TaskEventError extends Error {
  override name = "TaskEventError";
  constructor(
    /** The path of the field at fault, e.g. `detail.version`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export const TASK_STATE_CHANGE = { source: "aws.ecs", detailType: "ECS Task State Change" } as const;

const CLUSTER_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/[A-Za-z0-9_-]{1,255}$/;
/** Longest text kept in an error message: events are input from outside, and log lines stay bounded. */
const SHOWN = 80;

type Json = Record<string, unknown>;

function shown(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
  return text.length > SHOWN ? `${text.slice(0, SHOWN)}…` : text;
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function field<T>(obj: Json, key: string, path: string, check: (v: unknown) => v is T, what: string): T {
  const v = obj[key];
  if (!check(v)) {
    throw new TaskEventError(
      `${path}.${key}`,
      v === undefined ? `missing (${what})` : `must be ${what}, got ${shown(v)}`,
    );
  }
  return v;
}

function optionalString(obj: Json, key: string, path: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new TaskEventError(`${path}.${key}`, `must be a string, got ${shown(v)}`);
  return v;
}

const isString = (v: unknown): v is string => typeof v === "string" && v.length > 0;

function matching(value: string, path: string, pattern: RegExp, what: string): RegExpExecArray {
  const m = pattern.exec(value);
  if (!m) throw new TaskEventError(path, `must be ${what}, got ${shown(value)}`);
  return m;
}

function status(obj: Json, key: string): TaskStatus {
  const v = field(obj, key, "detail", isString, "a task status such as RUNNING");
  if (!STATUSES.has(v)) throw new TaskEventError(`detail.${key}`, `is not a task status: ${shown(v)}`);
  return v as TaskStatus;
}

const ENI_TYPES: ReadonlySet<string> = new Set(["eni", "ElasticNetworkInterface"]);

/** The ENI attachment's privateIPv4Address; absent before ECS attaches the interface. */
function eniAddress(detail: Json): string | undefined {
  const attachments = detail.attachments;
  if (attachments === undefined || attachments === null) return undefined;
  if (!Array.isArray(attachments)) throw new TaskEventError("detail.attachments", "must be a list");
  for (const [i, a] of attachments.entries()) {
    // Events say "eni"; DescribeTasks says "ElasticNetworkInterface" for the same attachment.
    if (!isObject(a) || !ENI_TYPES.has(String(a.type)) || !Array.isArray(a.details)) continue;
    for (const d of a.details) {
      if (isObject(d) && d.name === "privateIPv4Address") {
        if (typeof d.value !== "string" || !isIPv4(d.value)) {
          throw new TaskEventError(
            `detail.attachments[${i}].details.privateIPv4Address`,
            `must be an IPv4 address, got ${shown(d.value)}`,
          );
        }
        return d.value;
      }
    }
  }
  return undefined;
}

function containers(detail: Json): TaskContainerState[] {
  const list = detail.containers ?? [];
  if (!Array.isArray(list)) throw new TaskEventError("detail.containers", "must be a list");
  return list.map((c, i) => {
    const path = `detail.containers[${i}]`;
    if (!isObject(c)) throw new TaskEventError(path, "must be an object");
    const state: TaskContainerState = { name: field(c, "name", path, isString, "the container's name") };
    const lastStatus = optionalString(c, "lastStatus", path);
    const healthStatus = optionalString(c, "healthStatus", path);
    if (lastStatus !== undefined) state.lastStatus = lastStatus;
    if (healthStatus !== undefined) state.healthStatus = healthStatus;
    return state;
  });
}

function containerOverrides(detail: Json): TaskStateChange["containerOverrides"] {
  const overrides = detail.overrides;
  if (overrides === undefined || overrides === null) return [];
  if (!isObject(overrides)) throw new TaskEventError("detail.overrides", "must be an object");
  const list = overrides.containerOverrides ?? [];
  if (!Array.isArray(list)) throw new TaskEventError("detail.overrides.containerOverrides", "must be a list");
  return list.map((o, i) => {
    const path = `detail.overrides.containerOverrides[${i}]`;
    if (!isObject(o)) throw new TaskEventError(path, "must be an object");
    const name = field(o, "name", path, isString, "the container's name");
    const environment = new Map<string, string>();
    const env = o.environment ?? [];
    if (!Array.isArray(env)) throw new TaskEventError(`${path}.environment`, "must be a list");
    for (const [j, kv] of env.entries()) {
      if (!isObject(kv) || typeof kv.name !== "string" || typeof kv.value !== "string") {
        throw new TaskEventError(`${path}.environment[${j}]`, "must be {name, value} strings");
      }
      environment.set(kv.name, kv.value);
    }
    return { name, environment };
  });
}

/**
 * Reads one EventBridge event. Throws TaskEventError for an event that is not an ECS Task State Change or
 * lacks what the registrar needs; the message names the field.
 */
export function parseTaskStateChange(event: unknown): TaskStateChange {
  if (!isObject(event)) throw new TaskEventError("event", `must be a JSON object, got ${shown(event)}`);
  if (event.source !== TASK_STATE_CHANGE.source || event["detail-type"] !== TASK_STATE_CHANGE.detailType) {
    throw new TaskEventError(
      "detail-type",
      `must be "${TASK_STATE_CHANGE.detailType}" from "${TASK_STATE_CHANGE.source}", got ${shown(event["detail-type"])} from ${shown(event.source)}`,
    );
  }
  const eventId = field(event, "id", "event", isString, "the event id");
  const detail = field(event, "detail", "event", isObject, "an object");
  const task = readTask(detail);
  return { eventId, ...task, version: task.version as number };
}

/** A task as read from an event's detail or DescribeTasks; `version` is absent only where allowed. */
export type ReadTask = Omit<TaskStateChange, "eventId" | "version"> & { version?: number };

/**
 * Reads a Task: the `detail` of a Task State Change event, or one task of DescribeTasks (the same shape; ECS
 * documents the event's detail as the task). Error paths say `detail.` either way.
 */
export function readTask(
  detail: unknown,
  options: { versionRequired: boolean } = { versionRequired: true },
): ReadTask {
  if (!isObject(detail)) throw new TaskEventError("detail", `must be an object, got ${shown(detail)}`);
  const clusterArn = field(detail, "clusterArn", "detail", isString, "the cluster's ARN");
  matching(clusterArn, "detail.clusterArn", CLUSTER_ARN, "an ECS cluster ARN");
  const taskArn = field(detail, "taskArn", "detail", isString, "the task's ARN");
  // The one reading of task ARNs, shared with the agent and the reconciler.
  const taskId = taskIdFromArn(taskArn);
  if (taskId === undefined)
    throw new TaskEventError("detail.taskArn", `must be an ECS task ARN, got ${shown(taskArn)}`);
  const taskDefinitionArn = field(
    detail,
    "taskDefinitionArn",
    "detail",
    isString,
    "the task definition's ARN",
  );
  // The one reading of task definition ARNs, shared with the reconciler's ownership check.
  const family = familyFromTaskDefinitionArn(taskDefinitionArn);
  if (family === undefined) {
    throw new TaskEventError(
      "detail.taskDefinitionArn",
      `must be a task definition ARN ending in <family>:<revision>, got ${shown(taskDefinitionArn)}`,
    );
  }
  // DescribeTasks is read after the event, so a described task without a version (some ECS emulators leave
  // it out) is taken as the current state; an event must carry one, or it cannot be ordered.
  const version =
    detail.version === undefined && !options.versionRequired
      ? undefined
      : field(
          detail,
          "version",
          "detail",
          (v): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0,
          "a non-negative integer",
        );
  const change: ReadTask = {
    clusterArn,
    taskArn,
    taskId,
    taskDefinitionArn,
    family,
    ...(version !== undefined && { version }),
    lastStatus: status(detail, "lastStatus"),
    desiredStatus: status(detail, "desiredStatus"),
    containers: containers(detail),
    containerOverrides: containerOverrides(detail),
  };
  const launchType = optionalString(detail, "launchType", "detail");
  const healthStatus = optionalString(detail, "healthStatus", "detail");
  const address = eniAddress(detail);
  const availabilityZone = optionalString(detail, "availabilityZone", "detail");
  if (availabilityZone !== undefined) change.availabilityZone = availabilityZone;
  if (launchType !== undefined) change.launchType = launchType;
  if (healthStatus !== undefined) change.healthStatus = healthStatus;
  if (address !== undefined) change.eniAddress = address;
  return change;
}

/** True when the task is on its way out: the first such event is the moment to leave DNS. */
export function isStopping(change: Pick<TaskStateChange, "desiredStatus" | "lastStatus">): boolean {
  return (
    change.desiredStatus === "STOPPED" || change.lastStatus === "STOPPED" || change.lastStatus === "DELETED"
  );
}
