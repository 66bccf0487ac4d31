import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { managedPolicyArn, partitionForRegion } from "./awsPartition";
import { EPHEMERAL_PORT_RANGES } from "./ephemeralPorts";
import { type Architecture, ecsAmiParameterName, ecsUserData, instanceArchitecture } from "./instanceLaunch";
import { instanceRolePolicy } from "./instancePolicy";
import { capacityProviderName } from "./names";
import { assumeRolePolicy } from "./policies";

/** Arguments of {@link Cluster}. */
export interface ClusterArgs {
  /** The VPC the instances run in (required). */
  readonly vpcId: pulumi.Input<string>;
  /** Private subnets for the instances (required). */
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The region, for ARN partitions (required). */
  readonly region: string;
  /** EC2 instance type; Graviton types get the arm64 AMI. Default: `t3.small`. */
  readonly instanceType?: string;
  /** Instances at creation; ECS managed scaling adjusts it afterwards. Default: 2. */
  readonly desiredCapacity?: number;
  /** Default: 1. */
  readonly minSize?: number;
  /** Default: 4. */
  readonly maxSize?: number;
}

/**
 * An ECS cluster on EC2: ECS-optimized Amazon Linux 2023 instances in private subnets from a
 * launch template that requires IMDSv2, an Auto Scaling group, and a capacity provider with
 * managed scaling and draining.
 */
export class Cluster extends pulumi.ComponentResource {
  readonly cluster: aws.ecs.Cluster;
  readonly clusterName: pulumi.Output<string>;
  readonly clusterArn: pulumi.Output<string>;
  readonly architecture: Architecture;
  /** The container instances' security group; other components add their own ingress to it. */
  readonly instanceSecurityGroup: aws.ec2.SecurityGroup;
  readonly instanceRole: aws.iam.Role;
  readonly launchTemplate: aws.ec2.LaunchTemplate;
  readonly autoScalingGroup: aws.autoscaling.Group;
  readonly capacityProvider: aws.ecs.CapacityProvider;
  /** Services that use the capacity provider depend on this association. */
  readonly capacityProviders: aws.ecs.ClusterCapacityProviders;

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ecssd:infra:Cluster", name, {}, opts);
    const partition = partitionForRegion(args.region);
    const instanceType = args.instanceType ?? "t3.small";
    this.architecture = instanceArchitecture(instanceType);

    this.cluster = new aws.ecs.Cluster(`${name}-cluster`, {}, { parent: this });
    this.clusterName = this.cluster.name;
    this.clusterArn = this.cluster.arn;

    this.instanceSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-instances-sg`,
      {
        vpcId: args.vpcId,
        description: "ECS container instances: dynamic host ports from peers, load balancer and reconciler",
        // Other stacks' rules may reference this group; removing ours first lets destroy finish.
        revokeRulesOnDelete: true,
      },
      { parent: this },
    );
    // Consumers on one instance reach services on another through SRV targets and host ports.
    for (const range of EPHEMERAL_PORT_RANGES) {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-instances-from-peers${range.suffix}`,
        {
          securityGroupId: this.instanceSecurityGroup.id,
          referencedSecurityGroupId: this.instanceSecurityGroup.id,
          ipProtocol: "tcp",
          fromPort: range.from,
          toPort: range.to,
          description: "service to service on dynamic host ports",
        },
        { parent: this },
      );
    }
    // Image pulls, the ECS and Route53 APIs go out through the NAT gateway.
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-instances-egress`,
      {
        securityGroupId: this.instanceSecurityGroup.id,
        ipProtocol: "-1",
        cidrIpv4: "0.0.0.0/0",
        description: "AWS APIs, image registry, services on peers",
      },
      { parent: this },
    );

    this.instanceRole = new aws.iam.Role(
      `${name}-instance-role`,
      {
        // No aws:SourceAccount/aws:SourceArn: EC2 sends neither (policies.ts says what guards this role instead).
        assumeRolePolicy: JSON.stringify(assumeRolePolicy("ec2.amazonaws.com")),
        description: "ECS container agent on the cluster's instances",
      },
      { parent: this },
    );
    // The ECS container agent's needs on this cluster only, in place of AmazonEC2ContainerServiceforEC2Role
    // (instancePolicy.ts says what is left out and why).
    const ecsPolicy = new aws.iam.RolePolicy(
      `${name}-instance-ecs`,
      {
        role: this.instanceRole.id,
        policy: this.clusterArn.apply((arn) => JSON.stringify(instanceRolePolicy(arn))),
      },
      { parent: this },
    );
    // Shell access through Session Manager, so no SSH port is ever opened. It lets the role read every SSM
    // parameter, so secrets meant for tasks are encrypted with keys this role may not use (exampleServices.ts).
    const ssmPolicy = new aws.iam.RolePolicyAttachment(
      `${name}-instance-ssm`,
      {
        role: this.instanceRole.name,
        policyArn: managedPolicyArn(partition, "AmazonSSMManagedInstanceCore"),
      },
      { parent: this },
    );
    const profile = new aws.iam.InstanceProfile(
      `${name}-instance-profile`,
      { role: this.instanceRole.name },
      // An instance that boots before its role may register cannot join the cluster.
      { parent: this, dependsOn: [ecsPolicy, ssmPolicy] },
    );

    const ami = aws.ssm.getParameterOutput(
      { name: ecsAmiParameterName(this.architecture) },
      { parent: this },
    );
    this.launchTemplate = new aws.ec2.LaunchTemplate(
      `${name}-launch-template`,
      {
        imageId: ami.value,
        instanceType,
        iamInstanceProfile: { arn: profile.arn },
        vpcSecurityGroupIds: [this.instanceSecurityGroup.id],
        metadataOptions: {
          httpEndpoint: "enabled",
          httpTokens: "required",
          // The agent runs in host network mode, so its IMDSv2 requests take no extra hop and a
          // limit of 1 serves it; bridge-mode containers (one hop further) cannot reach the
          // instance role's credentials at all.
          httpPutResponseHopLimit: 1,
        },
        userData: this.clusterName.apply((n) => Buffer.from(ecsUserData(n)).toString("base64")),
        tagSpecifications: [{ resourceType: "instance", tags: { Name: `${name}-instance` } }],
        updateDefaultVersion: true,
      },
      { parent: this },
    );

    this.autoScalingGroup = new aws.autoscaling.Group(
      `${name}-asg`,
      {
        vpcZoneIdentifiers: args.subnetIds,
        minSize: args.minSize ?? 1,
        maxSize: args.maxSize ?? 4,
        desiredCapacity: args.desiredCapacity ?? 2,
        launchTemplate: {
          id: this.launchTemplate.id,
          version: this.launchTemplate.latestVersion.apply(String),
        },
        // A new AMI or user data rolls the instances, half at a time.
        instanceRefresh: { strategy: "Rolling", preferences: { minHealthyPercentage: 50 } },
        healthCheckType: "EC2",
        // Lets destroy terminate instances without waiting for ECS to drain them.
        forceDelete: true,
        tags: [
          // Required by ECS managed scaling.
          { key: "AmazonECSManaged", value: "true", propagateAtLaunch: true },
          { key: "Name", value: `${name}-instance`, propagateAtLaunch: true },
        ],
      },
      // ECS managed scaling owns the desired capacity after creation.
      { parent: this, ignoreChanges: ["desiredCapacity"] },
    );

    this.capacityProvider = new aws.ecs.CapacityProvider(
      `${name}-capacity`,
      {
        name: capacityProviderName(pulumi.getProject(), pulumi.getStack()),
        autoScalingGroupProvider: {
          autoScalingGroupArn: this.autoScalingGroup.arn,
          // Termination protection would make destroy wait on ECS; draining moves tasks instead.
          managedTerminationProtection: "DISABLED",
          managedDraining: "ENABLED",
          managedScaling: {
            status: "ENABLED",
            targetCapacity: 100,
            minimumScalingStepSize: 1,
            maximumScalingStepSize: 2,
          },
        },
      },
      { parent: this },
    );
    this.capacityProviders = new aws.ecs.ClusterCapacityProviders(
      `${name}-capacity-providers`,
      {
        clusterName: this.clusterName,
        capacityProviders: [this.capacityProvider.name],
        defaultCapacityProviderStrategies: [
          { capacityProvider: this.capacityProvider.name, weight: 1, base: 0 },
        ],
      },
      { parent: this },
    );

    this.registerOutputs({
      clusterName: this.clusterName,
      clusterArn: this.clusterArn,
      instanceSecurityGroupId: this.instanceSecurityGroup.id,
      capacityProviderName: this.capacityProvider.name,
    });
  }
}
