import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_SRV_TTL } from "../records/zone";
import { type CoalescerTokenRef, readTokenPolicy } from "./coalescerToken";
import { agentContainer, DOCKER_SOCKET_PATH, DOCKER_SOCKET_VOLUME } from "./containerDefinitions";
import { componentLogGroup } from "./logGroup";
import { stackScopedName } from "./names";
import { agentPolicy } from "./policies";
import { taskExecutionRole, taskRole } from "./taskExecutionRole";
import type { ZoneWriterArgs } from "./zoneWriterArgs";

/** Arguments of {@link AgentService}. */
export interface AgentServiceArgs extends ZoneWriterArgs {
  /** The agent image URI (required). */
  readonly image: pulumi.Input<string>;
  /**
   * The coalescer's URL (ECSSD_COALESCER_URL): the agent sends its changes there and calls no Route53 API, so its
   * task role gets no Route53 permission at all. Default: none, the agent writes its host's records itself.
   */
  readonly coalescerUrl?: pulumi.Input<string>;
  /** The coalescer's token (required with `coalescerUrl`): an ECS secret its execution role alone may read. */
  readonly coalescerToken?: CoalescerTokenRef;
}

/**
 * The agent as a DAEMON ECS service: one task per container instance, host network mode, the
 * Docker socket mounted, and a task role that may change only SRV, A and TXT records of its zone, or nothing at
 * all when the agent sends its changes to the coalescer. Host mode
 * puts the ECS agent's introspection API (localhost:51678, the agent's default ECSSD_ECS_AGENT_URL) and
 * IMDSv2 (instance id, address and AZ ID only) in its reach; its credentials are the task role's, never the
 * instance role's, which has no Route53 permission.
 */
export class AgentService extends pulumi.ComponentResource {
  readonly taskRole: aws.iam.Role;
  readonly executionRole: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly taskDefinition: aws.ecs.TaskDefinition;
  readonly service: aws.ecs.Service;

  constructor(name: string, args: AgentServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ecssd:infra:AgentService", name, {}, opts);
    if ((args.coalescerUrl === undefined) !== (args.coalescerToken === undefined))
      throw new Error("AgentService: coalescerUrl and coalescerToken go together");

    this.logGroup = componentLogGroup(name, args.logRetentionDays, this);

    this.taskRole = taskRole(
      name,
      args.region,
      args.coalescerUrl === undefined
        ? "ecssd agent: SRV and A records of its zone only"
        : "ecssd agent: no AWS permission, its changes go to the coalescer",
      this,
    );
    // With the coalescer the role stays, empty: the agent's SDK finds the task role's credentials before the
    // instance role's, so an agent never acts with the instance's permissions.
    if (args.coalescerUrl === undefined) {
      new aws.iam.RolePolicy(
        `${name}-task-policy`,
        {
          role: this.taskRole.id,
          policy: pulumi
            .all([args.zoneArn, args.zoneName])
            .apply(([zoneArn, zoneName]) => JSON.stringify(agentPolicy({ zoneArn, zoneName }))),
        },
        { parent: this },
      );
    }

    this.executionRole = taskExecutionRole(
      name,
      args.region,
      args.coalescerToken === undefined
        ? "ECS pulls the agent image and ships its logs"
        : "ECS pulls the agent image, ships its logs and reads the coalescer's token",
      this,
    );
    const tokenRead =
      args.coalescerToken && readTokenPolicy(name, this.executionRole, args.coalescerToken, this);

    this.taskDefinition = new aws.ecs.TaskDefinition(
      `${name}-task`,
      {
        family: stackScopedName(pulumi.getProject(), pulumi.getStack(), "agent"),
        networkMode: "host",
        requiresCompatibilities: ["EC2"],
        taskRoleArn: this.taskRole.arn,
        executionRoleArn: this.executionRole.arn,
        volumes: [{ name: DOCKER_SOCKET_VOLUME, hostPath: DOCKER_SOCKET_PATH }],
        containerDefinitions: pulumi
          .all([
            args.image,
            args.zoneName,
            args.zoneId,
            this.logGroup.name,
            args.deployment,
            args.coalescerUrl,
            args.coalescerToken?.parameterArn,
          ])
          .apply(([image, zoneName, zoneId, logGroupName, deployment, coalescerUrl, coalescerTokenArn]) =>
            JSON.stringify([
              agentContainer({
                image,
                zoneName,
                zoneId,
                srvTtl: args.srvTtl ?? DEFAULT_SRV_TTL,
                log: { logGroupName, region: args.region },
                ...(args.serviceOwners !== undefined && { serviceOwners: args.serviceOwners }),
                ...(args.serviceOwnersClosed !== undefined && {
                  serviceOwnersClosed: args.serviceOwnersClosed,
                }),
                ...(deployment !== undefined && { deployment }),
                ...(coalescerUrl !== undefined && { coalescerUrl }),
                ...(coalescerTokenArn !== undefined && { coalescerTokenArn }),
              }),
            ]),
          ),
      },
      { parent: this, ...(tokenRead && { dependsOn: [tokenRead] }) },
    );

    this.service = new aws.ecs.Service(
      `${name}-service`,
      {
        cluster: args.clusterArn,
        taskDefinition: this.taskDefinition.arn,
        schedulingStrategy: "DAEMON",
        // Capacity provider strategies do not apply to DAEMON services.
        launchType: "EC2",
        // A daemon replaces its task in place on each instance: stop the old, then start the new.
        deploymentMinimumHealthyPercent: 0,
        deploymentMaximumPercent: 100,
        // `pulumi up` waits until every instance runs the new agent before it goes on: the deletions it makes last
        // (the agent role's Route53 policy, when the coalescer takes over) never find an old agent still writing.
        waitForSteadyState: true,
        forceDelete: true,
      },
      { parent: this },
    );

    this.registerOutputs({ serviceName: this.service.name, taskRoleArn: this.taskRole.arn });
  }
}
