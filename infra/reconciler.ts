import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_DEFAULTS, type ReconcilerConfig, reconcilerEnvironment } from "../reconciler/config";
import { EPHEMERAL_PORT_RANGES } from "./ephemeralPorts";
import { httpsEgress } from "./httpsEgress";
import { RECONCILER_RUNTIME } from "./lambdaRuntime";
import { reconcilerPolicy } from "./policies";
import type { ZoneWriterArgs } from "./zoneWriterArgs";
import { invokedByRule, zoneWriterLambda } from "./zoneWriterLambda";

/** The reconciler's settings as its environment carries them (reconciler/config.ts). */
export type ReconcilerSettings = Partial<ReconcilerConfig>;

/** The Lambda environment the reconciler reads: written by the reconciler's own codec. */
export { reconcilerEnvironment };

/** The reconciler's time limit: three attempts of the longest health check timeout fit inside. */
export const RECONCILER_TIMEOUT_SECONDS = 120;

/** What a user tunes of the reconciler (schedule, health checks, safety valve), as the component takes it. */
export type ReconcilerBehaviour = Pick<
  ReconcilerArgs,
  | "schedule"
  | "checkHealth"
  | "healthPath"
  | "healthTimeoutMs"
  | "healthConcurrency"
  | "stopUnhealthyTasks"
  | "dryRun"
  | "maxDeleteShare"
  | "claimUnattributed"
>;

/** Arguments of {@link Reconciler}. */
/** The zone, cluster and shared settings come from {@link ZoneWriterArgs}; it writes no SRV records, so no TTL. */
export interface ReconcilerArgs extends Omit<ZoneWriterArgs, "srvTtl"> {
  /** The bundled handler (`index.js` exporting `handler`) (required). */
  readonly code: pulumi.Input<pulumi.asset.Archive>;
  readonly vpcId: pulumi.Input<string>;
  /** The VPC's range: health checks may go anywhere inside it, nowhere else. */
  readonly vpcCidr: pulumi.Input<string>;
  /** Private subnets with a NAT route, for the AWS APIs (required). */
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * The container instances' group, opened to the reconciler's health checks. Default: none, for a cluster
   * whose instances someone else manages (they open it to {@link Reconciler.securityGroup}).
   */
  readonly instanceSecurityGroupId?: pulumi.Input<string>;
  readonly clusterName: pulumi.Input<string>;
  /** EventBridge schedule. Default: `rate(5 minutes)`. */
  readonly schedule?: string;
  /** HTTP-check every instance. Default: true. */
  readonly checkHealth?: boolean;
  /** Default: `/health`. */
  readonly healthPath?: string;
  /** Default: 2000. */
  readonly healthTimeoutMs?: number;
  /** Default: 64. */
  readonly healthConcurrency?: number;
  /** Stop the ECS task of an instance failing its checks (grants ecs:StopTask). Default: false. */
  readonly stopUnhealthyTasks?: boolean;
  /** Report without deleting. Default: false. */
  readonly dryRun?: boolean;
  /** Above this share of our records, a run deletes nothing. Default: 0.5. */
  readonly maxDeleteShare?: number;
  /**
   * Judge unattributed (`ecssd1`) record sets as this stack's, and delete them at destroy: only for a zone no
   * other stack ever wrote to (ECSSD_CLAIM_UNATTRIBUTED). Default: false, they are left alone and counted.
   */
  readonly claimUnattributed?: boolean;
}

/**
 * The reconciler: a Lambda in the private subnets on a schedule, allowed to read ECS, delete
 * stale SRV and A records of its zone, and reach the instances' dynamic host ports for health
 * checks.
 */
export class Reconciler extends pulumi.ComponentResource {
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly role: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly function: aws.lambda.Function;
  readonly functionName: pulumi.Output<string>;
  readonly scheduleRule: aws.cloudwatch.EventRule;

  constructor(name: string, args: ReconcilerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ecssd:infra:Reconciler", name, {}, opts);
    const checkHealth = args.checkHealth ?? CONFIG_DEFAULTS.checkHealth;
    const stopUnhealthyTasks = args.stopUnhealthyTasks ?? CONFIG_DEFAULTS.stopUnhealthyTasks;

    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.vpcId,
        description: "ecssd reconciler: AWS APIs and instance health checks",
        revokeRulesOnDelete: true,
      },
      { parent: this },
    );
    // ECS and Route53.
    httpsEgress(`${name}-egress-https`, this.securityGroup.id, "AWS APIs", this);
    if (checkHealth) {
      for (const range of EPHEMERAL_PORT_RANGES) {
        new aws.vpc.SecurityGroupEgressRule(
          `${name}-egress-health${range.suffix}`,
          {
            securityGroupId: this.securityGroup.id,
            ipProtocol: "tcp",
            fromPort: range.from,
            toPort: range.to,
            cidrIpv4: args.vpcCidr,
            description: "health checks on dynamic host ports",
          },
          { parent: this },
        );
      }
      for (const range of args.instanceSecurityGroupId !== undefined ? EPHEMERAL_PORT_RANGES : []) {
        new aws.vpc.SecurityGroupIngressRule(
          `${name}-instances-from-reconciler${range.suffix}`,
          {
            securityGroupId: args.instanceSecurityGroupId as pulumi.Input<string>,
            referencedSecurityGroupId: this.securityGroup.id,
            ipProtocol: "tcp",
            fromPort: range.from,
            toPort: range.to,
            description: "reconciler health checks",
          },
          { parent: this },
        );
      }
    }

    // No reserved concurrency: new accounts cannot reserve any (10 must stay unreserved). Runs overlap only
    // when one outlasts the schedule's interval, and then at worst both try to delete the same stale records;
    // the next run starts again from fresh data.
    const lambda = zoneWriterLambda(name, this, args, {
      roleDescription: "ecssd reconciler: read ECS, prune its zone",
      // It runs in the VPC: the managed policy also lets Lambda create its network interfaces there.
      managed: { suffix: "vpc-access", policy: "AWSLambdaVPCAccessExecutionRole" },
      policy: (scope) => JSON.stringify(reconcilerPolicy({ ...scope, stopUnhealthyTasks })),
      description: "ecssd reconciler: removes stale records, health-checks instances",
      runtime: RECONCILER_RUNTIME,
      timeout: RECONCILER_TIMEOUT_SECONDS,
      vpcConfig: { subnetIds: args.subnetIds, securityGroupIds: [this.securityGroup.id] },
      environment: (zone) =>
        reconcilerEnvironment({
          ...zone,
          // Every tunable is written, given or not, so the function's configuration shows what it runs with.
          checkHealth,
          healthPath: args.healthPath ?? CONFIG_DEFAULTS.healthPath,
          healthTimeoutMs: args.healthTimeoutMs ?? CONFIG_DEFAULTS.healthTimeoutMs,
          healthConcurrency: args.healthConcurrency ?? CONFIG_DEFAULTS.healthConcurrency,
          stopUnhealthyTasks,
          dryRun: args.dryRun ?? CONFIG_DEFAULTS.dryRun,
          maxDeleteShare: args.maxDeleteShare ?? CONFIG_DEFAULTS.maxDeleteShare,
          claimUnattributed: args.claimUnattributed ?? CONFIG_DEFAULTS.claimUnattributed,
        }),
      // A failed run is not retried: the next scheduled run does the same work on fresher data.
      invoke: { maximumRetryAttempts: 0 },
    });
    this.role = lambda.role;
    this.logGroup = lambda.logGroup;
    this.function = lambda.function;
    this.functionName = this.function.name;

    this.scheduleRule = new aws.cloudwatch.EventRule(
      `${name}-schedule`,
      { description: "runs the ecssd reconciler", scheduleExpression: args.schedule ?? "rate(5 minutes)" },
      { parent: this },
    );
    invokedByRule(name, this, this.function, this.scheduleRule, `${name}-schedule-target`);

    this.registerOutputs({ functionName: this.functionName, functionArn: this.function.arn });
  }
}
