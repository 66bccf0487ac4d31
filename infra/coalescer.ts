import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ImageName } from "../images/imageCatalog";
import { DEFAULT_SRV_TTL } from "../records/zone";
import { CoalescerToken, readTokenPolicy } from "./coalescerToken";
import { COALESCER_PORT, coalescerContainer } from "./containerDefinitions";
import { smallestFargateTask } from "./fargateTask";
import { httpsEgress } from "./httpsEgress";
import { componentLogGroup } from "./logGroup";
import { stackScopedName } from "./names";
import { coalescerPolicy } from "./policies";
import { DEFAULT_ROUTE53_BUDGET, type Route53BudgetShares } from "./route53BudgetShares";
import { TaskEventQueue } from "./taskEventQueue";
import { taskExecutionRole, taskRole } from "./taskExecutionRole";
import type { ZoneWriterArgs } from "./zoneWriterArgs";

/** The coalescer's image in the image catalog (images/imageCatalog.ts): coalescer/main.ts runs `ecssd coalescer`. */
export const COALESCER_IMAGE: ImageName = "coalescer";

/** Arguments of {@link Coalescer}. */
export interface CoalescerArgs extends ZoneWriterArgs {
  /** The coalescer's image URI (required). */
  readonly image: pulumi.Input<string>;
  /** The platform the image was built for: the Fargate task runs on its architecture. Default: `linux/amd64`. */
  readonly imagePlatform?: pulumi.Input<string>;
  readonly clusterName: pulumi.Input<string>;
  readonly vpcId: pulumi.Input<string>;
  /** The VPC's range: who may reach the coalescer when no `instanceSecurityGroupId` is given. */
  readonly vpcCidr: pulumi.Input<string>;
  /** Private subnets with a route to the AWS APIs, for the task and its load balancer (required). */
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The container instances' group: only the agents on them may reach the coalescer. Default: the VPC's range. */
  readonly instanceSecurityGroupId?: pulumi.Input<string>;
  /** Its shares of the account's Route53 rates. Default: {@link DEFAULT_ROUTE53_BUDGET}. */
  readonly route53Budget?: Route53BudgetShares;
}

/**
 * The zone's one writer: a Fargate service of one task that the agents send their changes to and that applies the
 * cluster's ECS task events from a queue ({@link TaskEventQueue}), in shared Route53 batches within its budget.
 * Deployed at most one at a time (a deployment stops the old task before it starts the new), so two never write
 * at once. An internal network load balancer gives the agents a fixed name for it: a Fargate task's address
 * changes with every task, and the agents, started before it, could not learn the new one otherwise.
 */
export class Coalescer extends pulumi.ComponentResource {
  readonly taskEvents: TaskEventQueue;
  /** The bearer token every caller must carry: the agents get it as an ECS secret too. */
  readonly token: CoalescerToken;
  readonly taskRole: aws.iam.Role;
  readonly executionRole: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
  /** The tasks' group: reached by the load balancer only. */
  readonly securityGroup: aws.ec2.SecurityGroup;
  /** The load balancer's group: reached by the instances (or the VPC's range) only. */
  readonly loadBalancerSecurityGroup: aws.ec2.SecurityGroup;
  readonly loadBalancer: aws.lb.LoadBalancer;
  readonly targetGroup: aws.lb.TargetGroup;
  readonly taskDefinition: aws.ecs.TaskDefinition;
  readonly service: aws.ecs.Service;
  /** What the agents are given as ECSSD_COALESCER_URL. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: CoalescerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ecssd:infra:Coalescer", name, {}, opts);

    this.taskEvents = new TaskEventQueue(
      `${name}-task-events`,
      { clusterArn: args.clusterArn },
      { parent: this },
    );
    this.logGroup = componentLogGroup(name, args.logRetentionDays, this);
    this.taskRole = taskRole(
      name,
      args.region,
      "ecssd coalescer: the zone's one writer, SRV, A and TXT records of our names only",
      this,
    );
    new aws.iam.RolePolicy(
      `${name}-task-policy`,
      {
        role: this.taskRole.id,
        policy: pulumi
          .all([args.zoneArn, args.zoneName, args.clusterArn, this.taskEvents.queue.arn])
          .apply(([zoneArn, zoneName, clusterArn, taskEventsQueueArn]) =>
            JSON.stringify(coalescerPolicy({ zoneArn, zoneName, clusterArn, taskEventsQueueArn })),
          ),
      },
      { parent: this },
    );
    this.executionRole = taskExecutionRole(
      name,
      args.region,
      "ECS pulls the coalescer image, ships its logs and reads its token",
      this,
    );
    this.token = new CoalescerToken(`${name}-token`, { region: args.region }, { parent: this });
    const tokenRead = readTokenPolicy(name, this.executionRole, this.token.ref, this);

    [this.securityGroup, this.loadBalancerSecurityGroup] = this.securityGroups(name, args);
    let listener: aws.lb.Listener;
    ({ loadBalancer: this.loadBalancer, targetGroup: this.targetGroup, listener } = this.balance(name, args));
    this.url = this.loadBalancer.dnsName.apply((dnsName) => `http://${dnsName}:${COALESCER_PORT}`);

    this.taskDefinition = new aws.ecs.TaskDefinition(
      `${name}-task`,
      {
        family: stackScopedName(pulumi.getProject(), pulumi.getStack(), "coalescer"),
        ...smallestFargateTask(
          pulumi
            .output(args.imagePlatform ?? "linux/amd64")
            .apply((platform) => (platform.endsWith("arm64") ? "ARM64" : "X86_64")),
        ),
        taskRoleArn: this.taskRole.arn,
        executionRoleArn: this.executionRole.arn,
        containerDefinitions: this.containerDefinitions(args),
      },
      { parent: this, dependsOn: [tokenRead] },
    );

    this.service = new aws.ecs.Service(
      `${name}-service`,
      {
        cluster: args.clusterArn,
        taskDefinition: this.taskDefinition.arn,
        launchType: "FARGATE",
        desiredCount: 1,
        // One writer per zone: a deployment stops the old task before it starts the new one. The agents wait
        // out the gap (their changes stay pending; a busy coalescer is retried without bound).
        deploymentMinimumHealthyPercent: 0,
        deploymentMaximumPercent: 100,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        forceDelete: true,
        networkConfiguration: {
          subnets: args.subnetIds,
          securityGroups: [this.securityGroup.id],
          assignPublicIp: false,
        },
        loadBalancers: [
          { targetGroupArn: this.targetGroup.arn, containerName: "coalescer", containerPort: COALESCER_PORT },
        ],
        // It lists the zone before it serves: ten thousand sets are 34 pages within its share of the budget.
        healthCheckGracePeriodSeconds: 120,
      },
      // ECS refuses a target group that no load balancer listens with yet.
      { parent: this, dependsOn: [listener] },
    );

    this.registerOutputs({
      url: this.url,
      serviceName: this.service.name,
      taskEventsQueueUrl: this.taskEvents.queue.url,
    });
  }

  private containerDefinitions(args: CoalescerArgs): pulumi.Output<string> {
    return pulumi
      .all([
        args.image,
        args.zoneName,
        args.zoneId,
        args.clusterName,
        this.logGroup.name,
        this.taskEvents.queue.url,
        args.deployment,
        this.token.parameter.arn,
      ])
      .apply(
        ([image, zoneName, zoneId, clusterName, logGroupName, taskEventsQueueUrl, deployment, tokenArn]) =>
          JSON.stringify([
            coalescerContainer({
              image,
              zoneName,
              zoneId,
              region: args.region,
              clusterName,
              srvTtl: args.srvTtl ?? DEFAULT_SRV_TTL,
              route53Budget: args.route53Budget ?? DEFAULT_ROUTE53_BUDGET,
              taskEventsQueueUrl,
              log: { logGroupName, region: args.region },
              ...(args.serviceOwners !== undefined && { serviceOwners: args.serviceOwners }),
              ...(args.serviceOwnersClosed !== undefined && {
                serviceOwnersClosed: args.serviceOwnersClosed,
              }),
              ...(deployment !== undefined && { deployment }),
              tokenArn,
            }),
          ]),
      );
  }

  /**
   * The tasks' group and the load balancer's. The load balancer has a group of its own so the tasks can admit it
   * alone: it does not keep the agents' addresses (target type ip), so the tasks see its address, not theirs.
   */
  private securityGroups(name: string, args: CoalescerArgs): [aws.ec2.SecurityGroup, aws.ec2.SecurityGroup] {
    const group = (suffix: string, description: string) =>
      new aws.ec2.SecurityGroup(
        `${name}-${suffix}`,
        { vpcId: args.vpcId, description, revokeRulesOnDelete: true },
        { parent: this },
      );
    const tasks = group("sg", "ecssd coalescer: its load balancer in, AWS APIs out");
    const balancer = group("lb-sg", "ecssd coalescer's load balancer: the agents in, the coalescer out");
    const port = { ipProtocol: "tcp", fromPort: COALESCER_PORT, toPort: COALESCER_PORT };
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-lb-from-agents`,
      {
        securityGroupId: balancer.id,
        ...port,
        ...(args.instanceSecurityGroupId !== undefined
          ? { referencedSecurityGroupId: args.instanceSecurityGroupId }
          : { cidrIpv4: args.vpcCidr }),
        description: "the agents on the container instances",
      },
      { parent: this },
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-lb-to-coalescer`,
      {
        securityGroupId: balancer.id,
        ...port,
        referencedSecurityGroupId: tasks.id,
        description: "the coalescer",
      },
      { parent: this },
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-from-lb`,
      {
        securityGroupId: tasks.id,
        ...port,
        referencedSecurityGroupId: balancer.id,
        description: "the agents' requests and the health checks, through the load balancer",
      },
      { parent: this },
    );
    // Route53, ECS, SQS, ECR and CloudWatch Logs.
    httpsEgress(`${name}-egress-https`, tasks.id, "AWS APIs", this);
    return [tasks, balancer];
  }

  /** The internal network load balancer in front of the one task. */
  private balance(
    name: string,
    args: CoalescerArgs,
  ): { loadBalancer: aws.lb.LoadBalancer; targetGroup: aws.lb.TargetGroup; listener: aws.lb.Listener } {
    const loadBalancer = new aws.lb.LoadBalancer(
      `${name}-lb`,
      {
        internal: true,
        loadBalancerType: "network",
        subnets: args.subnetIds,
        securityGroups: [this.loadBalancerSecurityGroup.id],
        // The one task runs in one zone; every zone's node must reach it.
        enableCrossZoneLoadBalancing: true,
      },
      { parent: this },
    );
    const targetGroup = new aws.lb.TargetGroup(
      `${name}-tg`,
      {
        vpcId: args.vpcId,
        port: COALESCER_PORT,
        protocol: "TCP",
        targetType: "ip",
        healthCheck: { protocol: "TCP", interval: 10, healthyThreshold: 2, unhealthyThreshold: 2 },
        // The old task leaves before the new one starts: keep that gap short. Its submits in flight finish
        // within its stop timeout anyway.
        deregistrationDelay: 30,
      },
      { parent: this },
    );
    const listener = new aws.lb.Listener(
      `${name}-listener`,
      {
        loadBalancerArn: loadBalancer.arn,
        port: COALESCER_PORT,
        protocol: "TCP",
        defaultActions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
      },
      { parent: this },
    );
    return { loadBalancer, targetGroup, listener };
  }
}
