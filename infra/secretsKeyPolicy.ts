import type { TrustScope } from "./policies";

/** A KMS key policy: a resource policy, so each statement names its principal. */
export interface KeyPolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly {
    readonly Sid: string;
    readonly Effect: "Allow";
    readonly Principal: { readonly AWS: string };
    readonly Action: string | readonly string[];
    readonly Resource: "*";
    readonly Condition?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  }[];
}

/** What the examples' secrets key policy is computed from. */
export interface SecretsKeyPolicyInput extends TrustScope {
  /** The role ECS reads the secrets as (the examples' task execution role). */
  readonly readerRoleArn: string;
  /** `aws:userid` of whoever runs `pulumi up` (sts GetCallerIdentity's UserId). */
  readonly deployerUserId: string;
}

/**
 * Managing the key, never using it. Without these in the key policy a key can become unmanageable
 * (AWS's default key policy), and IAM policies of the account decide who may manage it.
 */
export const KEY_ADMIN_ACTIONS = [
  "kms:CancelKeyDeletion",
  "kms:CreateAlias",
  "kms:DeleteAlias",
  "kms:DescribeKey",
  "kms:DisableKey",
  "kms:DisableKeyRotation",
  "kms:EnableKey",
  "kms:EnableKeyRotation",
  "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:ListKeyRotations",
  "kms:ListResourceTags",
  "kms:PutKeyPolicy",
  "kms:ScheduleKeyDeletion",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:UpdateAlias",
  "kms:UpdateKeyDescription",
] as const;

/**
 * The key of the examples' SecureString parameters. Only the examples' task execution role may decrypt with it,
 * and only through SSM; so the container instances' role, which AmazonSSMManagedInstanceCore lets call
 * ssm:GetParameter* on every parameter, gets ciphertext it cannot open.
 *
 * The one other user is the deployer: the AWS provider writes a parameter (SSM encrypts as the caller) and reads
 * it back with decryption after every create and refresh, so whoever runs `pulumi up` must encrypt and decrypt
 * through SSM too. A key policy cannot name an assumed-role session, so the deployer is matched by `aws:userid`
 * (`<role id>:*` for any session of the deploying role, the user id for an IAM user), and the account's IAM
 * policies must grant the deployer kms:Encrypt and kms:Decrypt as well. A different deployer runs `pulumi up`
 * once (no refresh) to be written in.
 */
export function secretsKeyPolicy(input: SecretsKeyPolicyInput): KeyPolicyDocument {
  return accountAdministeredKeyPolicy("secretsKeyPolicy", input, (account) =>
    secretsStatements(input, account),
  );
}

/** The secrets key's statements besides administering it: the deployer's, then the tasks'. */
function secretsStatements(
  input: SecretsKeyPolicyInput,
  account: { AWS: string },
): KeyPolicyDocument["Statement"] {
  if (!/^arn:[a-z-]+:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(input.readerRoleArn)) {
    throw new Error(`secretsKeyPolicy: not an IAM role ARN: "${input.readerRoleArn}"`);
  }
  const [principalId, session] = input.deployerUserId.split(":");
  if (!principalId || !/^[A-Z0-9]+$/.test(principalId)) {
    throw new Error(`secretsKeyPolicy: not an AWS user id: "${input.deployerUserId}"`);
  }
  const viaSsm = { "kms:ViaService": `ssm.${input.region}.amazonaws.com` };
  return [
    {
      Sid: "DeployerWritesAndReadsBackParameters",
      Effect: "Allow",
      Principal: account,
      Action: ["kms:Encrypt", "kms:Decrypt"],
      Resource: "*",
      Condition: {
        StringEquals: viaSsm,
        StringLike: { "aws:userid": session === undefined ? principalId : `${principalId}:*` },
      },
    },
    {
      Sid: "TasksReadSecrets",
      Effect: "Allow",
      Principal: { AWS: input.readerRoleArn },
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: { StringEquals: viaSsm },
    },
  ];
}

/**
 * The key of the coalescer's token parameter. Unlike the examples' key it cannot name its readers: the agent's and
 * the coalescer's task execution roles are made inside their components, after the parameter their task
 * definitions name. So the key admits the account's principals, through SSM only, as far as their IAM policies
 * allow: the program grants kms:Decrypt on it to those two roles alone, and AWS's managed policies the others carry
 * grant none (the instance role's AmazonSSMManagedInstanceCore reads every parameter, and gets ciphertext). What
 * it adds over SSM's own key (aws/ssm, which every principal allowed ssm:GetParameter may use) is that a role
 * reading the account's parameters (ReadOnlyAccess, say) cannot open this one.
 */
export function tokenKeyPolicy(input: TrustScope): KeyPolicyDocument {
  return accountAdministeredKeyPolicy("tokenKeyPolicy", input, (account) => [
    {
      Sid: "UseThroughSsmAsIamAllows",
      Effect: "Allow",
      Principal: account,
      Action: ["kms:Encrypt", "kms:Decrypt"],
      Resource: "*",
      Condition: {
        StringEquals: {
          "kms:ViaService": `ssm.${input.region}.amazonaws.com`,
          "kms:CallerAccount": input.account,
        },
      },
    },
  ]);
}

/**
 * A key policy whose first statement lets the account's IAM policies administer the key (never use it), then
 * `statements` given the account's principal. `policy` names the caller in the error on a bad account id.
 */
function accountAdministeredKeyPolicy(
  policy: string,
  scope: TrustScope,
  statements: (account: { AWS: string }) => KeyPolicyDocument["Statement"],
): KeyPolicyDocument {
  if (!/^\d{12}$/.test(scope.account))
    throw new Error(`${policy}: not an AWS account id: "${scope.account}"`);
  const account = { AWS: `arn:${scope.partition}:iam::${scope.account}:root` };
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AdministerKey",
        Effect: "Allow",
        Principal: account,
        Action: [...KEY_ADMIN_ACTIONS],
        Resource: "*",
      },
      ...statements(account),
    ],
  };
}
