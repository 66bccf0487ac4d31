// The port that stops tasks whose instances fail their health checks; ecsTaskStopper.ts implements it with
// ECS StopTask. Absent where nothing may be stopped (the local stack never stops containers on its own).
import type { LiveTask } from "./inventory";

export interface TaskStopper {
  /** Stops the task with a reason people will read in the ECS console. */
  stopTask(task: LiveTask, reason: string): Promise<void>;
}
