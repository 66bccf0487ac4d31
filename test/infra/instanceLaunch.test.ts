import { strict as assert } from "node:assert";
import { managedPolicyArn, partitionForRegion } from "../../infra/awsPartition";
import {
  ecsAmiParameterName,
  ecsUserData,
  imagePlatform,
  instanceArchitecture,
} from "../../infra/instanceLaunch";
import { capacityProviderName, secretParameterPath, stackScopedName } from "../../infra/names";
import { subnetPrefixes } from "../../infra/network";

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
