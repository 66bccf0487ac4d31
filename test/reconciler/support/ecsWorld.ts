// Builds ECS state in moto's server through the real SDK: clusters, container instances (hosts) and tasks,
// and the zone records an agent would have written for them, made with the record contract.
import {
  CreateClusterCommand,
  DeregisterContainerInstanceCommand,
  type ECSClient,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  StartTaskCommand,
  StopTaskCommand,
} from "@aws-sdk/client-ecs";
import { taskIdFromArn } from "../../../records";
import { REGION } from "../../kit/awsClients";

export { ecsClient, REGION } from "../../kit/awsClients";
export { containerIdFor, srvRecord } from "../../kit/recordFixtures";

export interface Host {
  cluster: string;
  hostId: string;
  containerInstanceArn: string;
}

export interface Task {
  cluster: string;
  host: Host;
  taskArn: string;
  taskId: string;
}

/**
 * Launches an EC2 instance in moto (RegisterContainerInstance checks that the instance exists) and returns
 * its id. No EC2 SDK client is installed, so this speaks EC2's query protocol directly; moto reads the
 * service from the credential scope and does not check the signature.
 */
export async function launchInstance(endpoint: string): Promise<string> {
  const [id] = await launchInstances(endpoint, 1);
  return id as string;
}

/** Launches `count` EC2 instances in moto in one RunInstances call; returns their ids. */
export async function launchInstances(endpoint: string, count: number): Promise<string[]> {
  const res = await fetch(`${endpoint}/`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20240101/${REGION}/ec2/aws4_request, SignedHeaders=host, Signature=00`,
    },
    body: `Action=RunInstances&Version=2016-11-15&ImageId=ami-03cf127a&MinCount=${count}&MaxCount=${count}&InstanceType=t3.micro`,
  });
  const text = await res.text();
  const ids = [...text.matchAll(/<instanceId>(i-[0-9a-f]+)<\/instanceId>/g)].map((m) => m[1] as string);
  if (!res.ok || ids.length !== count)
    throw new Error(`RunInstances failed: HTTP ${res.status} ${text.slice(0, 300)}`);
  return ids;
}

export class EcsWorld {
  private taskDefinition?: string;

  constructor(
    readonly ecs: ECSClient,
    private readonly endpoint: string,
  ) {}

  async cluster(name: string): Promise<string> {
    const out = await this.ecs.send(new CreateClusterCommand({ clusterName: name }));
    return out.cluster?.clusterArn ?? name;
  }

  /** Registers a container instance; moto reads only `instanceId` from the identity document. */
  async host(cluster: string, instanceId?: string): Promise<Host> {
    const hostId = instanceId ?? (await launchInstance(this.endpoint));
    const out = await this.ecs.send(
      new RegisterContainerInstanceCommand({
        cluster,
        instanceIdentityDocument: JSON.stringify({
          instanceId: hostId,
          region: REGION,
          accountId: "123456789012",
        }),
      }),
    );
    const arn = out.containerInstance?.containerInstanceArn;
    if (!arn) throw new Error("moto returned no container instance ARN");
    return { cluster, hostId, containerInstanceArn: arn };
  }

  async killHost(host: Host): Promise<void> {
    await this.ecs.send(
      new DeregisterContainerInstanceCommand({
        cluster: host.cluster,
        containerInstance: host.containerInstanceArn,
        force: true,
      }),
    );
  }

  /** Starts `count` tasks on the host (one StartTask call; moto places one task per listed instance). */
  async tasks(host: Host, count: number): Promise<Task[]> {
    const taskDefinition = await this.definition();
    const out: Task[] = [];
    for (let left = count; left > 0; left -= 100) {
      const n = Math.min(100, left);
      const started = await this.ecs.send(
        new StartTaskCommand({
          cluster: host.cluster,
          taskDefinition,
          containerInstances: Array.from({ length: n }, () => host.containerInstanceArn),
        }),
      );
      for (const t of started.tasks ?? []) {
        const taskId = taskIdFromArn(t.taskArn);
        if (!t.taskArn || !taskId) throw new Error(`moto returned a task ARN we cannot read: ${t.taskArn}`);
        out.push({ cluster: host.cluster, host, taskArn: t.taskArn, taskId });
      }
    }
    return out;
  }

  async stop(task: Task): Promise<void> {
    await this.ecs.send(new StopTaskCommand({ cluster: task.cluster, task: task.taskArn, reason: "test" }));
  }

  private async definition(): Promise<string> {
    if (this.taskDefinition) return this.taskDefinition;
    const out = await this.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "calc",
        containerDefinitions: [{ name: "calc", image: "calc", memory: 1, cpu: 0 }],
      }),
    );
    this.taskDefinition = out.taskDefinition?.taskDefinitionArn ?? "calc";
    return this.taskDefinition;
  }
}
