// What one task event asks of the zone: register the task's records, remove them, or nothing. Events arrive
// late, twice and out of order, so the event is only a prompt: the registrar also describes the task (the
// current truth) and acts on whichever of the two has the higher `version`. A stale RUNNING therefore never
// re-registers a task that has since been told to stop.
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
    }
  | "missing";

export type TaskAction =
  | { action: "register"; address: string; version: number }
  | { action: "deregister"; version: number; reason: string }
  | { action: "none"; reason: string };

type TaskState = Pick<
  TaskStateChange,
  "version" | "lastStatus" | "desiredStatus" | "healthStatus" | "eniAddress"
>;

/**
 * Decides from the event and the described task. `healthChecked`: some container of the task declares an ECS
 * health check, so the task is registered only once ECS calls it HEALTHY (nothing enters DNS before it can
 * serve).
 */
export function taskAction(event: TaskState, described: DescribedTask, healthChecked: boolean): TaskAction {
  if (described === "missing") {
    return { action: "deregister", version: event.version, reason: "ECS no longer knows the task" };
  }
  // The newer of the two views; on a tie the described task, which ECS wrote after the event.
  const describedIsNewer = described.version === undefined || described.version >= event.version;
  const now: TaskState = describedIsNewer
    ? { ...described, version: described.version ?? event.version }
    : event;
  // An ENI address seen in either view serves; it does not change during a task's life.
  const address = now.eniAddress ?? described.eniAddress ?? event.eniAddress;
  if (isStopping(now)) {
    return {
      action: "deregister",
      version: now.version,
      reason: `desired ${now.desiredStatus}, last ${now.lastStatus}`,
    };
  }
  if (healthChecked && now.healthStatus === "UNHEALTHY") {
    return { action: "deregister", version: now.version, reason: "ECS reports the task UNHEALTHY" };
  }
  if (now.lastStatus !== "RUNNING") return { action: "none", reason: `the task is ${now.lastStatus}` };
  if (healthChecked && now.healthStatus !== "HEALTHY") {
    return {
      action: "none",
      reason: `the task is RUNNING but not yet HEALTHY (${now.healthStatus ?? "UNKNOWN"})`,
    };
  }
  if (address === undefined) return { action: "none", reason: "the task has no ENI address yet" };
  return { action: "register", address, version: now.version };
}
