// Stopping an unhealthy task on AWS: one ECS StopTask per task, counted and retried like every API request.
import { type ECSClient, StopTaskCommand } from "@aws-sdk/client-ecs";
import type { ApiCalls } from "./apiCalls";
import type { LiveTask } from "./inventory";
import type { TaskStopper } from "./taskStopper";

/** StopTask keeps at most 255 characters of a reason. */
const MAX_STOP_REASON = 255;

export class EcsTaskStopper implements TaskStopper {
  constructor(
    private readonly ecs: ECSClient,
    private readonly calls: ApiCalls,
  ) {}

  async stopTask(task: LiveTask, reason: string): Promise<void> {
    await this.calls.call("StopTask", () =>
      this.ecs.send(
        new StopTaskCommand({
          cluster: task.cluster,
          task: task.taskArn,
          reason: reason.slice(0, MAX_STOP_REASON),
        }),
      ),
    );
  }
}
