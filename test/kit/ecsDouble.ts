// An in-process ECS for one SDK client (aws-sdk-client-mock on that instance only): pages as AWS documents
// (at most 100 per page, opaque tokens), rejects describes of more than 100, and can delay every answer.
// For sizes where moto's server is too slow (its DescribeTasks scans every task for each id asked).
import {
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListClustersCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
  StopTaskCommand,
} from "@aws-sdk/client-ecs";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";

export interface DoubleInstance {
  arn: string;
  ec2InstanceId: string;
  status: "ACTIVE" | "DRAINING" | "DEREGISTERING" | "INACTIVE";
}

export interface DoubleTask {
  arn: string;
  containerInstanceArn: string;
  desiredStatus: "RUNNING" | "STOPPED";
  runtimeIds?: string[];
  stoppedReason?: string;
}

export interface DoubleCluster {
  arn: string;
  instances: DoubleInstance[];
  tasks: DoubleTask[];
}

const PAGE = 100;

function page<T>(items: readonly T[], input: { nextToken?: string; maxResults?: number }) {
  const start = input.nextToken ? Number(input.nextToken.replace("tok-", "")) : 0;
  const end = start + Math.min(input.maxResults ?? PAGE, PAGE);
  return { items: items.slice(start, end), nextToken: end < items.length ? `tok-${end}` : undefined };
}

function tooMany(what: string): Error {
  return Object.assign(new Error(`${what} cannot contain more than ${PAGE} elements`), {
    name: "InvalidParameterException",
    $fault: "client",
    $metadata: { httpStatusCode: 400 },
  });
}

/** Serves `clusters` to `client` until the returned stub is restored. */
export function installEcsDouble(
  client: ECSClient,
  clusters: DoubleCluster[],
  options: { latencyMs?: number } = {},
): AwsClientStub<ECSClient> {
  const stub = mockClient(client);
  const delay = () => new Promise((r) => setTimeout(r, options.latencyMs ?? 0));
  const find = (c: string | undefined) => {
    const cluster = clusters.find((x) => x.arn === c || x.arn.endsWith(`/${c}`));
    if (!cluster) {
      throw Object.assign(new Error("Cluster not found."), {
        name: "ClusterNotFoundException",
        $fault: "client",
        $metadata: { httpStatusCode: 400 },
      });
    }
    return cluster;
  };
  stub.on(ListClustersCommand).callsFake(async (input) => {
    await delay();
    const p = page(
      clusters.map((c) => c.arn),
      input,
    );
    return { clusterArns: p.items, nextToken: p.nextToken };
  });
  stub.on(ListContainerInstancesCommand).callsFake(async (input) => {
    await delay();
    const c = find(input.cluster);
    const p = page(
      c.instances.filter((i) => i.status !== "INACTIVE").map((i) => i.arn),
      input,
    );
    return { containerInstanceArns: p.items, nextToken: p.nextToken };
  });
  stub.on(DescribeContainerInstancesCommand).callsFake(async (input) => {
    await delay();
    if ((input.containerInstances ?? []).length > PAGE) throw tooMany("containerInstances");
    const byArn = new Map(find(input.cluster).instances.map((i) => [i.arn, i]));
    return {
      containerInstances: (input.containerInstances ?? []).flatMap((arn: string) => {
        const i = byArn.get(arn);
        return i ? [{ containerInstanceArn: i.arn, ec2InstanceId: i.ec2InstanceId, status: i.status }] : [];
      }),
      failures: [],
    };
  });
  stub.on(ListTasksCommand).callsFake(async (input) => {
    await delay();
    const tasks = find(input.cluster).tasks.filter(
      (t) => !input.desiredStatus || t.desiredStatus === input.desiredStatus,
    );
    const p = page(
      tasks.map((t) => t.arn),
      input,
    );
    return { taskArns: p.items, nextToken: p.nextToken };
  });
  stub.on(DescribeTasksCommand).callsFake(async (input) => {
    await delay();
    if ((input.tasks ?? []).length > PAGE) throw tooMany("tasks");
    const byArn = new Map(find(input.cluster).tasks.map((t) => [t.arn, t]));
    return {
      tasks: (input.tasks ?? []).flatMap((arn: string) => {
        const t = byArn.get(arn);
        if (!t) return [];
        return [
          {
            taskArn: t.arn,
            desiredStatus: t.desiredStatus,
            containerInstanceArn: t.containerInstanceArn,
            ...(t.runtimeIds && { containers: t.runtimeIds.map((runtimeId) => ({ runtimeId })) }),
          },
        ];
      }),
      failures: [],
    };
  });
  stub.on(StopTaskCommand).callsFake(async (input) => {
    await delay();
    const t = find(input.cluster).tasks.find((x) => x.arn === input.task);
    if (t) {
      t.desiredStatus = "STOPPED";
      t.stoppedReason = input.reason;
    }
    return { task: { taskArn: input.task, desiredStatus: "STOPPED" } };
  });
  return stub;
}
