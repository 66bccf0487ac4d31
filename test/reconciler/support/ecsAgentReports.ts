// What the ECS agent on each host reports of its tasks' containers (their Docker ids, RUNNING, their network
// bindings), added to moto's DescribeTasks answers. In AWS these come from the agent's container state changes,
// which moto's server never receives: its tasks' containers stay PENDING without ids or bindings. Everything
// else (listing, placement, StopTask) stays moto's. Also makes DescribeTasks fail for chosen tasks, as ECS
// may for a task ListTasks has just returned.
import type { DescribeTasksCommandOutput, ECSClient, NetworkBinding } from "@aws-sdk/client-ecs";

export interface ContainerReport {
  /** The container's Docker id (64 hex). */
  readonly runtimeId: string;
  /** Default RUNNING. */
  readonly lastStatus?: string;
  readonly networkBindings?: readonly NetworkBinding[];
}

/** Adds the ECS agent's reports to `client`'s DescribeTasks answers, for as long as the client lives. */
export class EcsAgentReports {
  /** The containers of a task, by task ARN. */
  readonly containers = new Map<string, readonly ContainerReport[]>();
  /** Task ARNs DescribeTasks answers with a failure instead of the task. */
  readonly undescribed = new Set<string>();

  constructor(client: ECSClient) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === "DescribeTasksCommand")
          this.amend(result.output as DescribeTasksCommandOutput);
        return result;
      },
      { step: "initialize", name: "ecsAgentReports" },
    );
  }

  clear(): void {
    this.containers.clear();
    this.undescribed.clear();
  }

  private amend(out: DescribeTasksCommandOutput): void {
    const tasks = out.tasks ?? [];
    const failed = tasks.filter((t) => this.undescribed.has(t.taskArn ?? ""));
    out.tasks = tasks
      .filter((t) => !this.undescribed.has(t.taskArn ?? ""))
      .map((t) => {
        const reports = this.containers.get(t.taskArn ?? "");
        if (!reports) return t;
        return {
          ...t,
          containers: reports.map((r, i) => ({
            name: `c${i}`,
            runtimeId: r.runtimeId,
            lastStatus: r.lastStatus ?? "RUNNING",
            networkBindings: [...(r.networkBindings ?? [])],
          })),
        };
      });
    out.failures = [
      ...(out.failures ?? []),
      ...failed.map((t) => ({ arn: t.taskArn, reason: "MISSING", detail: "not described (test)" })),
    ];
  }
}

/** One container publishing container port 8080/tcp on `hostPort`, as a bridge-mode task's does. */
export function publishing8080(runtimeId: string, hostPort: number): ContainerReport {
  return {
    runtimeId,
    networkBindings: [{ bindIP: "0.0.0.0", containerPort: 8080, hostPort, protocol: "tcp" }],
  };
}
