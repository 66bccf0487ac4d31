// awsvpc tasks in moto's ECS through the real SDK: a subnet and security group (RunTask attaches an ENI from
// them), task definitions with SERVICE_<port>_* declarations, and EventBridge events built from DescribeTasks
// (ECS documents the event's detail as the task itself).
import {
  CreateClusterCommand,
  DescribeTasksCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
} from "@aws-sdk/client-ecs";
import { REGION } from "../../reconciler/support/ecsWorld";

/** One EC2 query-protocol call (no EC2 SDK client is installed); moto does not check the signature. */
async function ec2(endpoint: string, params: Record<string, string>): Promise<string> {
  const res = await fetch(`${endpoint}/`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20240101/${REGION}/ec2/aws4_request, SignedHeaders=host, Signature=00`,
    },
    body: new URLSearchParams({ Version: "2016-11-15", ...params }).toString(),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`EC2 ${params.Action} failed: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text;
}

function tag(xml: string, name: string): string {
  const m = new RegExp(`<${name}>([^<]+)</${name}>`).exec(xml);
  if (!m) throw new Error(`no <${name}> in ${xml.slice(0, 200)}`);
  return m[1] as string;
}

export interface ContainerSpec {
  name: string;
  environment?: Record<string, string>;
  dockerLabels?: Record<string, string>;
  healthCheck?: boolean;
}

export class AwsvpcWorld {
  private network?: Promise<{ subnet: string; securityGroup: string }>;

  constructor(
    readonly ecs: ECSClient,
    private readonly endpoint: string,
  ) {}

  async cluster(name: string): Promise<string> {
    const out = await this.ecs.send(new CreateClusterCommand({ clusterName: name }));
    return out.cluster?.clusterArn as string;
  }

  private subnet(): Promise<{ subnet: string; securityGroup: string }> {
    this.network ??= (async () => {
      const vpc = tag(await ec2(this.endpoint, { Action: "CreateVpc", CidrBlock: "10.9.0.0/16" }), "vpcId");
      // As in most VPCs that run Fargate; moto names an ENI (and so can attach one to a task) only then.
      await ec2(this.endpoint, {
        Action: "ModifyVpcAttribute",
        VpcId: vpc,
        "EnableDnsHostnames.Value": "true",
      });
      const subnet = tag(
        await ec2(this.endpoint, { Action: "CreateSubnet", VpcId: vpc, CidrBlock: "10.9.1.0/24" }),
        "subnetId",
      );
      const securityGroup = tag(
        await ec2(this.endpoint, {
          Action: "CreateSecurityGroup",
          GroupName: "tasks",
          GroupDescription: "tasks",
          VpcId: vpc,
        }),
        "groupId",
      );
      return { subnet, securityGroup };
    })();
    return this.network;
  }

  async definition(
    family: string,
    containers: ContainerSpec[],
    networkMode: "awsvpc" | "bridge" = "awsvpc",
  ): Promise<string> {
    const out = await this.ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        networkMode,
        requiresCompatibilities: networkMode === "awsvpc" ? ["FARGATE"] : ["EC2"],
        cpu: "256",
        memory: "512",
        containerDefinitions: containers.map((c) => ({
          name: c.name,
          image: c.name,
          memory: 256,
          cpu: 0,
          environment: Object.entries(c.environment ?? {}).map(([name, value]) => ({ name, value })),
          ...(c.dockerLabels && { dockerLabels: c.dockerLabels }),
          ...(c.healthCheck && { healthCheck: { command: ["CMD-SHELL", "true"] } }),
        })),
      }),
    );
    return out.taskDefinition?.taskDefinitionArn as string;
  }

  /** Runs one task of the definition on Fargate; returns its ARN. */
  async run(cluster: string, taskDefinition: string): Promise<string> {
    const { subnet, securityGroup } = await this.subnet();
    const out = await this.ecs.send(
      new RunTaskCommand({
        cluster,
        taskDefinition,
        launchType: "FARGATE",
        networkConfiguration: { awsvpcConfiguration: { subnets: [subnet], securityGroups: [securityGroup] } },
      }),
    );
    return out.tasks?.[0]?.taskArn as string;
  }

  async stop(cluster: string, taskArn: string): Promise<void> {
    await this.ecs.send(new StopTaskCommand({ cluster, task: taskArn, reason: "test" }));
  }

  /** The task as DescribeTasks gives it now (plain JSON). */
  async describe(cluster: string, taskArn: string): Promise<Record<string, unknown>> {
    const out = await this.ecs.send(new DescribeTasksCommand({ cluster, tasks: [taskArn] }));
    const task = out.tasks?.[0];
    if (!task) throw new Error(`DescribeTasks found no ${taskArn}`);
    return JSON.parse(JSON.stringify(task));
  }
}

let eventCount = 0;

/** An EventBridge ECS Task State Change event whose detail is `task`, with these fields set. */
export function taskEvent(task: Record<string, unknown>, detail: Record<string, unknown>): unknown {
  eventCount++;
  return {
    version: "0",
    id: `00000000-0000-4000-8000-${String(eventCount).padStart(12, "0")}`,
    "detail-type": "ECS Task State Change",
    source: "aws.ecs",
    account: "123456789012",
    time: new Date().toISOString(),
    region: REGION,
    resources: [task.taskArn],
    detail: { ...task, ...detail },
  };
}

/** moto moves a task one step towards STOPPED at every describe by default; here it stays until stopped. */
export async function holdTaskStates(endpoint: string, hold: boolean): Promise<void> {
  const res = await fetch(`${endpoint}/moto-api/state-manager/${hold ? "set" : "unset"}-transition`, {
    method: "POST",
    body: JSON.stringify({
      model_name: "ecs::task",
      ...(hold && { transition: { progression: "time", seconds: 86_400 } }),
    }),
  });
  if (!res.ok) throw new Error(`moto state manager: HTTP ${res.status}`);
}
