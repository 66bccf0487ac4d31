// The inventory on AWS: ECS says which hosts (container instances) and tasks are alive. Every list is read
// to its last page and describes go in batches of 100 (the API's limit), each page's describe sent as soon
// as the page arrives so that paging and describing overlap.
import {
  type Container,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListClustersCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
} from "@aws-sdk/client-ecs";
import { familyFromTaskDefinitionArn, taskIdFromArn } from "../records";
import type { ApiCalls } from "./apiCalls";
import { Semaphore } from "./boundedConcurrency";
import { InventoryError } from "./errors";
import type { Inventory, InventorySnapshot, LiveTask, PortRangeBinding, PublishedPorts } from "./inventory";

/** ListTasks, ListContainerInstances and ListClusters return at most 100 per page; describes take 100. */

/** What the inventory keeps of one described task. */
type Described = {
  taskId: string;
  taskArn: string;
  containerInstanceArn?: string;
  containerIds?: string[];
  family?: string;
  taskDefinitionArn?: string;
  startedAt?: Date;
  eniAddress?: string;
  undescribed?: boolean;
  /** What its running containers publish, by Docker id. */
  published: [string, PublishedPorts][];
};

export const ECS_PAGE_SIZE = 100;
/**
 * Container instances whose records may live. DRAINING counts as alive: its tasks keep serving until ECS
 * stops them one by one, and each task's records go when its task does. REGISTERING, DEREGISTERING and
 * INACTIVE instances run none of our agents (a DAEMON task is placed on ACTIVE instances only).
 */
const ALIVE_INSTANCE_STATUSES = new Set(["ACTIVE", "DRAINING"]);

export interface EcsInventoryOptions {
  readonly ecs: ECSClient;
  /** Cluster names or ARNs; empty means every cluster ListClusters returns. */
  readonly clusters: readonly string[];
  readonly calls: ApiCalls;
  /** ECS requests in flight at once across all clusters (default 8), well inside ECS's burst limits. */
  readonly concurrency?: number;
}

/** ECS as the truth about hosts and tasks. */
export class EcsInventory implements Inventory {
  readonly kind = "ecs";
  private readonly ecs: ECSClient;
  private readonly calls: ApiCalls;
  private readonly semaphore: Semaphore;

  constructor(private readonly options: EcsInventoryOptions) {
    this.ecs = options.ecs;
    this.calls = options.calls;
    this.semaphore = new Semaphore(options.concurrency ?? 8);
  }

  async snapshot(): Promise<InventorySnapshot> {
    const clusters =
      this.options.clusters.length > 0 ? [...this.options.clusters] : await this.listClusters();
    const perCluster = await Promise.all(clusters.map((c) => this.readCluster(c)));
    const hosts = new Set<string>();
    const tasks = new Map<string, LiveTask>();
    const published = new Map<string, PublishedPorts>();
    let containerInstances = 0;
    let undescribedTasks = 0;
    for (const c of perCluster) {
      for (const h of c.hosts) hosts.add(h);
      for (const t of c.tasks) {
        tasks.set(t.taskId, t);
        if (t.undescribed) undescribedTasks++;
      }
      for (const [id, ports] of c.published) published.set(id, ports);
      containerInstances += c.containerInstances;
    }
    return {
      hosts,
      tasks,
      published,
      counts: {
        clusters: clusters.length,
        containerInstances,
        activeHosts: hosts.size,
        tasks: tasks.size,
        undescribedTasks,
      },
    };
  }

  private async listClusters(): Promise<string[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await this.send("ListClusters", () =>
        this.ecs.send(new ListClustersCommand({ maxResults: ECS_PAGE_SIZE, nextToken: token })),
      );
      arns.push(...(page.clusterArns ?? []));
      nextToken = nextPageToken(token, page.nextToken, "ListClusters");
    } while (nextToken);
    return arns;
  }

  private async readCluster(cluster: string): Promise<{
    hosts: string[];
    tasks: LiveTask[];
    published: [string, PublishedPorts][];
    containerInstances: number;
  }> {
    try {
      // Instances and tasks are independent lists: read both at once.
      const [instances, described] = await Promise.all([
        this.readInstances(cluster),
        this.readTasks(cluster),
      ]);
      const tasks = described.map((t): LiveTask => {
        const hostId = t.containerInstanceArn ? instances.hostByArn.get(t.containerInstanceArn) : undefined;
        return {
          taskId: t.taskId,
          taskArn: t.taskArn,
          cluster,
          ...(hostId !== undefined && { hostId }),
          ...(t.containerIds !== undefined && { containerIds: t.containerIds }),
          ...(t.family !== undefined && { family: t.family }),
          ...(t.taskDefinitionArn !== undefined && { taskDefinitionArn: t.taskDefinitionArn }),
          ...(t.startedAt !== undefined && { startedAt: t.startedAt }),
          ...(t.eniAddress !== undefined && { eniAddress: t.eniAddress }),
          ...(t.undescribed && { undescribed: true }),
        };
      });
      // Bindings are on the task's host: they count only where ECS places the task on a known instance.
      const published = described.flatMap((t) =>
        t.containerInstanceArn && instances.hostByArn.has(t.containerInstanceArn) ? t.published : [],
      );
      return { hosts: instances.alive, tasks, published, containerInstances: instances.count };
    } catch (err) {
      if ((err as { name?: string }).name === "ClusterNotFoundException") {
        throw new InventoryError(`ECS cluster "${cluster}" does not exist; check ECSSD_CLUSTERS`, {
          cause: err,
        });
      }
      throw err;
    }
  }

  private async readInstances(
    cluster: string,
  ): Promise<{ alive: string[]; hostByArn: Map<string, string>; count: number }> {
    const hostByArn = new Map<string, string>();
    const alive: string[] = [];
    let count = 0;
    const describes: Promise<void>[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      // No status filter: one listing covers ACTIVE and DRAINING (all but INACTIVE); describe tells them apart.
      const page = await this.send("ListContainerInstances", () =>
        this.ecs.send(
          new ListContainerInstancesCommand({ cluster, maxResults: ECS_PAGE_SIZE, nextToken: token }),
        ),
      );
      count += page.containerInstanceArns?.length ?? 0;
      for (const arns of chunks(page.containerInstanceArns ?? [], ECS_PAGE_SIZE)) {
        describes.push(
          this.send("DescribeContainerInstances", () =>
            this.ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: arns })),
          ).then((d) => {
            for (const ci of d.containerInstances ?? []) {
              if (!ci.containerInstanceArn || !ci.ec2InstanceId) continue;
              hostByArn.set(ci.containerInstanceArn, ci.ec2InstanceId);
              if (ci.status && ALIVE_INSTANCE_STATUSES.has(ci.status)) alive.push(ci.ec2InstanceId);
            }
            // A MISSING failure is an instance deregistered since it was listed: not alive. Any other
            // failure says nothing about the host, and a host not seen would have its records deleted, so the
            // inventory is incomplete and the run must not act on it.
            const unknown = (d.failures ?? []).filter((f) => f.reason !== "MISSING");
            if (unknown.length > 0) {
              throw new InventoryError(
                `DescribeContainerInstances in "${cluster}" failed for ${unknown.length} instance(s) (${unknown
                  .slice(0, 3)
                  .map(
                    (f) => `${f.arn ?? "?"}: ${f.reason ?? "no reason"}${f.detail ? ` (${f.detail})` : ""}`,
                  )
                  .join("; ")}); the inventory is incomplete, so nothing is deleted`,
              );
            }
          }),
        );
      }
      nextToken = nextPageToken(token, page.nextToken, "ListContainerInstances");
    } while (nextToken);
    await Promise.all(describes);
    return { alive, hostByArn, count };
  }

  private async readTasks(cluster: string): Promise<Described[]> {
    const out: Described[] = [];
    const describes: Promise<void>[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      // desiredStatus RUNNING includes tasks still starting; a task ECS is stopping is already gone for us,
      // as for the agent, which deregisters on the first sign of a stop.
      const page = await this.send("ListTasks", () =>
        this.ecs.send(
          new ListTasksCommand({
            cluster,
            desiredStatus: "RUNNING",
            maxResults: ECS_PAGE_SIZE,
            nextToken: token,
          }),
        ),
      );
      // Pages hold at most 100 on AWS, but describes are chunked anyway: some servers send one big page.
      for (const arns of chunks(page.taskArns ?? [], ECS_PAGE_SIZE))
        describes.push(this.describeTasks(cluster, arns, out));
      nextToken = nextPageToken(token, page.nextToken, "ListTasks");
    } while (nextToken);
    await Promise.all(describes);
    return out;
  }

  private async describeTasks(cluster: string, arns: string[], out: Described[]): Promise<void> {
    const d = await this.send("DescribeTasks", () =>
      this.ecs.send(new DescribeTasksCommand({ cluster, tasks: arns })),
    );
    const described = new Map((d.tasks ?? []).map((t) => [t.taskArn ?? "", t]));
    for (const taskArn of arns) {
      const taskId = taskIdFromArn(taskArn);
      if (!taskId) continue;
      const t = described.get(taskArn);
      if (t === undefined) {
        // Listed as running but not described (a failure entry, or left out): missing evidence. It stays
        // alive, and nothing is judged on what is not known of it (host, containers, family, ports).
        out.push({ taskId, taskArn, undescribed: true, published: [] });
        continue;
      }
      // Listed as RUNNING a moment ago but described as stopping: ECS has begun to stop it.
      if (t.desiredStatus === "STOPPED") continue;
      const containers = t.containers ?? [];
      const runtimeIds = containers.map((c) => c.runtimeId?.toLowerCase());
      const complete = containers.length > 0 && runtimeIds.every((id) => id !== undefined && id !== "");
      const family = familyFromTaskDefinitionArn(t.taskDefinitionArn);
      const eniAddress = taskEniAddress(t.attachments);
      out.push({
        taskId,
        taskArn,
        ...(t.containerInstanceArn && { containerInstanceArn: t.containerInstanceArn }),
        ...(family !== undefined && { family }),
        ...(t.taskDefinitionArn && { taskDefinitionArn: t.taskDefinitionArn }),
        ...((t.startedAt ?? t.createdAt) && { startedAt: t.startedAt ?? t.createdAt }),
        ...(complete && { containerIds: runtimeIds as string[] }),
        ...(eniAddress !== undefined && { eniAddress }),
        // An awsvpc task publishes on its ENI, never on its host's ports.
        published: eniAddress === undefined ? containers.flatMap(publishedBy) : [],
      });
    }
  }

  private send<T>(operation: string, request: () => Promise<T>): Promise<T> {
    return this.semaphore.run(() => this.calls.call(operation, request));
  }
}

/**
 * What a container publishes on its host, from its network bindings, once ECS reports it RUNNING: the ECS agent
 * reports a container's bindings with its RUNNING state, so before that their absence is no evidence.
 */
function publishedBy(c: Container): [string, PublishedPorts][] {
  const id = c.runtimeId?.toLowerCase();
  if (!id || c.lastStatus !== "RUNNING") return [];
  const bindings = new Map<string, Set<number>>();
  const ranges: PortRangeBinding[] = [];
  for (const b of c.networkBindings ?? []) {
    const protocol = (b.protocol ?? "tcp").toLowerCase();
    if (b.containerPort !== undefined && b.hostPort !== undefined) {
      const key = `${b.containerPort}/${protocol}`;
      bindings.set(key, (bindings.get(key) ?? new Set()).add(b.hostPort));
      continue;
    }
    // A port range: ECS says which host ports the range is bound to, not which one each container port got.
    const container = portRange(b.containerPortRange);
    const host = portRange(b.hostPortRange);
    if (container && host) ranges.push({ container, host, protocol });
  }
  return [[id, { bindings, ranges, hostNetwork: false }]];
}

/** `"32768-32778"` → [32768, 32778]; undefined for anything else. */
function portRange(text: string | undefined): [number, number] | undefined {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text ?? "");
  if (!m) return undefined;
  const [from, to] = [Number(m[1]), Number(m[2])];
  return from >= 1 && from <= to && to <= 65535 ? [from, to] : undefined;
}

/** The private IPv4 address of an awsvpc task's ENI attachment, if it has one. */
function taskEniAddress(
  attachments: readonly { type?: string; details?: { name?: string; value?: string }[] }[] | undefined,
): string | undefined {
  for (const a of attachments ?? []) {
    if (a.type !== "ElasticNetworkInterface") continue;
    const address = a.details?.find((d) => d.name === "privateIPv4Address")?.value;
    if (address) return address;
  }
  return undefined;
}

/** Guards against a server that hands back the token it was given, which would otherwise page forever. */
function nextPageToken(
  sent: string | undefined,
  received: string | undefined,
  operation: string,
): string | undefined {
  if (!received) return undefined;
  if (received === sent)
    throw new InventoryError(`${operation} returned the same nextToken it was given; stopping`);
  return received;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
