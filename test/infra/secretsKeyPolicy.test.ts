import { strict as assert } from "node:assert";
import { secretsReadPolicy } from "../../infra/policies";
import { secretsKeyPolicy } from "../../infra/secretsKeyPolicy";
import { type IamRequest, isAllowedFor } from "./support/iamEvaluation";

const ACCOUNT = "123456789012";
const KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const PARAMETER = `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/ecssd/dev/examples/password`;
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const EXECUTION_ROLE = role("ecssd-examples-execution-role");
const INSTANCE_ROLE = role("ecssd-cluster-instance-role");
const DEPLOYER_ROLE_ID = "AROADEPLOYER0EXAMPLE1";

const keyPolicy = secretsKeyPolicy({
  account: ACCOUNT,
  partition: "aws",
  region: "eu-west-1",
  readerRoleArn: EXECUTION_ROLE,
  deployerUserId: `${DEPLOYER_ROLE_ID}:alice`,
});
/** What an identity policy granting everything in KMS looks like: the worst an instance role could be given. */
const KMS_EVERYTHING = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }],
};
const decrypt = (userid: string, viaService = "ssm.eu-west-1.amazonaws.com"): IamRequest => ({
  action: "kms:Decrypt",
  resource: KEY,
  context: { "kms:ViaService": viaService, "aws:userid": userid },
});

describe("secretsKeyPolicy: the examples' credentials key", () => {
  const cases: [
    what: string,
    principal: string,
    policies: unknown[],
    request: IamRequest,
    allowed: boolean,
  ][] = [
    [
      "the execution role decrypts through SSM",
      EXECUTION_ROLE,
      [secretsReadPolicy([PARAMETER], KEY)],
      decrypt("AROAEXECUTION0ROLE001:task"),
      true,
    ],
    [
      "the execution role decrypts outside SSM",
      EXECUTION_ROLE,
      [secretsReadPolicy([PARAMETER], KEY)],
      decrypt("AROAEXECUTION0ROLE001:task", "secretsmanager.eu-west-1.amazonaws.com"),
      false,
    ],
    [
      "the instance role decrypts, even if an IAM policy grants it all of KMS",
      INSTANCE_ROLE,
      [KMS_EVERYTHING],
      decrypt("AROAINSTANCE0ROLE0001:i-0abc"),
      false,
    ],
    [
      "the deployer reads a parameter back through SSM",
      role("deployer"),
      [KMS_EVERYTHING],
      decrypt(`${DEPLOYER_ROLE_ID}:bob`),
      true,
    ],
    [
      "the deployer decrypts outside SSM",
      role("deployer"),
      [KMS_EVERYTHING],
      decrypt(`${DEPLOYER_ROLE_ID}:bob`, "s3.eu-west-1.amazonaws.com"),
      false,
    ],
    [
      "an administrator changes the key policy",
      role("admin"),
      [KMS_EVERYTHING],
      { action: "kms:PutKeyPolicy", resource: KEY },
      true,
    ],
    [
      "an administrator decrypts through SSM",
      role("admin"),
      [KMS_EVERYTHING],
      decrypt("AROAADMIN0ROLE0000001:carol"),
      false,
    ],
    [
      "an administrator without an IAM grant changes the key policy",
      role("admin"),
      [],
      { action: "kms:PutKeyPolicy", resource: KEY },
      false,
    ],
  ];
  for (const [what, principal, policies, request, allowed] of cases) {
    it(`${allowed ? "allows" : "denies"}: ${what}`, async () =>
      assert.equal(await isAllowedFor({ principal, policies, resourcePolicy: keyPolicy }, request), allowed));
  }

  it("lets no one but the execution role and the deployer's sessions use the key", () => {
    const users = keyPolicy.Statement.filter((s) => [s.Action].flat().some((a) => /crypt|DataKey/.test(a)));
    assert.deepEqual(
      users.map((s) => [s.Principal.AWS, s.Condition]),
      [
        [
          `arn:aws:iam::${ACCOUNT}:root`,
          {
            StringEquals: { "kms:ViaService": "ssm.eu-west-1.amazonaws.com" },
            StringLike: { "aws:userid": `${DEPLOYER_ROLE_ID}:*` },
          },
        ],
        [EXECUTION_ROLE, { StringEquals: { "kms:ViaService": "ssm.eu-west-1.amazonaws.com" } }],
      ],
    );
  });

  it("names an IAM user deployer by its own id", () => {
    const policy = secretsKeyPolicy({
      account: ACCOUNT,
      partition: "aws-cn",
      region: "cn-north-1",
      readerRoleArn: EXECUTION_ROLE.replace("arn:aws:", "arn:aws-cn:"),
      deployerUserId: "AIDAUSER0EXAMPLE00001",
    });
    assert.deepEqual(policy.Statement[1]?.Condition?.StringLike, { "aws:userid": "AIDAUSER0EXAMPLE00001" });
    assert.equal(policy.Statement[0]?.Principal.AWS, `arn:aws-cn:iam::${ACCOUNT}:root`);
  });

  it("refuses what is not an account, a role or a user id", () => {
    const good = { account: ACCOUNT, partition: "aws", region: "eu-west-1", readerRoleArn: EXECUTION_ROLE };
    assert.throws(() => secretsKeyPolicy({ ...good, account: "12", deployerUserId: "AIDA1" }), /account id/);
    assert.throws(
      () => secretsKeyPolicy({ ...good, readerRoleArn: "ecssd", deployerUserId: "AIDA1" }),
      /role ARN/,
    );
    assert.throws(() => secretsKeyPolicy({ ...good, deployerUserId: "*" }), /user id/);
  });
});
