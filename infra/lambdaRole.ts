import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { managedPolicyArn, partitionForRegion } from "./awsPartition";
import type { LambdaNodeRuntime } from "./lambdaRuntime";
import { componentLogGroup } from "./logGroup";
import { serviceTrustPolicy } from "./trustPolicy";

/** What both our Lambdas (the reconciler, the registrar) have besides their code. */
export interface LambdaBase {
  readonly role: aws.iam.Role;
  readonly logGroup: aws.cloudwatch.LogGroup;
  /** The function must wait for these: Lambda checks the role's permissions when it creates the function. */
  readonly grants: pulumi.Resource[];
}

/**
 * A Lambda's role (only Lambda, acting for this account, may assume it), the AWS-managed policy it needs for
 * logs (and, in a VPC, its network interfaces), our inline policy, and its log group with retention. Resource
 * names are `<name>-role`, `<name>-<managed.suffix>`, `<name>-policy` and `<name>-logs`.
 */
export function lambdaBase(
  name: string,
  parent: pulumi.Resource,
  args: {
    readonly region: string;
    readonly description: string;
    readonly managed: {
      readonly suffix: string;
      readonly policy: "AWSLambdaBasicExecutionRole" | "AWSLambdaVPCAccessExecutionRole";
    };
    /** The inline policy document, as JSON. */
    readonly policy: pulumi.Input<string>;
    readonly logRetentionDays?: number;
  },
): LambdaBase {
  const role = new aws.iam.Role(
    `${name}-role`,
    {
      assumeRolePolicy: serviceTrustPolicy("lambda.amazonaws.com", args.region, parent),
      description: args.description,
    },
    { parent },
  );
  const managed = new aws.iam.RolePolicyAttachment(
    `${name}-${args.managed.suffix}`,
    {
      role: role.name,
      policyArn: managedPolicyArn(partitionForRegion(args.region), `service-role/${args.managed.policy}`),
    },
    { parent },
  );
  const policy = new aws.iam.RolePolicy(`${name}-policy`, { role: role.id, policy: args.policy }, { parent });
  const logGroup = componentLogGroup(name, args.logRetentionDays, parent);
  return { role, logGroup, grants: [managed, policy] };
}

/**
 * The function, as both our Lambdas are made: the bundle's `index.handler`, 256 MB, text logs into the base's
 * group, created after the role's grants (Lambda checks them at creation); and how Lambda retries an
 * asynchronous invocation of it. Resource names are `<name>-function` and `<name>-invoke-config`.
 */
export function lambdaFunction(
  name: string,
  parent: pulumi.Resource,
  base: LambdaBase,
  args: {
    readonly description: string;
    readonly runtime: LambdaNodeRuntime;
    readonly code: pulumi.Input<pulumi.asset.Archive>;
    readonly timeout: number;
    readonly environment: pulumi.Input<Record<string, pulumi.Input<string>>>;
    readonly vpcConfig?: aws.types.input.lambda.FunctionVpcConfig;
    readonly invoke: Omit<aws.lambda.FunctionEventInvokeConfigArgs, "functionName">;
  },
): aws.lambda.Function {
  const fn = new aws.lambda.Function(
    `${name}-function`,
    {
      description: args.description,
      runtime: args.runtime,
      handler: "index.handler",
      code: args.code,
      role: base.role.arn,
      timeout: args.timeout,
      memorySize: 256,
      ...(args.vpcConfig !== undefined && { vpcConfig: args.vpcConfig }),
      loggingConfig: { logFormat: "Text", logGroup: base.logGroup.name },
      environment: { variables: args.environment },
    },
    { parent, dependsOn: base.grants },
  );
  new aws.lambda.FunctionEventInvokeConfig(
    `${name}-invoke-config`,
    { functionName: fn.name, ...args.invoke },
    { parent, dependsOn: base.grants },
  );
  return fn;
}
