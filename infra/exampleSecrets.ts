import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { partitionForRegion } from "./awsPartition";
import { childMovedInto } from "./movedResources";
import { secretParameterPath } from "./names";
import { secretsReadPolicy } from "./policies";
import { secretsKeyPolicy } from "./secretsKeyPolicy";

/** Arguments of {@link ExampleSecrets}. */
export interface ExampleSecretsArgs {
  /** The one role that may decrypt and read the credentials: the examples' task execution role (required). */
  readonly readerRole: aws.iam.Role;
  readonly region: string;
  /** Basic-auth user of time and calc, also used by the portal. Default: `demo`. */
  readonly username?: pulumi.Input<string>;
  /** Basic-auth password: a secret Output (required). */
  readonly password: pulumi.Input<string>;
}

/**
 * The examples' credentials: SSM SecureString parameters under a customer-managed key that only their task
 * execution role may decrypt with (the container instances' role cannot), and that role's policy to read
 * them. Containers get them as ECS secrets. Children keep the names and URNs they had directly under
 * ExampleServices (see movedResources.ts).
 */
export class ExampleSecrets extends pulumi.ComponentResource {
  /** The customer-managed key of the credentials. */
  readonly key: aws.kms.Key;
  readonly usernameParameter: aws.ssm.Parameter;
  readonly passwordParameter: aws.ssm.Parameter;
  /** The reader role's policy: task definitions wait for it, or their first tasks could not start. */
  readonly readPolicy: aws.iam.RolePolicy;
  /** The parameters' ARNs, as container definitions name them. */
  readonly credentials: pulumi.Output<{ usernameArn: string; passwordArn: string }>;

  constructor(name: string, args: ExampleSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ecssd:infra:ExampleSecrets", name, {}, opts);
    const child = childMovedInto(this, opts);
    const partition = partitionForRegion(args.region);
    const project = pulumi.getProject();
    const stack = pulumi.getStack();

    const caller = aws.getCallerIdentityOutput({}, { parent: this });
    this.key = new aws.kms.Key(
      `${name}-secrets-key`,
      {
        description: "ecssd examples' credentials: decrypted only by their task execution role, through SSM",
        enableKeyRotation: true,
        deletionWindowInDays: 7,
        policy: pulumi
          .all([caller.accountId, caller.userId, args.readerRole.arn])
          .apply(([account, deployerUserId, readerRoleArn]) =>
            JSON.stringify(
              secretsKeyPolicy({ account, partition, region: args.region, readerRoleArn, deployerUserId }),
            ),
          ),
      },
      child,
    );

    this.usernameParameter = new aws.ssm.Parameter(
      `${name}-username`,
      {
        name: secretParameterPath(project, stack, "examples/username"),
        type: "SecureString",
        value: args.username ?? "demo",
        keyId: this.key.arn,
        description: "basic-auth user of the example services",
      },
      child,
    );
    this.passwordParameter = new aws.ssm.Parameter(
      `${name}-password`,
      {
        name: secretParameterPath(project, stack, "examples/password"),
        type: "SecureString",
        value: pulumi.secret(args.password),
        keyId: this.key.arn,
        description: "basic-auth password of the example services",
      },
      child,
    );

    this.readPolicy = new aws.iam.RolePolicy(
      `${name}-execution-secrets`,
      {
        role: args.readerRole.id,
        policy: pulumi
          .all([this.usernameParameter.arn, this.passwordParameter.arn, this.key.arn])
          .apply(([username, password, key]) => JSON.stringify(secretsReadPolicy([username, password], key))),
      },
      child,
    );

    this.credentials = pulumi
      .all([this.usernameParameter.arn, this.passwordParameter.arn])
      .apply(([usernameArn, passwordArn]) => ({ usernameArn, passwordArn }));
    this.registerOutputs({ keyArn: this.key.arn });
  }
}
