import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { managedPolicyArn, partitionForRegion } from "./awsPartition";
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
  const logGroup = new aws.cloudwatch.LogGroup(
    `${name}-logs`,
    { retentionInDays: args.logRetentionDays ?? 14 },
    { parent },
  );
  return { role, logGroup, grants: [managed, policy] };
}
