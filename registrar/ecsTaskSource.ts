// The registrar's TaskSource over ECS: DescribeTasks for the task now, DescribeTaskDefinition for what it
// declares (cached: a task definition revision never changes, so one read serves every event of its tasks
// while the Lambda's container lives). Every request goes through the caller's counting, retrying `call`.
import { DescribeTaskDefinitionCommand, DescribeTasksCommand, type ECSClient } from "@aws-sdk/client-ecs";
import type { Route53Call } from "../route53/call";
import type { TaskSource } from "./registrar";
import type { DescribedTask } from "./taskAction";
import type { TaskDefinitionShape } from "./taskDeclarations";
import { readTask } from "./taskStateChange";

/** Task definitions kept; a cluster rarely runs more revisions than this at once. */
const DEFINITIONS_KEPT = 500;

export class EcsTaskSource implements TaskSource {
  private readonly definitions = new Map<string, Promise<TaskDefinitionShape>>();

  constructor(
    private readonly ecs: ECSClient,
    private readonly call: Route53Call,
  ) {}

  async describeTask(clusterArn: string, taskArn: string): Promise<DescribedTask> {
    const out = await this.call("DescribeTasks", () =>
      this.ecs.send(new DescribeTasksCommand({ cluster: clusterArn, tasks: [taskArn] })),
    );
    const task = (out.tasks ?? []).find((t) => t.taskArn === taskArn);
    if (task === undefined) {
      const failure = (out.failures ?? [])[0];
      if (failure === undefined || failure.reason === "MISSING") return "missing";
      throw new Error(`DescribeTasks of ${taskArn} failed: ${failure.reason ?? "no reason"}`);
    }
    // DescribeTasks returns the same Task shape the event carries as its detail: read it the same way.
    const t = readTask(JSON.parse(JSON.stringify(task)), { versionRequired: false });
    return {
      ...(t.version !== undefined && { version: t.version }),
      lastStatus: t.lastStatus,
      desiredStatus: t.desiredStatus,
      ...(t.healthStatus !== undefined && { healthStatus: t.healthStatus }),
      ...(t.eniAddress !== undefined && { eniAddress: t.eniAddress }),
      ...(t.availabilityZone !== undefined && { availabilityZone: t.availabilityZone }),
      taskDefinitionArn: t.taskDefinitionArn,
      containerOverrides: t.containerOverrides,
    };
  }

  taskDefinition(taskDefinitionArn: string): Promise<TaskDefinitionShape> {
    let found = this.definitions.get(taskDefinitionArn);
    if (found === undefined) {
      found = this.call("DescribeTaskDefinition", () =>
        this.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn })),
      ).then((out) => {
        if (!out.taskDefinition)
          throw new Error(`DescribeTaskDefinition of ${taskDefinitionArn} returned none`);
        return out.taskDefinition as TaskDefinitionShape;
      });
      // A failed read is not kept: the next event (or EventBridge's retry) asks again.
      found.catch(() => this.definitions.delete(taskDefinitionArn));
      if (this.definitions.size >= DEFINITIONS_KEPT) this.definitions.clear();
      this.definitions.set(taskDefinitionArn, found);
    }
    return found;
  }
}
