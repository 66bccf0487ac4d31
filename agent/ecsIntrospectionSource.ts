// A ContainerSource that asks ECS before the core believes a container's ECS labels. Anyone who can reach the
// Docker engine (a task that mounts its socket, or runs privileged) can start a container labelled as another
// task definition's family; the ECS agent on the host knows which containers it started, and for which task.
// A container that carries neither ECS label is passed through unchanged: it claims no family, and the owners
// map treats it as it treats any container without one.
import { type ContainerDescription, type ContainerSource, shortId } from "./containerSource";
import {
  type ConfirmableDescription,
  claimsEcsTask,
  ECS_FAMILY_LABEL,
  ECS_TASK_ARN_LABEL,
  type EcsConfirmation,
  isAwsvpcTaskContainer,
} from "./desiredState";
import type { EcsTaskAnswer, EcsTaskDirectory } from "./ecsIntrospection";

/**
 * What ECS's answer means for a container's labels: confirmed only when ECS lists the container, under the
 * task and family its labels name (ECS writes both labels itself, so a difference means they were not ECS's).
 */
export function judgeEcsLabels(c: ContainerDescription, answer: EcsTaskAnswer): EcsConfirmation {
  const labels = c.Config?.Labels ?? {};
  switch (answer.status) {
    case "unavailable":
      return {
        confirmed: false,
        code: "ecs-task-unconfirmed",
        message:
          "the ECS agent cannot be asked about this container's task (see its own warning): not registered until it answers",
      };
    case "unknown":
      return {
        confirmed: false,
        code: "ecs-task-unknown",
        message: `the ECS agent does not list this container, so its ${ECS_FAMILY_LABEL} label is not ECS's: not registered`,
      };
    case "known": {
      const arn = labels[ECS_TASK_ARN_LABEL];
      const family = labels[ECS_FAMILY_LABEL];
      if (
        (arn !== undefined && arn !== answer.task.taskArn) ||
        (family !== undefined && family !== answer.task.family)
      ) {
        return {
          confirmed: false,
          code: "ecs-task-unknown",
          message: `the ECS agent lists this container under family ${answer.task.family}, not as its labels say: not registered`,
        };
      }
      return { confirmed: true };
    }
  }
}

/** Wraps `inner`: each running container that claims an ECS task comes back with ECS's verdict on the claim. */
export class EcsConfirmedSource implements ContainerSource {
  constructor(
    private readonly inner: ContainerSource,
    private readonly ecs: EcsTaskDirectory,
  ) {}

  subscribe: ContainerSource["subscribe"] = (onEvent, onEnd) => this.inner.subscribe(onEvent, onEnd);

  listRunning(): Promise<string[]> {
    return this.inner.listRunning();
  }

  async inspect(id: string): Promise<ConfirmableDescription | undefined> {
    const desc = await this.inner.inspect(id);
    // awsvpc containers are the registrar's, and stopped ones publish nothing: neither needs ECS's word.
    if (!desc?.State?.Running || !claimsEcsTask(desc) || isAwsvpcTaskContainer(desc)) return desc;
    const answer = await this.ecs.taskOf(desc.Id).catch(
      (err: unknown): EcsTaskAnswer => ({
        status: "unavailable",
        reason: `${shortId(desc.Id)}: ${(err as Error).message}`,
      }),
    );
    return { ...desc, ecsConfirmation: judgeEcsLabels(desc, answer) };
  }
}
