import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { loadAgentConfig } from "../../agent/config";
import { managedPolicyArn, partitionForRegion } from "../../infra/awsPartition";
import {
  BLOCK_IMDS_RULE,
  ecsAmiParameterName,
  ecsUserData,
  imagePlatform,
  instanceArchitecture,
} from "../../infra/instanceLaunch";
import { capacityProviderName, secretParameterPath, stackScopedName } from "../../infra/names";
import { subnetPrefixes } from "../../infra/network";
import type { PolicyDocument } from "../../infra/policies";
import { ACCOUNT, type ProgramMocks, REGION } from "./support/programMocks";
import { runProgram } from "./support/runProgram";

describe("instance launch, naming and partitions", () => {
  const architectures: [instanceType: string, architecture: "x86_64" | "arm64"][] = [
    ["t3.small", "x86_64"],
    ["m7i-flex.large", "x86_64"],
    ["g4dn.xlarge", "x86_64"],
    ["c5n.large", "x86_64"],
    ["t4g.small", "arm64"],
    ["m7gd.large", "arm64"],
    ["c6gn.medium", "arm64"],
    ["g5g.xlarge", "arm64"],
    ["im4gn.large", "arm64"],
    ["a1.medium", "arm64"],
  ];
  for (const [instanceType, architecture] of architectures) {
    it(`${instanceType} is ${architecture}`, () =>
      assert.equal(instanceArchitecture(instanceType), architecture));
  }

  it("picks the ECS-optimized Amazon Linux 2023 AMI parameter and image platform per architecture", () => {
    assert.equal(
      ecsAmiParameterName("x86_64"),
      "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id",
    );
    assert.equal(
      ecsAmiParameterName("arm64"),
      "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id",
    );
    assert.equal(imagePlatform("x86_64"), "linux/amd64");
    assert.equal(imagePlatform("arm64"), "linux/arm64");
  });

  it("user data joins the cluster and enables task roles in host network mode", () => {
    const script = ecsUserData("ecssd-cluster-1a2b");
    assert.ok(script.startsWith("#!/bin/bash\n"));
    const lines = script.split("\n");
    assert.ok(lines.includes("ECS_CLUSTER=ecssd-cluster-1a2b"));
    assert.ok(lines.includes("ECS_ENABLE_TASK_IAM_ROLE=true"));
    assert.ok(lines.includes("ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST=true"));
  });

  it("user data keeps bridge and awsvpc containers away from the instance metadata service", () => {
    const script = ecsUserData("ecssd-cluster-1a2b");
    const lines = script.split("\n");
    assert.ok(lines.includes("ECS_AWSVPC_BLOCK_IMDS=true"), "awsvpc: the ECS agent's own switch");
    // bridge: the rule goes in each time Docker starts (a docker.service drop-in), and at once if it runs.
    const dropIn = lines.findIndex((l) => l.includes("docker.service.d/ecssd-block-imds.conf"));
    assert.ok(dropIn > 0 && lines[dropIn + 1] === "[Service]");
    assert.match(
      lines[dropIn + 2] ?? "",
      /^ExecStartPost=\/bin\/sh -c '.*iptables -w --insert DOCKER-USER 1 /,
    );
    assert.equal(BLOCK_IMDS_RULE, "DOCKER-USER --destination 169.254.169.254/32 --jump DROP");
    assert.ok(lines.includes("systemctl daemon-reload"));
    assert.ok(lines.some((l) => l.startsWith("if systemctl is-active --quiet docker; then iptables -w -C ")));
    // Idempotent: a Docker restart checks (-C) before it inserts, so the rule is never stacked.
    assert.equal(script.split(`iptables -w -C ${BLOCK_IMDS_RULE}`).length - 1, 2);
    execFileSync("bash", ["-n"], { input: script });
  });

  it("user data refuses a cluster name the shell could interpret", () => {
    for (const name of ["a;reboot", "$(id)", "a b", ""]) {
      assert.throws(() => ecsUserData(name), /invalid ECS cluster name/, name);
    }
  });

  const partitions: [region: string, partition: string][] = [
    ["eu-west-1", "aws"],
    ["us-east-1", "aws"],
    ["cn-north-1", "aws-cn"],
    ["us-gov-west-1", "aws-us-gov"],
  ];
  for (const [region, partition] of partitions) {
    it(`${region} is in partition ${partition}`, () => {
      assert.equal(partitionForRegion(region), partition);
      assert.equal(
        managedPolicyArn(partition, "service-role/AWSLambdaVPCAccessExecutionRole"),
        `arn:${partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole`,
      );
    });
  }

  it("scopes account-wide names by project and stack", () => {
    assert.equal(stackScopedName("ecssd", "dev", "agent"), "ecssd-dev-agent");
    assert.equal(stackScopedName("ecssd", "org/dev", "agent"), "ecssd-org-dev-agent");
    assert.throws(() => stackScopedName("ecssd", "x".repeat(130), "agent"), /longer than 128/);
    assert.equal(secretParameterPath("ecssd", "dev", "examples/password"), "/ecssd/dev/examples/password");
    assert.throws(() => secretParameterPath("ecssd", "dev", "examples/../x y"), /invalid path segment "x y"/);
  });

  it("names the capacity provider so ECS accepts it", () => {
    assert.equal(capacityProviderName("ecssd", "dev"), "cp-ecssd-dev");
    assert.equal(capacityProviderName("ecssd", "org/prod"), "cp-ecssd-org-prod");
  });

  const prefixes: [vpc: number, pub: number, priv: number][] = [
    [16, 24, 20],
    [20, 28, 24],
  ];
  for (const [vpc, pub, priv] of prefixes) {
    it(`a /${vpc} VPC gets /${pub} public and /${priv} private subnets`, () => {
      assert.deepEqual(subnetPrefixes(vpc), { public: pub, private: priv });
    });
  }
});

describe("containers are kept away from the instance role (the program under Pulumi mocks)", function () {
  this.timeout(60_000);
  let mocks: ProgramMocks;
  before(async () => {
    ({ mocks } = await runProgram({ "aws:region": REGION }));
  });
  const inlinePolicies = (role: string): PolicyDocument[] =>
    mocks
      .ofType("aws:iam/rolePolicy:RolePolicy")
      .filter((p) => p.inputs.role === `${role}-id`)
      .map((p) => JSON.parse(p.inputs.policy));
  const actions = (docs: PolicyDocument[]) =>
    docs.flatMap((d) => d.Statement.flatMap((st) => [st.Action ?? []].flat() as string[]));

  it("instances serve IMDSv2 only, one hop: a bridge container's token request never comes back", () => {
    const options = mocks.named("ecssd-cluster-launch-template").inputs.metadataOptions;
    assert.deepEqual(
      [options.httpTokens, options.httpPutResponseHopLimit, options.httpEndpoint],
      ["required", 1, "enabled"],
    );
    const userData = Buffer.from(
      mocks.named("ecssd-cluster-launch-template").inputs.userData,
      "base64",
    ).toString();
    assert.match(userData, /^ECS_AWSVPC_BLOCK_IMDS=true$/m);
    assert.ok(userData.includes(BLOCK_IMDS_RULE));
  });

  it("the agent's credentials come from its task role; the instance role grants nothing of Route53", () => {
    const task = mocks.named("ecssd-agent-task");
    assert.equal(task.inputs.taskRoleArn, `arn:aws:iam::${ACCOUNT}:role/ecssd-agent-task-role`);
    // With the coalescer (the default) the agent calls no AWS API: its task role grants nothing, and the zone's
    // one writer holds the write in its own task role.
    assert.deepEqual(inlinePolicies("ecssd-agent-task-role"), []);
    assert.ok(
      actions(inlinePolicies("ecssd-coalescer-task-role")).includes("route53:ChangeResourceRecordSets"),
    );
    const instance = actions(inlinePolicies("ecssd-cluster-instance-role"));
    assert.ok(instance.length > 0, "the instance role's inline policy is found");
    assert.deepEqual(
      instance.filter((a) => a.startsWith("route53:") || a === "*"),
      [],
      "the instance role cannot write the zone",
    );
  });

  it("the agent asks the ECS agent on its own host: host network mode, and the default introspection URL", () => {
    const task = mocks.named("ecssd-agent-task");
    assert.equal(task.inputs.networkMode, "host");
    const [agent] = JSON.parse(task.inputs.containerDefinitions);
    const env = Object.fromEntries(
      (agent.environment as { name: string; value: string }[]).map((e) => [e.name, e.value]),
    );
    assert.equal(loadAgentConfig(env).ecsAgentUrl, "http://localhost:51678");
    assert.deepEqual(
      Object.keys(env).filter((n) => n.startsWith("AWS_")),
      [],
      "no credentials handed to the agent but its task role's",
    );
  });
});
