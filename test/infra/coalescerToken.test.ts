// The coalescer's token as the program deploys it, under Pulumi mocks: a random password in an SSM SecureString
// parameter under its own key, handed to the agent's and the coalescer's containers as an ECS secret, and
// readable (ssm:GetParameters and kms:Decrypt, as the IAM simulator judges the identity and key policies
// together) by those two task execution roles and no other role of the program.
import { strict as assert } from "node:assert";
import type { PolicyDocument } from "../../infra/policies";
import { tokenKeyPolicy } from "../../infra/secretsKeyPolicy";
import { isAllowedFor } from "./support/iamEvaluation";
import { ACCOUNT, type ProgramMocks, REGION, SECRETS_KEY_ARN } from "./support/programMocks";
import { runProgram } from "./support/runProgram";

const PARAMETER = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/ecssd/test/coalescer/token`;
/** AmazonSSMManagedInstanceCore's grant that matters here (the instance role carries it): every parameter. */
const SSM_EVERY_PARAMETER: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: ["ssm:GetParameter", "ssm:GetParameters"], Resource: "*" }],
};
const READERS = ["ecssd-agent-execution-role", "ecssd-coalescer-execution-role"];

describe("the coalescer's token (infra)", function () {
  this.timeout(60_000);
  let mocks: ProgramMocks;
  before(async () => {
    ({ mocks } = await runProgram({
      "aws:region": REGION,
      "ecssd:examples": "true",
      "ecssd:examplesPassword": "correct-horse-battery",
    }));
  });

  /** A role's identity policies: its inline ones, and the SSM grant of AmazonSSMManagedInstanceCore if attached. */
  const policiesOf = (roleName: string): unknown[] => [
    ...mocks
      .ofType("aws:iam/rolePolicy:RolePolicy")
      .filter((p) => p.inputs.role === `${roleName}-id`)
      .map((p) => JSON.parse(p.inputs.policy)),
    ...(mocks
      .ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
      .some(
        (a) =>
          a.inputs.role === roleName && String(a.inputs.policyArn).endsWith("/AmazonSSMManagedInstanceCore"),
      )
      ? [SSM_EVERY_PARAMETER]
      : []),
  ];

  it("is 48 letters and digits, kept only in its SecureString parameter under its own key", () => {
    const [password] = mocks.ofType("random:index/randomPassword:RandomPassword");
    assert.deepEqual([password?.inputs.length, password?.inputs.special], [48, false]);
    const parameter = mocks.named("ecssd-coalescer-token-parameter");
    assert.equal(parameter.inputs.type, "SecureString");
    assert.equal(parameter.inputs.name, "/ecssd/test/coalescer/token");
    assert.equal(parameter.inputs.keyId, SECRETS_KEY_ARN);
    const value = "Rand0m".repeat(20).slice(0, 48);
    const holders = mocks.resources
      .filter((r) => JSON.stringify(r.inputs).includes(value))
      .map((r) => r.name);
    assert.deepEqual(holders, ["ecssd-coalescer-token-parameter"]);
  });

  it("reaches the agent's and the coalescer's containers as the ECS secret ECSSD_COALESCER_TOKEN", () => {
    for (const task of ["ecssd-agent-task", "ecssd-coalescer-task"]) {
      const [container] = JSON.parse(mocks.named(task).inputs.containerDefinitions);
      assert.deepEqual(container.secrets, [{ name: "ECSSD_COALESCER_TOKEN", valueFrom: PARAMETER }], task);
      assert.ok(
        !container.environment.some((e: { name: string }) => e.name === "ECSSD_COALESCER_TOKEN"),
        `${task}: not in the environment`,
      );
    }
  });

  it("may be read by the agent's and the coalescer's execution roles, and by no other role of the program", async () => {
    const keyPolicy = JSON.parse(mocks.named("ecssd-coalescer-token-key").inputs.policy);
    const readers: string[] = [];
    let instanceRole = false;
    for (const role of mocks.ofType("aws:iam/role:Role")) {
      const asker = {
        principal: `arn:aws:iam::${ACCOUNT}:role/${role.name}`,
        policies: policiesOf(role.name),
      };
      const gets = await isAllowedFor(asker, { action: "ssm:GetParameters", resource: PARAMETER });
      const decrypts = await isAllowedFor(
        { ...asker, resourcePolicy: keyPolicy },
        {
          action: "kms:Decrypt",
          resource: SECRETS_KEY_ARN,
          context: { "kms:ViaService": `ssm.${REGION}.amazonaws.com`, "kms:CallerAccount": ACCOUNT },
        },
      );
      if (role.name === "ecssd-cluster-instance-role") instanceRole = true;
      if (role.name === "ecssd-cluster-instance-role")
        assert.deepEqual([gets, decrypts], [true, false], "the instance role gets ciphertext it cannot open");
      if (gets && decrypts) readers.push(role.name);
    }
    assert.ok(instanceRole, "the program's instance role was judged");
    assert.deepEqual(readers.sort(), READERS);
  });

  it("its key admits no use outside SSM", async () => {
    const keyPolicy = tokenKeyPolicy({ account: ACCOUNT, partition: "aws", region: REGION });
    const reader = {
      principal: `arn:aws:iam::${ACCOUNT}:role/ecssd-agent-execution-role`,
      policies: policiesOf("ecssd-agent-execution-role"),
      resourcePolicy: keyPolicy,
    };
    const decrypt = (viaService: string) => ({
      action: "kms:Decrypt",
      resource: SECRETS_KEY_ARN,
      context: { "kms:ViaService": viaService, "kms:CallerAccount": ACCOUNT },
    });
    assert.equal(await isAllowedFor(reader, decrypt(`ssm.${REGION}.amazonaws.com`)), true);
    assert.equal(await isAllowedFor(reader, decrypt(`secretsmanager.${REGION}.amazonaws.com`)), false);
    assert.throws(
      () => tokenKeyPolicy({ account: "12345", partition: "aws", region: REGION }),
      /not an AWS account id/,
    );
  });
});
