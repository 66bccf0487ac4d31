import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EXAMPLE_NAMES, EXAMPLE_SERVICES, type ExampleName, exampleService } from "../examples/manifest";
import { DEFAULT_SRV_TTL } from "../records/zone";
import { exampleServiceContainer } from "./containerDefinitions";
import { exampleFamily } from "./exampleClaims";
import { ExampleSecrets } from "./exampleSecrets";
import { ExamplesLoadBalancer } from "./examplesLoadBalancer";
import { smallestFargateTask } from "./fargateTask";
import { httpsEgress } from "./httpsEgress";
import type { Architecture } from "./instanceLaunch";
import { componentLogGroup } from "./logGroup";
import { taskExecutionRole } from "./taskExecutionRole";

export { exampleFamily, exampleServiceOwners } from "./exampleClaims";

export { PORTAL_HTTPS_PORT, PORTAL_LISTENER_PORT, PORTAL_TLS_POLICY } from "./examplesLoadBalancer";

/** Arguments of {@link ExampleServices}. */
export interface ExampleServicesArgs {
  readonly clusterArn: pulumi.Input<string>;
  readonly capacityProviderName: pulumi.Input<string>;
  /** The cluster's capacity provider association; services wait for it. */
  readonly capacityProviders: pulumi.Resource;
  readonly vpcId: pulumi.Input<string>;
  /** Public subnets for the load balancer (required). */
  readonly publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The container instances' group, opened to the load balancer on dynamic host ports. */
  readonly instanceSecurityGroupId: pulumi.Input<string>;
  /** Private subnets for the Fargate variants' tasks (required when a service has one). */
  readonly privateSubnetIds?: pulumi.Input<pulumi.Input<string>[]>;
  /** The images' architecture, which Fargate tasks must run on. Default: `x86_64`. */
  readonly architecture?: Architecture;
  /** One image per example service of the manifest (examples/manifest.ts). */
  readonly images: Readonly<Record<ExampleName, pulumi.Input<string>>>;
  /** The zone the portal looks `time` and `calc` up in (required). */
  readonly zoneName: pulumi.Input<string>;
  /** Basic-auth user of time and calc, also used by the portal. Default: `demo`. */
  readonly username?: pulumi.Input<string>;
  /** Basic-auth password: a secret Output (required). */
  readonly password: pulumi.Input<string>;
  readonly region: string;
  /** The SRV TTL, which sets how long a stopping task keeps serving. Default: 10. */
  readonly srvTtl?: number;
  /** Default: 14. */
  readonly logRetentionDays?: number;
  /** An ACM certificate of the region: the portal is served over HTTPS and HTTP redirects to it. Default: HTTP only. */
  readonly certificateArn?: pulumi.Input<string>;
}

/**
 * time and calc (bridge mode, dynamic host ports, discovered through SRV records) and the portal
 * behind a public Application Load Balancer (examplesLoadBalancer.ts). Credentials live in SSM SecureString
 * parameters under a customer-managed key only the examples' execution role may decrypt with, and reach
 * containers as ECS secrets (exampleSecrets.ts).
 */
export class ExampleServices extends pulumi.ComponentResource {
  /** The credentials, their key and the execution role's policy to read them. */
  readonly secrets: ExampleSecrets;
  /** The portal's load balancer, its listeners and target group. */
  readonly portalLoadBalancer: ExamplesLoadBalancer;
  /** The customer-managed key of the credentials: the container instances' role cannot decrypt with it. */
  readonly secretsKey: aws.kms.Key;
  readonly usernameParameter: aws.ssm.Parameter;
  readonly passwordParameter: aws.ssm.Parameter;
  readonly executionRole: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly loadBalancerSecurityGroup: aws.ec2.SecurityGroup;
  readonly loadBalancer: aws.lb.LoadBalancer;
  readonly targetGroup: aws.lb.TargetGroup;
  /** The HTTP listener: it forwards to the portal, or with a certificate redirects to {@link httpsListener}. */
  readonly listener: aws.lb.Listener;
  /** The HTTPS listener, only with a certificate. */
  readonly httpsListener?: aws.lb.Listener;
  readonly taskDefinitions: Readonly<Record<ExampleName, aws.ecs.TaskDefinition>>;
  readonly services: Readonly<Record<ExampleName, aws.ecs.Service>>;
  /** The Fargate variants (awsvpc tasks, registered by the registrar), by example; only those the manifest asks for. */
  readonly fargateServices: Readonly<Partial<Record<ExampleName, aws.ecs.Service>>>;
  /** `http://<load balancer DNS name>`, or `https://` with a certificate. */
  readonly portalUrl: pulumi.Output<string>;

  constructor(name: string, args: ExampleServicesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ecssd:infra:ExampleServices", name, {}, opts);
    const project = pulumi.getProject();
    const stack = pulumi.getStack();

    // The execution role comes first: the secrets' key names it as the one role that may decrypt them.
    this.executionRole = taskExecutionRole(
      name,
      args.region,
      "ECS pulls the example images, ships logs, reads their credentials",
      this,
    );
    this.secrets = new ExampleSecrets(
      name,
      {
        readerRole: this.executionRole,
        region: args.region,
        ...(args.username !== undefined && { username: args.username }),
        password: args.password,
      },
      { parent: this },
    );
    this.secretsKey = this.secrets.key;
    this.usernameParameter = this.secrets.usernameParameter;
    this.passwordParameter = this.secrets.passwordParameter;
    const secretsPolicy = this.secrets.readPolicy;

    this.logGroup = componentLogGroup(name, args.logRetentionDays, this);

    this.portalLoadBalancer = new ExamplesLoadBalancer(
      name,
      {
        vpcId: args.vpcId,
        publicSubnetIds: args.publicSubnetIds,
        instanceSecurityGroupId: args.instanceSecurityGroupId,
        ...(args.certificateArn !== undefined && { certificateArn: args.certificateArn }),
      },
      { parent: this },
    );
    this.loadBalancerSecurityGroup = this.portalLoadBalancer.securityGroup;
    this.loadBalancer = this.portalLoadBalancer.loadBalancer;
    this.targetGroup = this.portalLoadBalancer.targetGroup;
    this.listener = this.portalLoadBalancer.listener;
    if (this.portalLoadBalancer.httpsListener) this.httpsListener = this.portalLoadBalancer.httpsListener;
    const portalListener = this.portalLoadBalancer.portalListener;

    const credentials = this.secrets.credentials;
    const definitionOf = (
      example: ExampleName,
      networkMode: "bridge" | "awsvpc" = "bridge",
    ): pulumi.Output<string> =>
      pulumi
        .all([args.images[example], this.logGroup.name, credentials, args.zoneName])
        .apply(([image, logGroupName, creds, zoneName]) =>
          JSON.stringify([
            exampleServiceContainer(example, {
              image,
              zoneName,
              srvTtl: args.srvTtl ?? DEFAULT_SRV_TTL,
              credentials: creds,
              log: { logGroupName, region: args.region },
              networkMode,
            }),
          ]),
        );

    const taskDefinitions = {} as Record<ExampleName, aws.ecs.TaskDefinition>;
    const services = {} as Record<ExampleName, aws.ecs.Service>;
    for (const example of EXAMPLE_NAMES) {
      taskDefinitions[example] = new aws.ecs.TaskDefinition(
        `${name}-${example}-task`,
        {
          family: exampleFamily(project, stack, example),
          // Bridge mode: each container gets its own port space and a dynamic host port.
          networkMode: "bridge",
          requiresCompatibilities: ["EC2"],
          executionRoleArn: this.executionRole.arn,
          // No task role: the examples call no AWS API.
          containerDefinitions: definitionOf(example),
        },
        { parent: this, dependsOn: [secretsPolicy] },
      );
      const isPortal = example === "portal";
      services[example] = new aws.ecs.Service(
        `${name}-${example}`,
        {
          cluster: args.clusterArn,
          taskDefinition: taskDefinitions[example].arn,
          desiredCount: EXAMPLE_SERVICES[example].desiredCount,
          capacityProviderStrategies: [{ capacityProvider: args.capacityProviderName, weight: 1, base: 0 }],
          orderedPlacementStrategies: [{ type: "spread", field: "instanceId" }],
          deploymentMinimumHealthyPercent: 50,
          deploymentMaximumPercent: 200,
          forceDelete: true,
          ...(isPortal
            ? {
                loadBalancers: [
                  {
                    targetGroupArn: this.targetGroup.arn,
                    containerName: "portal",
                    containerPort: EXAMPLE_SERVICES.portal.containerPort,
                  },
                ],
                healthCheckGracePeriodSeconds: 30,
              }
            : {}),
        },
        {
          parent: this,
          // ECS rejects a target group that no load balancer uses yet.
          dependsOn: isPortal ? [args.capacityProviders, portalListener] : [args.capacityProviders],
        },
      );
    }
    this.taskDefinitions = taskDefinitions;
    this.services = services;
    this.fargateServices = this.fargateVariants(name, args, definitionOf, secretsPolicy, project, stack);
    this.portalUrl = this.portalLoadBalancer.url;

    this.registerOutputs({ portalUrl: this.portalUrl });
  }

  /**
   * The Fargate variant of each example that asks for one (examples/manifest.ts `fargateCount`): awsvpc tasks in
   * the private subnets, each with its own address, reachable from the container instances (the portal) on the
   * service's port. They declare the same SRV name as the bridge-mode tasks, so callers see one fleet; the
   * registrar registers them from ECS task events.
   */
  private fargateVariants(
    name: string,
    args: ExampleServicesArgs,
    definitionOf: (example: ExampleName, networkMode: "awsvpc") => pulumi.Output<string>,
    secretsPolicy: aws.iam.RolePolicy,
    project: string,
    stack: string,
  ): Partial<Record<ExampleName, aws.ecs.Service>> {
    const out: Partial<Record<ExampleName, aws.ecs.Service>> = {};
    for (const example of EXAMPLE_NAMES) {
      const spec = exampleService(example);
      if (!spec.fargateCount) continue;
      if (args.privateSubnetIds === undefined) {
        throw new Error(`ExampleServices: ${example} has a Fargate variant, which needs privateSubnetIds`);
      }
      const group = new aws.ec2.SecurityGroup(
        `${name}-${example}-fargate-sg`,
        { vpcId: args.vpcId, description: `ecssd ${example} Fargate tasks`, revokeRulesOnDelete: true },
        { parent: this },
      );
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-${example}-fargate-from-instances`,
        {
          securityGroupId: group.id,
          referencedSecurityGroupId: args.instanceSecurityGroupId,
          ipProtocol: "tcp",
          fromPort: spec.containerPort,
          toPort: spec.containerPort,
          description: `callers on the container instances to ${example}`,
        },
        { parent: this },
      );
      httpsEgress(
        `${name}-${example}-fargate-egress`,
        group.id,
        "image registry, logs and SSM through the NAT gateway",
        this,
      );
      const taskDefinition = new aws.ecs.TaskDefinition(
        `${name}-${example}-fargate-task`,
        {
          family: exampleFamily(project, stack, example, true),
          ...smallestFargateTask(args.architecture === "arm64" ? "ARM64" : "X86_64"),
          executionRoleArn: this.executionRole.arn,
          containerDefinitions: definitionOf(example, "awsvpc"),
        },
        { parent: this, dependsOn: [secretsPolicy] },
      );
      out[example] = new aws.ecs.Service(
        `${name}-${example}-fargate`,
        {
          cluster: args.clusterArn,
          taskDefinition: taskDefinition.arn,
          desiredCount: spec.fargateCount,
          launchType: "FARGATE",
          networkConfiguration: {
            subnets: args.privateSubnetIds,
            securityGroups: [group.id],
            assignPublicIp: false,
          },
          deploymentMinimumHealthyPercent: 100,
          deploymentMaximumPercent: 200,
          forceDelete: true,
        },
        { parent: this },
      );
    }
    return out;
  }
}
