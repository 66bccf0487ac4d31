// The whole Pulumi program (index.ts) run under Pulumi's unit-test mocks: every resource it would
// create is recorded with its inputs, and the tests assert what would make a deployment fail or
// unsafe. Prepare: config and mocks, then a dynamic import of the program. Act: the import runs it.
// Assess: the recorded resources.
// awsx.ec2.Vpc and awsx.ecr.Image are remote components (the awsx provider plugin builds their
// children), so under mocks each is one recorded resource with its inputs: the subnets, NAT gateways
// and the docker-build image are made by the plugin during a real `pulumi up` and do not appear here.
import { strict as assert } from "node:assert";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { BUNDLES_DIR } from "../../infra/images";
import { contentTag } from "../../infra/imageTags";
import { isRuntimeSupported } from "../../infra/lambdaRuntime";
import type { PolicyDocument } from "../../infra/policies";
import { deploymentFromName } from "../../records/setIdentifier";
import { isAllowed, isAllowedFor } from "./support/iamEvaluation";
import { promiseOf } from "./support/outputs";
import {
  ACCOUNT,
  AMI_ID,
  DEPLOYER,
  type ProgramMocks,
  REGION,
  type RecordedResource,
  SECRETS_KEY_ARN,
} from "./support/programMocks";
import { type Program, runProgram } from "./support/runProgram";

const PASSWORD = "Ex4mple-Pa55word-only-for-tests";
const ZONE = "servicediscovery.internal";
const ZONE_ARN = "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ";
const CLUSTER_NAME = "ecssd-cluster-cluster-7f3a9c1";
/** Every writer's deployment mark: the cluster's (records/deploymentFromName). */
const DEPLOYMENT = deploymentFromName(CLUSTER_NAME);
const CLUSTER_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER_NAME}`;

/** With the examples on, their names are claimed by their own task families (stack "test" of project "ecssd"). */
const EXAMPLE_OWNERS = JSON.stringify({
  "_time._tcp": ["ecssd-test-time", "ecssd-test-time-fargate"],
  "_calc._tcp": ["ecssd-test-calc"],
});

// biome-ignore lint/suspicious/noExplicitAny: container definitions are parsed JSON
type Json = any;

describe("infra program (index.ts) under Pulumi mocks", function () {
  this.timeout(60_000);
  let mocks: ProgramMocks;
  let program: Program;

  const policyOf = (roleResourceName: string): PolicyDocument => {
    const attached = mocks
      .ofType("aws:iam/rolePolicy:RolePolicy")
      .filter((p) => p.inputs.role === `${roleResourceName}-id`);
    assert.equal(attached.length, 1, `one inline policy on ${roleResourceName}`);
    return JSON.parse((attached[0] as RecordedResource).inputs.policy);
  };
  const containers = (taskResourceName: string): Json[] =>
    JSON.parse(mocks.named(taskResourceName).inputs.containerDefinitions);

  before(async () => {
    ({ mocks, program } = await runProgram({
      "aws:region": REGION,
      "ecssd:examples": "true",
      "ecssd:examplesPassword": PASSWORD,
    }));
  });

  it("exports the portal URL, the zone, the cluster name and the reconciler's function name", async () => {
    assert.match(
      (await promiseOf(program.portalUrl)) ?? "",
      /^http:\/\/ecssd-examples-lb-\d+\.eu-west-1\.elb\.amazonaws\.com$/,
    );
    assert.equal(await promiseOf(program.zoneId), "Z0123456789ABCDEFGHIJ");
    assert.equal(await promiseOf(program.zoneName), ZONE);
    assert.equal(await promiseOf(program.clusterName), CLUSTER_NAME);
    assert.equal(await promiseOf(program.reconcilerFunctionName), "ecssd-reconciler-function-a1b2c3d");
  });

  it("makes no lookup call but the ECS-optimized AMI parameter and the account it deploys into", () => {
    assert.deepEqual(
      [...new Set(mocks.calls.map((c) => `${c.token} ${c.inputs.name ?? ""}`.trim()))].sort(),
      [
        "aws:index/getCallerIdentity:getCallerIdentity",
        "aws:ssm/getParameter:getParameter /aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id",
      ],
    );
  });

  it("every role a service assumes for this stack is held to its account, and ECS's to its tasks", () => {
    const trusts = Object.fromEntries(
      mocks.ofType("aws:iam/role:Role").map((r) => [r.name, JSON.parse(r.inputs.assumeRolePolicy).Statement]),
    );
    const conditionOf = (role: string) => trusts[role]?.[0]?.Condition;
    for (const role of [
      "ecssd-agent-task-role",
      "ecssd-agent-execution-role",
      "ecssd-coalescer-task-role",
      "ecssd-coalescer-execution-role",
      "ecssd-examples-execution-role",
    ]) {
      assert.deepEqual(
        conditionOf(role),
        {
          StringEquals: { "aws:SourceAccount": ACCOUNT },
          ArnLike: { "aws:SourceArn": `arn:aws:ecs:${REGION}:${ACCOUNT}:*` },
        },
        role,
      );
    }
    assert.deepEqual(
      conditionOf("ecssd-reconciler-role"),
      { StringEquals: { "aws:SourceAccount": ACCOUNT } },
      "ecssd-reconciler-role",
    );
    // EC2 sends neither key when it hands an instance its profile's credentials.
    assert.equal(conditionOf("ecssd-cluster-instance-role"), undefined);
    // No registrar Lambda with the coalescer: it applies the task events itself.
    assert.equal(Object.keys(trusts).length, 7, Object.keys(trusts).join(", "));
  });

  it("puts every cloud resource inside a component and names it after that component", () => {
    const registered = [
      ...(
        pulumi.runtime.getMonitor() as unknown as { resources: Map<string, { urn: string }> }
      ).resources.values(),
    ];
    const cloud = registered.filter(({ urn }) => /^awsx?:/.test(urn.split("::")[2]?.split("$").pop() ?? ""));
    assert.ok(cloud.length > 50, `expected the whole program, saw ${cloud.length} resources`);
    for (const { urn } of cloud) {
      const [, , qualifiedType, name] = urn.split("::") as [string, string, string, string];
      const parents = qualifiedType.split("$").slice(0, -1);
      assert.ok(parents[0]?.startsWith("ecssd:infra:"), `${urn} has no ecssd:infra component parent`);
      assert.match(
        name,
        /^ecssd-(network|zone|cluster|images|agent|coalescer|reconciler|registrar|observability|examples)-/,
        urn,
      );
    }
    const components = new Set(
      registered.map(({ urn }) => urn.split("::")[2]?.split("$")[0]).filter((t) => t?.startsWith("ecssd:")),
    );
    assert.deepEqual([...components].sort(), [
      "ecssd:infra:AgentService",
      "ecssd:infra:Cluster",
      "ecssd:infra:Coalescer",
      "ecssd:infra:CoalescerToken",
      "ecssd:infra:ExampleSecrets",
      "ecssd:infra:ExampleServices",
      "ecssd:infra:ExamplesLoadBalancer",
      "ecssd:infra:Images",
      "ecssd:infra:Network",
      "ecssd:infra:Observability",
      "ecssd:infra:Reconciler",
      "ecssd:infra:ServiceDiscovery",
      "ecssd:infra:ServiceZone",
      "ecssd:infra:TaskEventQueue",
    ]);
  });

  describe("network and zone", () => {
    it("network is an awsx VPC with public and private subnets, NAT, DNS support and hostnames", () => {
      const [vpc] = mocks.ofType("awsx:ec2:Vpc");
      assert.ok(vpc);
      assert.equal(vpc.inputs.cidrBlock, "10.0.0.0/16");
      assert.equal(vpc.inputs.numberOfAvailabilityZones, 2);
      assert.equal(vpc.inputs.enableDnsSupport, true);
      assert.equal(vpc.inputs.enableDnsHostnames, true);
      assert.deepEqual(vpc.inputs.natGateways, { strategy: "Single" });
      assert.deepEqual(vpc.inputs.subnetSpecs, [
        { type: "Public", cidrMask: 24 },
        { type: "Private", cidrMask: 20 },
      ]);
    });

    it("zone is private to the VPC and destroyable while it still holds the agent's records", () => {
      const [zone] = mocks.ofType("aws:route53/zone:Zone");
      assert.ok(zone);
      assert.equal(zone.inputs.name, ZONE);
      assert.deepEqual(zone.inputs.vpcs, [{ vpcId: "vpc-0123456789abcdef0", vpcRegion: REGION }]);
      assert.equal(zone.inputs.forceDestroy, true);
    });
  });

  describe("cluster", () => {
    it("instances boot the ECS-optimized Amazon Linux 2023 AMI and require IMDSv2", () => {
      const template = mocks.named("ecssd-cluster-launch-template");
      assert.equal(template.inputs.imageId, AMI_ID);
      assert.equal(template.inputs.instanceType, "t3.small");
      assert.equal(template.inputs.metadataOptions.httpTokens, "required");
      assert.equal(template.inputs.metadataOptions.httpEndpoint, "enabled");
      assert.equal(template.inputs.metadataOptions.httpPutResponseHopLimit, 1);
      assert.deepEqual(template.inputs.vpcSecurityGroupIds, ["sg-ecssd-cluster-instances-sg"]);
    });

    it("instances join the program's cluster through their user data", () => {
      const userData = Buffer.from(
        mocks.named("ecssd-cluster-launch-template").inputs.userData,
        "base64",
      ).toString();
      assert.match(userData, new RegExp(`^ECS_CLUSTER=${CLUSTER_NAME}$`, "m"));
      assert.match(userData, /^ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST=true$/m);
    });

    it("the Auto Scaling group runs the latest template in private subnets and feeds a managed capacity provider", () => {
      const asg = mocks.named("ecssd-cluster-asg");
      assert.deepEqual(asg.inputs.vpcZoneIdentifiers, ["subnet-private-a", "subnet-private-b"]);
      assert.deepEqual([asg.inputs.minSize, asg.inputs.desiredCapacity, asg.inputs.maxSize], [1, 2, 4]);
      assert.deepEqual(asg.inputs.launchTemplate, { id: "ecssd-cluster-launch-template-id", version: "3" });
      assert.equal(asg.inputs.forceDelete, true);
      assert.ok(asg.inputs.tags.some((t: Json) => t.key === "AmazonECSManaged"));
      const provider = mocks.named("ecssd-cluster-capacity");
      // The group's ARN is an output (the mocks compute it from the type and name), never one of its inputs.
      assert.equal(
        provider.inputs.autoScalingGroupProvider.autoScalingGroupArn,
        `arn:aws:mock:${REGION}:${ACCOUNT}:${asg.type}/${asg.name}`,
      );
      assert.match(provider.inputs.autoScalingGroupProvider.autoScalingGroupArn, /ecssd-cluster-asg/);
      assert.equal(provider.inputs.autoScalingGroupProvider.managedScaling.status, "ENABLED");
      const association = mocks.named("ecssd-cluster-capacity-providers");
      assert.equal(association.inputs.clusterName, CLUSTER_NAME);
      // ECS refuses capacity provider names beginning with aws, ecs or fargate.
      assert.equal(provider.inputs.name, "cp-ecssd-test");
      assert.deepEqual(association.inputs.capacityProviders, ["cp-ecssd-test"]);
      assert.deepEqual(association.inputs.defaultCapacityProviderStrategies, [
        { capacityProvider: "cp-ecssd-test", weight: 1, base: 0 },
      ]);
      for (const example of ["time", "calc", "portal"]) {
        assert.deepEqual(mocks.named(`ecssd-examples-${example}`).inputs.capacityProviderStrategies, [
          { capacityProvider: "cp-ecssd-test", weight: 1, base: 0 },
        ]);
      }
    });
  });

  describe("container instance role", () => {
    const instancePolicies = () => {
      const inline = mocks
        .ofType("aws:iam/rolePolicy:RolePolicy")
        .filter((p) => p.inputs.role === "ecssd-cluster-instance-role-id")
        .map((p) => JSON.parse(p.inputs.policy) as PolicyDocument);
      // AmazonSSMManagedInstanceCore's parameter grant, as AWS publishes it.
      const ssmCore: PolicyDocument = {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["ssm:GetParameter", "ssm:GetParameters"], Resource: "*" }],
      };
      return [...inline, ssmCore];
    };
    const password = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/ecssd/test/examples/password`;
    const keyPolicy = () => JSON.parse(mocks.named("ecssd-examples-secrets-key").inputs.policy);
    const decrypt = { action: "kms:Decrypt", resource: SECRETS_KEY_ARN };
    const viaSsm = (userid: string) => ({
      "kms:ViaService": `ssm.${REGION}.amazonaws.com`,
      "aws:userid": userid,
    });

    it("carries AWS's Session Manager policy and no managed ECS policy", () => {
      const attached = mocks
        .ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        .filter((a) => a.inputs.role === "ecssd-cluster-instance-role")
        .map((a) => a.inputs.policyArn);
      assert.deepEqual(attached, ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]);
    });

    it("instances must not read the examples' credentials: GetParameter answers, the key refuses", async () => {
      const instance = {
        principal: `arn:aws:iam::${ACCOUNT}:role/ecssd-cluster-instance-role`,
        policies: instancePolicies(),
      };
      assert.equal(await isAllowedFor(instance, { action: "ssm:GetParameters", resource: password }), true);
      assert.equal(
        await isAllowedFor(
          { ...instance, resourcePolicy: keyPolicy() },
          { ...decrypt, context: viaSsm("AROAINSTANCE0ROLE0001:i-0123456789abcdef0") },
        ),
        false,
      );
      const execution = {
        principal: `arn:aws:iam::${ACCOUNT}:role/ecssd-examples-execution-role`,
        policies: [policyOf("ecssd-examples-execution-role")],
        resourcePolicy: keyPolicy(),
      };
      assert.equal(await isAllowedFor(execution, { action: "ssm:GetParameters", resource: password }), true);
      assert.equal(
        await isAllowedFor(execution, { ...decrypt, context: viaSsm("AROAEXECUTION0ROLE001:task") }),
        true,
      );
    });

    it("the credentials are encrypted with a rotated customer-managed key that names the deployer", () => {
      const key = mocks.named("ecssd-examples-secrets-key");
      assert.equal(key.inputs.enableKeyRotation, true);
      for (const parameter of mocks.ofType("aws:ssm/parameter:Parameter")) {
        assert.equal(parameter.inputs.keyId, SECRETS_KEY_ARN, parameter.name);
      }
      const deployer = keyPolicy().Statement.find(
        (s: Json) => s.Sid === "DeployerWritesAndReadsBackParameters",
      );
      assert.deepEqual(deployer.Condition.StringLike, { "aws:userid": `${DEPLOYER.roleId}:*` });
    });

    it("may act for the ECS agent in the program's cluster only", async () => {
      const [ecs] = instancePolicies();
      assert.ok(ecs);
      assert.equal(
        await isAllowed(ecs, { action: "ecs:RegisterContainerInstance", resource: CLUSTER_ARN }),
        true,
      );
      assert.equal(
        await isAllowed(ecs, {
          action: "ecs:RegisterContainerInstance",
          resource: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/payments`,
        }),
        false,
      );
    });
  });

  describe("agent", () => {
    it("runs as a DAEMON service in host network mode with the Docker socket mounted", () => {
      const service = mocks.named("ecssd-agent-service");
      assert.equal(service.inputs.schedulingStrategy, "DAEMON");
      assert.equal(service.inputs.launchType, "EC2");
      assert.equal(service.inputs.cluster, CLUSTER_ARN);
      const task = mocks.named("ecssd-agent-task");
      assert.equal(task.inputs.networkMode, "host");
      assert.deepEqual(task.inputs.volumes, [{ name: "docker-socket", hostPath: "/var/run/docker.sock" }]);
      const [agent] = containers("ecssd-agent-task");
      assert.deepEqual(agent.mountPoints, [
        { sourceVolume: "docker-socket", containerPath: "/var/run/docker.sock", readOnly: false },
      ]);
      assert.deepEqual(agent.environment, [
        { name: "ECSSD_ZONE_NAME", value: ZONE },
        { name: "ECSSD_ZONE_ID", value: "Z0123456789ABCDEFGHIJ" },
        { name: "ECSSD_SRV_TTL", value: "10" },
        { name: "ECSSD_SERVICE_OWNERS", value: EXAMPLE_OWNERS },
        { name: "ECSSD_SERVICE_OWNERS_CLOSED", value: "false" },
        { name: "ECSSD_DEPLOYMENT", value: DEPLOYMENT },
        {
          name: "ECSSD_COALESCER_URL",
          value: `http://ecssd-coalescer-lb-1234567890.${REGION}.elb.amazonaws.com:8053`,
        },
      ]);
      assert.match(agent.image, /ecssd-images-agent@sha256:/);
    });

    it("has its own task role, apart from the execution role and the instance role", () => {
      const task = mocks.named("ecssd-agent-task");
      assert.equal(task.inputs.taskRoleArn, `arn:aws:iam::${ACCOUNT}:role/ecssd-agent-task-role`);
      assert.equal(task.inputs.executionRoleArn, `arn:aws:iam::${ACCOUNT}:role/ecssd-agent-execution-role`);
      const trust = JSON.parse(mocks.named("ecssd-agent-task-role").inputs.assumeRolePolicy);
      assert.deepEqual(trust.Statement[0].Principal, { Service: "ecs-tasks.amazonaws.com" });
    });
  });

  describe("reconciler", () => {
    const fn = () => mocks.named("ecssd-reconciler-function");

    it("Lambda runtime is supported", () => {
      assert.equal(isRuntimeSupported(fn().inputs.runtime, new Date()), true, fn().inputs.runtime);
    });

    it("ships the bundled handler with the AWS SDK left to the runtime", async () => {
      const archive = fn().inputs.code as pulumi.asset.AssetArchive;
      assert.equal(fn().inputs.handler, "index.handler");
      const assets = await archive.assets;
      assert.deepEqual(Object.keys(assets), ["index.js"]);
      const code = await (assets["index.js"] as pulumi.asset.StringAsset).text;
      // The handler among the module's exports (esbuild lists them sorted: others may come first).
      assert.match(code, /exports,\s*\{[^}]*\bhandler:/);
      assert.match(code, /require\("@aws-sdk\/client-route-53"\)/);
      assert.doesNotMatch(code, /class Route53Client/);
    });

    it("runs in the private subnets with its own security group and a log group with retention", () => {
      assert.deepEqual(fn().inputs.vpcConfig, {
        subnetIds: ["subnet-private-a", "subnet-private-b"],
        securityGroupIds: ["sg-ecssd-reconciler-sg"],
      });
      assert.equal(mocks.named("ecssd-reconciler-logs").inputs.retentionInDays, 14);
      assert.equal(fn().inputs.loggingConfig.logGroup, "ecssd-reconciler-logs-5e6f7a8");
      assert.ok(fn().inputs.timeout >= 60);
    });

    it("mirrors the stack config into its environment", () => {
      assert.deepEqual(fn().inputs.environment.variables, {
        ECSSD_ZONE_NAME: ZONE,
        ECSSD_ZONE_ID: "Z0123456789ABCDEFGHIJ",
        ECSSD_CLUSTERS: CLUSTER_NAME,
        ECSSD_CHECK_HEALTH: "true",
        ECSSD_HEALTH_PATH: "/health",
        ECSSD_HEALTH_TIMEOUT_MS: "2000",
        ECSSD_HEALTH_CONCURRENCY: "64",
        ECSSD_STOP_UNHEALTHY_TASKS: "false",
        ECSSD_DRY_RUN: "false",
        ECSSD_MAX_DELETE_SHARE: "0.5",
        ECSSD_SERVICE_OWNERS: EXAMPLE_OWNERS,
        ECSSD_SERVICE_OWNERS_CLOSED: "false",
        ECSSD_DEPLOYMENT: DEPLOYMENT,
        ECSSD_CLAIM_UNATTRIBUTED: "false",
      });
    });

    it("is invoked by an EventBridge schedule every 5 minutes", () => {
      const rule = mocks.named("ecssd-reconciler-schedule");
      assert.equal(rule.inputs.scheduleExpression, "rate(5 minutes)");
      const target = mocks.named("ecssd-reconciler-schedule-target");
      // The function's ARN as the mocks compute it (an output: not among the function's inputs).
      assert.equal(
        target.inputs.arn,
        `arn:aws:lambda:${REGION}:${ACCOUNT}:function:ecssd-reconciler-function-a1b2c3d`,
      );
      assert.match(target.inputs.arn, /function:ecssd-reconciler-function/);
      const permission = mocks.named("ecssd-reconciler-invoke-permission");
      assert.equal(permission.inputs.principal, "events.amazonaws.com");
      assert.match(permission.inputs.sourceArn, /ecssd-reconciler-schedule/);
    });

    it("reconciler may only delete SRV and A records of its zone, and stop no task unless enabled", async () => {
      const policy = policyOf("ecssd-reconciler-role");
      const change = (resource: string, actions: string[], types: string[]) =>
        isAllowed(policy, {
          action: "route53:ChangeResourceRecordSets",
          resource,
          context: {
            "route53:ChangeResourceRecordSetsRecordTypes": types,
            "route53:ChangeResourceRecordSetsActions": actions,
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": [`_time._tcp.${ZONE}`],
          },
        });
      assert.equal(await change(ZONE_ARN, ["DELETE"], ["SRV"]), true);
      assert.equal(await change(ZONE_ARN, ["UPSERT"], ["SRV"]), false);
      assert.equal(await change(ZONE_ARN, ["DELETE"], ["NS"]), false);
      assert.equal(await change("arn:aws:route53:::hostedzone/ZOTHER", ["DELETE"], ["SRV"]), false);
      const task = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER_NAME}/0123456789abcdef0123456789abcdef`;
      assert.equal(
        await isAllowed(policy, {
          action: "ecs:DescribeTasks",
          resource: task,
          context: { "ecs:cluster": CLUSTER_ARN },
        }),
        true,
      );
      assert.equal(
        await isAllowed(policy, {
          action: "ecs:StopTask",
          resource: task,
          context: { "ecs:cluster": CLUSTER_ARN },
        }),
        false,
      );
      const attachments = mocks.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment");
      assert.ok(
        attachments.some(
          (a) =>
            a.inputs.role === "ecssd-reconciler-role" &&
            a.inputs.policyArn === "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
        ),
      );
    });
  });

  describe("network exposure", () => {
    it("no ingress from anywhere except the load balancer's listener", () => {
      for (const group of mocks.ofType("aws:ec2/securityGroup:SecurityGroup")) {
        assert.equal(group.inputs.ingress, undefined, `${group.name} has inline ingress rules`);
      }
      const ingress = mocks.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
      assert.ok(ingress.length >= 4);
      const open = ingress.filter((r) => r.inputs.cidrIpv4 !== undefined || r.inputs.cidrIpv6 !== undefined);
      assert.deepEqual(
        open.map((r) => [r.inputs.securityGroupId, r.inputs.cidrIpv4, r.inputs.fromPort, r.inputs.toPort]),
        [["sg-ecssd-examples-lb-sg", "0.0.0.0/0", 80, 80]],
      );
      const listener = mocks.named("ecssd-examples-http");
      assert.equal(listener.inputs.port, 80);
      // Without ecssd:certificateArn the portal is served over HTTP, as before.
      assert.equal(listener.inputs.protocol, "HTTP");
      assert.deepEqual(
        listener.inputs.defaultActions.map((a: Json) => a.type),
        ["forward"],
      );
      assert.equal(mocks.resources.filter((r) => r.name === "ecssd-examples-https").length, 0);
      // Everything else comes from a named security group, never from an address range.
      for (const rule of ingress.filter((r) => !open.includes(r))) {
        assert.match(rule.inputs.referencedSecurityGroupId, /^sg-/, rule.name);
      }
      const intoInstances = ingress.filter(
        (r) => r.inputs.securityGroupId === "sg-ecssd-cluster-instances-sg",
      );
      assert.deepEqual(
        intoInstances
          .map((r) => [r.inputs.referencedSecurityGroupId, r.inputs.fromPort, r.inputs.toPort])
          .sort(),
        [
          ["sg-ecssd-cluster-instances-sg", 32768, 51677],
          ["sg-ecssd-cluster-instances-sg", 51680, 65535],
          ["sg-ecssd-examples-lb-sg", 32768, 51677],
          ["sg-ecssd-examples-lb-sg", 51680, 65535],
          ["sg-ecssd-reconciler-sg", 32768, 51677],
          ["sg-ecssd-reconciler-sg", 51680, 65535],
        ],
      );
      // The ECS agent's introspection (51678) and credentials (51679) ports are open to no one.
      for (const rule of ingress) {
        for (const port of [51678, 51679]) {
          assert.ok(
            !(rule.inputs.fromPort <= port && port <= rule.inputs.toPort),
            `${rule.name} admits ${port}`,
          );
        }
      }
    });

    it("the reconciler reaches only HTTPS anywhere and the instances' ephemeral ports inside the VPC", () => {
      const egress = mocks
        .ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
        .filter((r) => r.inputs.securityGroupId === "sg-ecssd-reconciler-sg");
      assert.deepEqual(
        egress
          .map((r) => [r.inputs.ipProtocol, r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4])
          .sort(),
        [
          ["tcp", 32768, 51677, "10.0.0.0/16"],
          ["tcp", 443, 443, "0.0.0.0/0"],
          ["tcp", 51680, 65535, "10.0.0.0/16"],
        ],
      );
    });
  });

  describe("images", () => {
    it("builds the five images from the repository's Dockerfiles into force-deletable ECR repositories", () => {
      const repositories = mocks.ofType("aws:ecr/repository:Repository");
      assert.deepEqual(repositories.map((r) => r.name).sort(), [
        "ecssd-images-agent",
        "ecssd-images-calc",
        "ecssd-images-coalescer",
        "ecssd-images-portal",
        "ecssd-images-time",
      ]);
      for (const r of repositories) assert.equal(r.inputs.forceDelete, true, r.name);
      const images = Object.fromEntries(mocks.ofType("awsx:ecr:Image").map((i) => [i.name, i.inputs]));
      assert.deepEqual(
        Object.entries(images)
          .map(([n, i]) => [n, i.dockerfile, i.context, i.platform, i.args.BASE_IMAGE])
          .sort(),
        [
          ["ecssd-images-agent", "agent/Dockerfile", ".", "linux/amd64", "node:24-bookworm-slim"],
          ["ecssd-images-calc", "examples/calc/Dockerfile", ".", "linux/amd64", "node:24-bookworm-slim"],
          ["ecssd-images-coalescer", "coalescer/Dockerfile", ".", "linux/amd64", "node:24-bookworm-slim"],
          ["ecssd-images-portal", "examples/portal/Dockerfile", ".", "linux/amd64", "node:24-bookworm-slim"],
          ["ecssd-images-time", "examples/time/Dockerfile", ".", "linux/amd64", "node:24-bookworm-slim"],
        ],
      );
      assert.equal(
        images["ecssd-images-time"].repositoryUrl,
        `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/ecssd-images-time`,
      );
    });

    it("a pushed tag names one image for good, and old images expire", () => {
      for (const repository of mocks.ofType("aws:ecr/repository:Repository")) {
        assert.equal(repository.inputs.imageTagMutability, "IMMUTABLE", repository.name);
        const lifecycle = mocks.named(`${repository.name}-lifecycle`);
        assert.equal(lifecycle.inputs.repository, repository.name);
        const { rules } = JSON.parse(lifecycle.inputs.policy);
        assert.deepEqual(
          rules.map((r: Json) => [
            r.selection.tagStatus,
            r.selection.countType,
            r.selection.countNumber,
            r.action.type,
          ]),
          [
            ["untagged", "sinceImagePushed", 7, "expire"],
            ["tagged", "imageCountMoreThan", 20, "expire"],
          ],
        );
      }
    });

    it("each image is pushed under a tag that is the hash of what it is built from", () => {
      const images = mocks.ofType("awsx:ecr:Image");
      for (const image of images) {
        assert.equal(
          image.inputs.imageTag,
          contentTag({
            contextDir: path.join(".", BUNDLES_DIR),
            dockerfile: image.inputs.dockerfile,
            buildArgs: image.inputs.args,
            platform: image.inputs.platform,
          }),
          image.name,
        );
      }
      // Each Dockerfile differs, so no two images share a tag.
      assert.equal(new Set(images.map((i) => i.inputs.imageTag)).size, images.length);
    });
  });

  describe("example services", () => {
    it("time and calc run in bridge mode on dynamic host ports and offer their SRV names", () => {
      for (const [example, port] of [
        ["time", 8080],
        ["calc", 8081],
      ] as const) {
        assert.equal(mocks.named(`ecssd-examples-${example}-task`).inputs.networkMode, "bridge");
        const [container] = containers(`ecssd-examples-${example}-task`);
        assert.deepEqual(container.portMappings, [{ containerPort: port, hostPort: 0, protocol: "tcp" }]);
        assert.deepEqual(container.environment, [
          { name: `SERVICE_${port}_NAME`, value: `_${example}._tcp` },
          // Issue 11: the agent checks their health path and lets them in only after a pass.
          { name: `SERVICE_${port}_CHECK_HTTP`, value: "/health" },
        ]);
        assert.equal(mocks.named(`ecssd-examples-${example}`).inputs.desiredCount, 2);
      }
    });

    it("a Fargate time service joins the bridge-mode one under the same SRV name: one mixed fleet", () => {
      const task = mocks.named("ecssd-examples-time-fargate-task");
      assert.equal(task.inputs.networkMode, "awsvpc");
      assert.deepEqual(task.inputs.requiresCompatibilities, ["FARGATE"]);
      assert.equal(task.inputs.runtimePlatform.cpuArchitecture, "X86_64");
      const [container] = containers("ecssd-examples-time-fargate-task");
      const [bridge] = containers("ecssd-examples-time-task");
      assert.deepEqual(container.portMappings, [{ containerPort: 8080, hostPort: 8080, protocol: "tcp" }]);
      assert.deepEqual(
        container.environment,
        bridge.environment,
        "the same declarations as the bridge tasks",
      );
      assert.ok(container.healthCheck, "ECS reports it HEALTHY before the registrar lets it in");
      const service = mocks.named("ecssd-examples-time-fargate");
      assert.equal(service.inputs.launchType, "FARGATE");
      assert.equal(service.inputs.desiredCount, 1);
      assert.deepEqual(service.inputs.networkConfiguration.subnets, ["subnet-private-a", "subnet-private-b"]);
      assert.equal(service.inputs.networkConfiguration.assignPublicIp, false);
      const ingress = mocks.named("ecssd-examples-time-fargate-from-instances");
      assert.deepEqual([ingress.inputs.fromPort, ingress.inputs.toPort], [8080, 8080]);
      assert.equal(ingress.inputs.referencedSecurityGroupId, "sg-ecssd-cluster-instances-sg");
      assert.equal(
        mocks.ofType("aws:ecs/service:Service").filter((x) => x.name.endsWith("-fargate")).length,
        1,
      );
    });

    it("claims their names for their own task families, the same for every writer and the reconciler", () => {
      const owners = JSON.parse(EXAMPLE_OWNERS) as Record<string, string[]>;
      const families = mocks.ofType("aws:ecs/taskDefinition:TaskDefinition").map((t) => t.inputs.family);
      for (const family of Object.values(owners).flat()) assert.ok(families.includes(family), family);
    });

    it("the portal finds time and calc in the private zone and sits behind the public load balancer", () => {
      const [portal] = containers("ecssd-examples-portal-task");
      assert.deepEqual(portal.environment, [
        { name: "TIME_SERVICE", value: `_time._tcp.${ZONE}` },
        { name: "CALC_SERVICE", value: `_calc._tcp.${ZONE}` },
      ]);
      assert.deepEqual(portal.portMappings, [{ containerPort: 8000, hostPort: 0, protocol: "tcp" }]);
      const service = mocks.named("ecssd-examples-portal");
      assert.deepEqual(service.inputs.loadBalancers, [
        {
          targetGroupArn: service.inputs.loadBalancers[0].targetGroupArn,
          containerName: "portal",
          containerPort: 8000,
        },
      ]);
      assert.match(service.inputs.loadBalancers[0].targetGroupArn, /ecssd-examples-portal-tg/);
      const lb = mocks.named("ecssd-examples-lb");
      assert.equal(lb.inputs.internal, false);
      assert.deepEqual(lb.inputs.subnets, ["subnet-public-a", "subnet-public-b"]);
    });

    it("no plaintext secret in a task definition", () => {
      const parameters = Object.fromEntries(
        mocks.ofType("aws:ssm/parameter:Parameter").map((p) => [p.inputs.name, p.inputs]),
      );
      assert.equal(parameters["/ecssd/test/examples/password"]?.type, "SecureString");
      assert.equal(parameters["/ecssd/test/examples/username"]?.type, "SecureString");
      const arnOf = (name: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name}`;
      for (const task of mocks.ofType("aws:ecs/taskDefinition:TaskDefinition")) {
        assert.doesNotMatch(JSON.stringify(task.inputs), new RegExp(PASSWORD), task.name);
        for (const container of JSON.parse(task.inputs.containerDefinitions) as Json[]) {
          const names = (container.environment as Json[]).map((e) => e.name);
          assert.ok(
            !names.some((n: string) => /PASSWORD|USERNAME|SECRET|TOKEN/.test(n)),
            `${task.name}: ${names}`,
          );
          if (task.name.startsWith("ecssd-examples-")) {
            assert.deepEqual(container.secrets, [
              { name: "AUTH_USERNAME", valueFrom: arnOf("/ecssd/test/examples/username") },
              { name: "AUTH_PASSWORD", valueFrom: arnOf("/ecssd/test/examples/password") },
            ]);
          }
        }
      }
      // The password reaches exactly one resource, its SecureString parameter, and is marked secret there.
      const secretSig = {
        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
        value: PASSWORD,
      };
      assert.deepEqual(parameters["/ecssd/test/examples/password"]?.value, secretSig);
      const holders = mocks.resources
        .filter((r) => JSON.stringify(r.inputs).includes(PASSWORD))
        .map((r) => r.name);
      assert.deepEqual(holders, ["ecssd-examples-password"]);
    });

    it("only the examples' execution role may read their credentials", async () => {
      const policy = policyOf("ecssd-examples-execution-role");
      const password = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/ecssd/test/examples/password`;
      assert.equal(await isAllowed(policy, { action: "ssm:GetParameters", resource: password }), true);
      assert.equal(
        await isAllowed(policy, {
          action: "ssm:GetParameters",
          resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/other`,
        }),
        false,
      );
      assert.equal(
        await isAllowed(policyOf("ecssd-coalescer-task-role"), {
          action: "ssm:GetParameters",
          resource: password,
        }),
        false,
      );
    });
  });

  it("pulumi destroy can remove everything, including what the system added at run time", () => {
    assert.equal(mocks.named("ecssd-zone-zone").inputs.forceDestroy, true);
    for (const r of mocks.ofType("aws:ecr/repository:Repository")) assert.equal(r.inputs.forceDelete, true);
    for (const s of mocks.ofType("aws:ecs/service:Service")) assert.equal(s.inputs.forceDelete, true, s.name);
    assert.equal(mocks.named("ecssd-cluster-asg").inputs.forceDelete, true);
    assert.equal(
      mocks.named("ecssd-cluster-capacity").inputs.autoScalingGroupProvider.managedTerminationProtection,
      "DISABLED",
    );
  });
});

describe("infra program (index.ts) with ecssd:coalescer false: every agent and the registrar write Route53", function () {
  this.timeout(60_000);
  let mocks: ProgramMocks;

  const policyOf = (roleResourceName: string): PolicyDocument => {
    const attached = mocks
      .ofType("aws:iam/rolePolicy:RolePolicy")
      .filter((p) => p.inputs.role === `${roleResourceName}-id`);
    assert.equal(attached.length, 1, `one inline policy on ${roleResourceName}`);
    return JSON.parse((attached[0] as RecordedResource).inputs.policy);
  };

  before(async () => {
    ({ mocks } = await runProgram({
      "aws:region": REGION,
      "ecssd:examples": "true",
      "ecssd:examplesPassword": PASSWORD,
      "ecssd:coalescer": "false",
    }));
  });

  it("creates no coalescer, and the agent gets no coalescer URL", () => {
    assert.deepEqual(
      mocks.resources.filter((r) => r.name.startsWith("ecssd-coalescer")).map((r) => r.name),
      [],
    );
    const [agent] = JSON.parse(mocks.named("ecssd-agent-task").inputs.containerDefinitions);
    assert.ok(!agent.environment.some((e: Json) => e.name === "ECSSD_COALESCER_URL"));
  });

  describe("agent", () => {
    it("agent role must not change records outside its zone", async () => {
      const policy = policyOf("ecssd-agent-task-role");
      const change = (zoneArn: string, types: string[], names: string[]) =>
        isAllowed(policy, {
          action: "route53:ChangeResourceRecordSets",
          resource: zoneArn,
          context: {
            "route53:ChangeResourceRecordSetsRecordTypes": types,
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": names,
            "route53:ChangeResourceRecordSetsActions": ["UPSERT"],
          },
        });
      assert.equal(await change(ZONE_ARN, ["SRV"], [`_calc._tcp.${ZONE}`]), true, "its own SRV records");
      assert.equal(await change(ZONE_ARN, ["A"], [`i-0abc1234def567890.${ZONE}`]), true, "its host record");
      assert.equal(
        await change("arn:aws:route53:::hostedzone/ZOTHERZONE", ["SRV"], [`_calc._tcp.${ZONE}`]),
        false,
      );
      for (const type of ["NS", "SOA", "CNAME", "MX", "AAAA"]) {
        assert.equal(await change(ZONE_ARN, [type], [`x.${ZONE}`]), false, `${type} records`);
      }
      // Issue 11: the agent writes a TXT health marker beside each instance whose port it checks.
      assert.equal(
        await change(ZONE_ARN, ["SRV", "TXT"], [`_calc._tcp.${ZONE}`]),
        true,
        "its health markers",
      );
      assert.equal(
        await change(ZONE_ARN, ["SRV", "MX"], [`a.${ZONE}`, `b.${ZONE}`]),
        false,
        "a batch smuggling an MX",
      );
      assert.equal(await change(ZONE_ARN, ["A"], [ZONE]), false, "the zone apex");
      for (const action of ["route53:DeleteHostedZone", "route53:AssociateVPCWithHostedZone"]) {
        assert.equal(await isAllowed(policy, { action, resource: ZONE_ARN }), false, action);
      }
      // CreateHostedZone names no zone: AWS authorizes it on "*" (the simulator refuses any other resource).
      assert.equal(await isAllowed(policy, { action: "route53:CreateHostedZone", resource: "*" }), false);
      assert.equal(
        await isAllowed(policy, { action: "route53:ListResourceRecordSets", resource: ZONE_ARN }),
        true,
      );
      assert.equal(
        await isAllowed(policy, { action: "route53:ListHostedZonesByName", resource: "*" }),
        false,
      );
    });

    it("agent role may read its zone's record-set quota, and no other zone's", async () => {
      const policy = policyOf("ecssd-agent-task-role");
      const limit = (resource: string) =>
        isAllowed(policy, { action: "route53:GetHostedZoneLimit", resource });
      assert.equal(await limit(ZONE_ARN), true);
      assert.equal(await limit("arn:aws:route53:::hostedzone/ZOTHERZONE"), false);
    });
  });

  describe("registrar (awsvpc and Fargate tasks)", () => {
    const fn = () => mocks.named("ecssd-registrar-function");

    it("runs the bundled registrar handler on a supported runtime, outside the VPC, with log retention", async () => {
      assert.equal(isRuntimeSupported(fn().inputs.runtime, new Date()), true, fn().inputs.runtime);
      assert.equal(fn().inputs.handler, "index.handler");
      const assets = await (fn().inputs.code as pulumi.asset.AssetArchive).assets;
      const code = await (assets["index.js"] as pulumi.asset.StringAsset).text;
      assert.match(code, /ECS Task State Change/);
      assert.doesNotMatch(code, /class ECSClient/, "the SDK is the runtime's");
      assert.equal(fn().inputs.vpcConfig, undefined, "it needs only AWS APIs");
      assert.equal(mocks.named("ecssd-registrar-logs").inputs.retentionInDays, 14);
      assert.deepEqual(fn().inputs.environment.variables, {
        ECSSD_ZONE_NAME: ZONE,
        ECSSD_ZONE_ID: "Z0123456789ABCDEFGHIJ",
        ECSSD_CLUSTERS: CLUSTER_NAME,
        ECSSD_SRV_TTL: "10",
        ECSSD_SERVICE_OWNERS: EXAMPLE_OWNERS,
        ECSSD_SERVICE_OWNERS_CLOSED: "false",
        ECSSD_DEPLOYMENT: DEPLOYMENT,
      });
    });

    it("is invoked by a rule on our cluster's task state changes, with retries and a dead-letter queue", () => {
      const rule = mocks.named("ecssd-registrar-task-events");
      assert.deepEqual(JSON.parse(rule.inputs.eventPattern), {
        source: ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        detail: { clusterArn: [CLUSTER_ARN] },
      });
      const queueArn = `arn:aws:sqs:${REGION}:${ACCOUNT}:ecssd-registrar-dlq`;
      const target = mocks.named("ecssd-registrar-target");
      assert.match(target.inputs.arn, /function:ecssd-registrar-function/);
      assert.equal(target.inputs.deadLetterConfig.arn, queueArn);
      assert.ok(target.inputs.retryPolicy.maximumRetryAttempts > 0);
      const invoke = mocks.named("ecssd-registrar-invoke-config");
      assert.equal(invoke.inputs.maximumRetryAttempts, 2);
      assert.equal(invoke.inputs.destinationConfig.onFailure.destination, queueArn);
      const permission = mocks.named("ecssd-registrar-invoke-permission");
      assert.equal(permission.inputs.principal, "events.amazonaws.com");
      assert.match(permission.inputs.sourceArn, /ecssd-registrar-task-events/);
      const queuePolicy = JSON.parse(mocks.named("ecssd-registrar-dlq-policy").inputs.policy);
      assert.deepEqual(queuePolicy.Statement[0].Condition, {
        ArnEquals: {
          "aws:SourceArn": `arn:aws:mock:${REGION}:${ACCOUNT}:aws:cloudwatch/eventRule:EventRule/ecssd-registrar-task-events`,
        },
      });
    });

    it("may describe only our cluster's tasks and change only SRV, A and TXT (AZ) records below its zone", async () => {
      const policy = policyOf("ecssd-registrar-role");
      const task = (cluster: string) =>
        `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${cluster}/0123456789abcdef0123456789abcdef`;
      const describe = (cluster: string, clusterArn: string) =>
        isAllowed(policy, {
          action: "ecs:DescribeTasks",
          resource: task(cluster),
          context: { "ecs:cluster": clusterArn },
        });
      assert.equal(await describe(CLUSTER_NAME, CLUSTER_ARN), true);
      assert.equal(
        await describe("payments", `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/payments`),
        false,
        "another cluster's task",
      );
      assert.equal(await isAllowed(policy, { action: "ecs:DescribeTaskDefinition", resource: "*" }), true);
      const change = (types: string[], names: string[]) =>
        isAllowed(policy, {
          action: "route53:ChangeResourceRecordSets",
          resource: ZONE_ARN,
          context: {
            "route53:ChangeResourceRecordSetsRecordTypes": types,
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": names,
            "route53:ChangeResourceRecordSetsActions": ["UPSERT"],
          },
        });
      assert.equal(
        await change(["SRV", "A", "TXT"], [`_time._tcp.${ZONE}`, `0123456789abcdef0123456789abcdef.${ZONE}`]),
        true,
        "a task's SRV, A and AZ sets in one batch",
      );
      assert.equal(
        await change(["TXT"], [`i-0123456789abcdef0.${ZONE}`]),
        false,
        "a host's AZ set is not its own",
      );
      assert.equal(
        await isAllowed(policy, { action: "ec2:DescribeAvailabilityZones", resource: "*" }),
        true,
        "the AZ IDs of its tasks' AZ names",
      );
      assert.equal(await change(["A"], [ZONE]), false, "the apex");
      const denied: [string, string][] = [
        ["ecs:StopTask", task(CLUSTER_NAME)],
        ["ecs:RunTask", `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/time:1`],
        ["route53:DeleteHostedZone", ZONE_ARN],
      ];
      for (const [action, resource] of denied) {
        assert.equal(await isAllowed(policy, { action, resource }), false, action);
      }
    });
  });
});
