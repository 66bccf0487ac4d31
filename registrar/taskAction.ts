// What one task event asks of the zone: register the task's records, remove them, or nothing. Events arrive
// late, twice and out of order, and anyone with invoke rights can send one, so the event only orders: it says
// which task to look at, and its `version` tells a stale event from one DescribeTasks has not caught up with.
// What is registered (address, state, definition) is DescribeTasks' alone. A stale RUNNING therefore never
// re-registers a task that has since been told to stop, and no event registers an address ECS did not give.
// Pure: a table of states, tested as one.
import { isStopping, type TaskStateChange, type TaskStatus } from "./taskStateChange";

/** The task as DescribeTasks returns it now (only what is read here), or "missing" when ECS no longer has it. */
export type DescribedTask =
  | {
      /** Absent when DescribeTasks gave none: then it is taken as newer than any event. */
      version?: number;
      lastStatus: TaskStatus;
      desiredStatus: TaskStatus;
      healthStatus?: string;
      eniAddress?: string;
      /** The AZ the task runs in, by name (us-east-1a); absent where ECS gives none. */
      availabilityZone?: string;
      /** The task's definition, which says what it declares. */
      taskDefinitionArn: string;
      /** Environment given at RunTask/StartTask per container, as DescribeTasks returns it. */
      containerOverrides: TaskStateChange["containerOverrides"];
    }
  | "missing";

export type TaskAction =
  | { action: "register"; address: string; version: number }
  | { action: "deregister"; version: number; reason: string }
  | { action: "none"; reason: string }
  /** DescribeTasks has not caught up with the event: ask again later (the invocation fails and is retried). */
  | { action: "retry"; reason: string };

type EventState = Pick<TaskStateChange, "version" | "lastStatus" | "desiredStatus">;

/**
 * Decides from the event and the described task. `healthChecked`: some container of the task declares an ECS
 * health check, so the task is registered only once ECS calls it HEALTHY (nothing enters DNS before it can
 * serve).
 */
export function taskAction(event: EventState, described: DescribedTask, healthChecked: boolean): TaskAction {
  if (described === "missing") {
    return { action: "deregister", version: event.version, reason: "ECS no longer knows the task" };
  }
  const version = Math.max(described.version ?? event.version, event.version);
  if (isStopping(described)) {
    return {
      action: "deregister",
      version,
      reason: `desired ${described.desiredStatus}, last ${described.lastStatus}`,
    };
  }
  // Without a version, the description (read after the event) is taken as the newer view.
  if (described.version !== undefined && described.version < event.version) {
    // Leaving DNS early is the safe direction, and it keeps the drain ECS's first stopping event allows.
    if (isStopping(event)) {
      return {
        action: "deregister",
        version,
        reason: `the event says desired ${event.desiredStatus}, last ${event.lastStatus}; DescribeTasks has not caught up`,
      };
    }
    return {
      action: "retry",
      reason: `DescribeTasks answered version ${described.version}, older than the event's ${event.version}: ECS has not caught up`,
    };
  }
  if (healthChecked && described.healthStatus === "UNHEALTHY") {
    return { action: "deregister", version, reason: "ECS reports the task UNHEALTHY" };
  }
  if (described.lastStatus !== "RUNNING")
    return { action: "none", reason: `the task is ${described.lastStatus}` };
  if (healthChecked && described.healthStatus !== "HEALTHY") {
    return {
      action: "none",
      reason: `the task is RUNNING but not yet HEALTHY (${described.healthStatus ?? "UNKNOWN"})`,
    };
  }
  if (described.eniAddress === undefined)
    return { action: "none", reason: "the task has no ENI address yet" };
  return { action: "register", address: described.eniAddress, version };
}
