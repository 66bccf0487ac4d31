import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { partitionForRegion } from "./awsPartition";
import { secretParameterPath } from "./names";
import { secretsReadPolicy } from "./policies";
import { tokenKeyPolicy } from "./secretsKeyPolicy";

/** Arguments of {@link CoalescerToken}. */
export interface CoalescerTokenArgs {
  readonly region: string;
}

/** Where a task definition finds the token, and what its execution role must be allowed to read it. */
export interface CoalescerTokenRef {
  readonly parameterArn: pulumi.Input<string>;
  readonly keyArn: pulumi.Input<string>;
}

/** Characters of the token: 48 letters and digits, about 285 bits, and nothing a shell or a header could mangle. */
export const COALESCER_TOKEN_LENGTH = 48;

/**
 * The coalescer's bearer token (ECSSD_COALESCER_TOKEN): a random password kept in an SSM SecureString parameter
 * under its own customer-managed key (tokenKeyPolicy says why not SSM's own key), which the agent's and the
 * coalescer's task definitions name as an ECS secret. Each of the two attaches {@link readTokenPolicy} to its
 * task execution role; no other role of the program may read it.
 */
export class CoalescerToken extends pulumi.ComponentResource {
  readonly key: aws.kms.Key;
  readonly parameter: aws.ssm.Parameter;
  readonly ref: CoalescerTokenRef;

  constructor(name: string, args: CoalescerTokenArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ecssd:infra:CoalescerToken", name, {}, opts);
    const caller = aws.getCallerIdentityOutput({}, { parent: this });
    const value = new random.RandomPassword(
      `${name}-value`,
      { length: COALESCER_TOKEN_LENGTH, special: false },
      { parent: this },
    );
    this.key = new aws.kms.Key(
      `${name}-key`,
      {
        description:
          "ecssd coalescer token: decrypted through SSM, by the roles IAM lets (its readers' only)",
        enableKeyRotation: true,
        deletionWindowInDays: 7,
        policy: caller.accountId.apply((account) =>
          JSON.stringify(
            tokenKeyPolicy({ account, partition: partitionForRegion(args.region), region: args.region }),
          ),
        ),
      },
      { parent: this },
    );
    this.parameter = new aws.ssm.Parameter(
      `${name}-parameter`,
      {
        name: secretParameterPath(pulumi.getProject(), pulumi.getStack(), "coalescer/token"),
        type: "SecureString",
        value: value.result,
        keyId: this.key.arn,
        description:
          "the coalescer's bearer token (ECSSD_COALESCER_TOKEN), read by the agent and the coalescer",
      },
      { parent: this },
    );
    this.ref = { parameterArn: this.parameter.arn, keyArn: this.key.arn };
    this.registerOutputs({ parameterArn: this.parameter.arn, keyArn: this.key.arn });
  }
}

/**
 * The policy that lets `role` (a task execution role) read the token, a child of `parent` named
 * `${name}-token-read`. Task definitions wait for it, or their first tasks could not start.
 */
export function readTokenPolicy(
  name: string,
  role: aws.iam.Role,
  token: CoalescerTokenRef,
  parent: pulumi.Resource,
): aws.iam.RolePolicy {
  return new aws.iam.RolePolicy(
    `${name}-token-read`,
    {
      role: role.id,
      policy: pulumi
        .all([token.parameterArn, token.keyArn])
        .apply(([parameterArn, keyArn]) => JSON.stringify(secretsReadPolicy([parameterArn], keyArn))),
    },
    { parent },
  );
}
