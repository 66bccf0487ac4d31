// The program in each way a stack can meet its environment: everything new, or a brought VPC, cluster or zone,
// or all three without the examples. What is created, what must not be (nothing brought is created, so
// nothing brought is ever deleted), and the roles scoped to the brought cluster and zone as to ours.
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { COALESCER_IMAGE } from "../../infra/coalescer";
import { existingPrivateZone } from "../../infra/existingZone";
import type { PolicyDocument } from "../../infra/policies";
import { isAllowed } from "./support/iamEvaluation";
import { promiseOf, settled } from "./support/outputs";
import { BROUGHT, CREATED_VPC_ID, ProgramMocks, REGION, type RecordedResource } from "./support/programMocks";
import { type Program, runProgram } from "./support/runProgram";

const PASSWORD = "Ex4mple-Pa55word-only-for-tests";
const VPC = {
  "ecssd:vpcId": BROUGHT.vpcId,
  "ecssd:privateSubnetIds": JSON.stringify(BROUGHT.privateSubnetIds),
};
const CLUSTER = { "ecssd:clusterName": BROUGHT.clusterName };
const ZONE = { "ecssd:zoneId": BROUGHT.zoneId };
const EXAMPLES = { "ecssd:examples": "true", "ecssd:examplesPassword": PASSWORD };

const OWNED = {
  vpc: "awsx:ec2:Vpc",
  cluster: "aws:ecs/cluster:Cluster",
  instances: "aws:autoscaling/group:Group",
  zone: "aws:route53/zone:Zone",
  loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
  cleanup: "pulumi-nodejs:dynamic:Resource",
} as const;

function policyOf(mocks: ProgramMocks, roleResourceName: string): PolicyDocument {
  const attached = mocks
    .ofType("aws:iam/rolePolicy:RolePolicy")
    .filter((p) => p.inputs.role === `${roleResourceName}-id`);
  assert.equal(attached.length, 1, `one inline policy on ${roleResourceName}`);
  return JSON.parse((attached[0] as RecordedResource).inputs.policy);
}

/** What the program created of each kind; `loadBalancer` is the examples' (the coalescer's is counted apart). */
const created = (mocks: ProgramMocks) => ({
  ...Object.fromEntries(Object.entries(OWNED).map(([what, type]) => [what, mocks.ofType(type).length])),
  loadBalancer: mocks.ofType(OWNED.loadBalancer).filter((lb) => lb.inputs.loadBalancerType !== "network")
    .length,
  coalescer: mocks.ofType("ecssd:infra:Coalescer").length,
});

describe("infra program modes", function () {
  this.timeout(60_000);

  describe("all new, examples off (any stack but dev)", () => {
    let mocks: ProgramMocks;
    let program: Program;
    before(async () => ({ mocks, program } = await runProgram({ "aws:region": REGION })));

    it("creates the VPC, cluster, zone and coalescer, and neither examples nor a load balancer nor their images", async () => {
      assert.deepEqual(created(mocks), {
        vpc: 1,
        cluster: 1,
        instances: 1,
        zone: 1,
        loadBalancer: 0,
        cleanup: 0,
        coalescer: 1,
      });
      assert.deepEqual(
        mocks
          .ofType("aws:ecs/service:Service")
          .map((s) => s.name)
          .sort(),
        ["ecssd-agent-service", "ecssd-coalescer-service"],
      );
      assert.deepEqual(
        mocks.ofType("aws:ecr/repository:Repository").map((r) => r.name),
        [...new Set(["agent", COALESCER_IMAGE])].map((image) => `ecssd-images-${image}`),
      );
      // No examples' credentials: the one secret is the coalescer's token.
      assert.deepEqual(
        mocks.ofType("aws:ssm/parameter:Parameter").map((r) => r.inputs.name),
        ["/ecssd/test/coalescer/token"],
      );
      assert.equal(await promiseOf(program.portalUrl), undefined);
    });

    it("hands consumers the zone and the VPC resolver", async () => {
      assert.deepEqual(await promiseOf(program.resolverSettings), {
        zoneName: "servicediscovery.internal",
        servers: ["169.254.169.253:53"],
      });
    });
  });

  describe("an existing VPC, with the examples", () => {
    let mocks: ProgramMocks;
    before(async () => {
      ({ mocks } = await runProgram({
        "aws:region": REGION,
        ...VPC,
        "ecssd:publicSubnetIds": BROUGHT.publicSubnetIds.join(","),
        ...EXAMPLES,
      }));
    });

    it("creates no VPC and puts everything in the brought subnets", () => {
      assert.deepEqual(created(mocks), {
        vpc: 0,
        cluster: 1,
        instances: 1,
        zone: 1,
        loadBalancer: 1,
        cleanup: 0,
        coalescer: 1,
      });
      assert.deepEqual(mocks.named("ecssd-cluster-asg").inputs.vpcZoneIdentifiers, BROUGHT.privateSubnetIds);
      assert.deepEqual(
        mocks.named("ecssd-reconciler-function").inputs.vpcConfig.subnetIds,
        BROUGHT.privateSubnetIds,
      );
      assert.deepEqual(mocks.named("ecssd-examples-lb").inputs.subnets, BROUGHT.publicSubnetIds);
      for (const group of mocks.ofType("aws:ec2/securityGroup:SecurityGroup")) {
        assert.equal(group.inputs.vpcId, BROUGHT.vpcId, group.name);
      }
      assert.deepEqual(mocks.named("ecssd-zone-zone").inputs.vpcs, [
        { vpcId: BROUGHT.vpcId, vpcRegion: REGION },
      ]);
    });

    it("health checks reach the brought VPC's range, read from AWS, and nothing outside it", () => {
      const egress = mocks
        .ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
        .filter((r) => r.inputs.securityGroupId === "sg-ecssd-reconciler-sg" && r.inputs.fromPort !== 443);
      assert.ok(egress.length > 0);
      for (const rule of egress) assert.equal(rule.inputs.cidrIpv4, BROUGHT.vpcCidr, rule.name);
    });
  });

  describe("an existing cluster", () => {
    let mocks: ProgramMocks;
    let program: Program;
    before(async () => ({ mocks, program } = await runProgram({ "aws:region": REGION, ...CLUSTER })));

    it("creates no cluster, instances or capacity provider, and adds the agent and the reconciler to the brought one", async () => {
      assert.deepEqual(created(mocks), {
        vpc: 1,
        cluster: 0,
        instances: 0,
        zone: 1,
        loadBalancer: 0,
        cleanup: 0,
        coalescer: 1,
      });
      assert.deepEqual(mocks.ofType("aws:ecs/capacityProvider:CapacityProvider"), []);
      assert.deepEqual(mocks.ofType("aws:ec2/launchTemplate:LaunchTemplate"), []);
      const agent = mocks.named("ecssd-agent-service");
      assert.equal(agent.inputs.cluster, BROUGHT.clusterArn);
      assert.equal(agent.inputs.schedulingStrategy, "DAEMON");
      const env = mocks.named("ecssd-reconciler-function").inputs.environment.variables;
      assert.equal(env.ECSSD_CLUSTERS, BROUGHT.clusterName);
      assert.equal(await promiseOf(program.clusterName), BROUGHT.clusterName);
    });

    it("touches no security group of the brought instances, and lets the VPC's range reach the coalescer", () => {
      const ours = new Set(mocks.ofType("aws:ec2/securityGroup:SecurityGroup").map((g) => g.id));
      const ingress = mocks.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
      for (const rule of ingress) {
        // The docs say which rule the user adds for the reconciler's checks.
        assert.ok(
          ours.has(rule.inputs.securityGroupId),
          `${rule.name} opens a group the program did not make`,
        );
      }
      // No instance group is known, so the coalescer's load balancer admits the VPC's range.
      const fromAgents = mocks.named("ecssd-coalescer-lb-from-agents").inputs;
      assert.equal(fromAgents.cidrIpv4, "10.0.0.0/16");
      assert.equal(fromAgents.referencedSecurityGroupId, undefined);
    });

    it("reconciler must not read or stop tasks of clusters other than the brought one", async () => {
      const policy = policyOf(mocks, "ecssd-reconciler-role");
      const inCluster = (cluster: string) => ({
        action: "ecs:ListContainerInstances",
        resource: cluster,
      });
      assert.equal(await isAllowed(policy, inCluster(BROUGHT.clusterArn)), true);
      const other = BROUGHT.clusterArn.replace("cluster/platform", "cluster/payments");
      assert.equal(await isAllowed(policy, inCluster(other)), false);
      const task = (cluster: string) => `${cluster.replace(":cluster/", ":task/")}/0123456789abcdef`;
      for (const [arn, allowed] of [
        [BROUGHT.clusterArn, true],
        [other, false],
      ] as const) {
        assert.equal(
          await isAllowed(policy, {
            action: "ecs:DescribeTasks",
            resource: task(arn),
            context: { "ecs:cluster": arn },
          }),
          allowed,
          arn,
        );
      }
    });
  });

  describe("an existing zone", () => {
    let mocks: ProgramMocks;
    let program: Program;
    before(async () => ({ mocks, program } = await runProgram({ "aws:region": REGION, ...ZONE })));

    it("creates no zone, reads the brought one's name and checks that the VPC sees it", async () => {
      assert.deepEqual(created(mocks), {
        vpc: 1,
        cluster: 1,
        instances: 1,
        zone: 0,
        loadBalancer: 0,
        cleanup: 1,
        coalescer: 1,
      });
      assert.equal(await promiseOf(program.zoneId), BROUGHT.zoneId);
      assert.equal(await promiseOf(program.zoneName), BROUGHT.zoneName);
      const lookups = mocks.calls
        .filter((c) => c.token === "aws:route53/getZone:getZone")
        .map((c) => c.inputs);
      assert.deepEqual(lookups, [
        { zoneId: BROUGHT.zoneId },
        { name: `${BROUGHT.zoneName}.`, privateZone: true, vpcId: CREATED_VPC_ID },
      ]);
      const [agent] = JSON.parse(mocks.named("ecssd-agent-task").inputs.containerDefinitions);
      assert.deepEqual(agent.environment.slice(0, 2), [
        { name: "ECSSD_ZONE_NAME", value: BROUGHT.zoneName },
        { name: "ECSSD_ZONE_ID", value: BROUGHT.zoneId },
      ]);
    });

    it("keeps, for destroy, the removal of our record sets from the brought zone", () => {
      const [cleanup] = mocks.ofType(OWNED.cleanup);
      assert.equal(cleanup?.name, "ecssd-record-cleanup");
      assert.equal(cleanup?.inputs.zoneId, BROUGHT.zoneId);
      assert.match(cleanup?.inputs.code, /removeOwnRecordSets/);
    });

    it("the zone's writer (the coalescer) must not change records outside the brought zone", async () => {
      const policy = policyOf(mocks, "ecssd-coalescer-task-role");
      const change = (zoneArn: string, name: string) =>
        isAllowed(policy, {
          action: "route53:ChangeResourceRecordSets",
          resource: zoneArn,
          context: {
            "route53:ChangeResourceRecordSetsRecordTypes": ["SRV"],
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": [name],
            "route53:ChangeResourceRecordSetsActions": ["UPSERT"],
          },
        });
      assert.equal(await change(BROUGHT.zoneArn, `_calc._tcp.${BROUGHT.zoneName}`), true);
      assert.equal(await change(BROUGHT.zoneArn, `_calc._tcp.servicediscovery.internal`), false);
      assert.equal(
        await change("arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ", `_calc._tcp.${BROUGHT.zoneName}`),
        false,
      );
      const reconciler = policyOf(mocks, "ecssd-reconciler-role");
      assert.equal(
        await isAllowed(reconciler, { action: "route53:ListResourceRecordSets", resource: BROUGHT.zoneArn }),
        true,
      );
      assert.equal(
        await isAllowed(reconciler, { action: "route53:DeleteHostedZone", resource: BROUGHT.zoneArn }),
        false,
      );
    });

    it("refuses a zone the VPC does not see, so nothing that would write to it can be created", async () => {
      const unassociated = new ProgramMocks([]);
      await pulumi.runtime.setMocks(unassociated, "ecssd", "test", false);
      const parent = new pulumi.ComponentResource("test:index:Parent", "parent");
      const zone = existingPrivateZone(BROUGHT.zoneId, BROUGHT.vpcId, parent);
      // Every writer's inputs (agent task, reconciler function, their policies) wait on these and fail with them.
      await assert.rejects(settled(zone.zoneArn));
      await assert.rejects(settled(zone.zoneName));
      assert.deepEqual(
        unassociated.calls.map((c) => c.inputs),
        [
          { zoneId: BROUGHT.zoneId },
          { name: `${BROUGHT.zoneName}.`, privateZone: true, vpcId: BROUGHT.vpcId },
        ],
      );
    });
  });

  describe("everything brought, no examples", () => {
    let mocks: ProgramMocks;
    before(async () => ({ mocks } = await runProgram({ "aws:region": REGION, ...VPC, ...CLUSTER, ...ZONE })));

    it("creates only discovery: the agent, the reconciler, the coalescer, their roles, logs and the cleanup", () => {
      assert.deepEqual(created(mocks), {
        vpc: 0,
        cluster: 0,
        instances: 0,
        zone: 0,
        loadBalancer: 0,
        cleanup: 1,
        coalescer: 1,
      });
      const custom = new Set(mocks.resources.filter((r) => r.custom).map((r) => r.type));
      assert.deepEqual([...custom].sort(), [
        "aws:cloudwatch/dashboard:Dashboard",
        "aws:cloudwatch/eventRule:EventRule",
        "aws:cloudwatch/eventTarget:EventTarget",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "aws:ecr/repository:Repository",
        "aws:ecs/service:Service",
        "aws:ecs/taskDefinition:TaskDefinition",
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:kms/key:Key",
        "aws:lambda/function:Function",
        "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
        "aws:lambda/permission:Permission",
        "aws:lb/listener:Listener",
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:lb/targetGroup:TargetGroup",
        "aws:sqs/queue:Queue",
        "aws:sqs/queuePolicy:QueuePolicy",
        "aws:ssm/parameter:Parameter",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "pulumi-nodejs:dynamic:Resource",
        "random:index/randomPassword:RandomPassword",
      ]);
      assert.equal(mocks.named("ecssd-agent-service").inputs.cluster, BROUGHT.clusterArn);
      assert.equal(mocks.named("ecssd-reconciler-sg").inputs.vpcId, BROUGHT.vpcId);
    });

    it("the roles name the brought cluster and zone exactly as they would name ours", () => {
      const reconciler = JSON.stringify(policyOf(mocks, "ecssd-reconciler-role"));
      assert.ok(reconciler.includes(BROUGHT.clusterArn));
      assert.ok(reconciler.includes(BROUGHT.zoneArn));
      assert.ok(reconciler.includes(`_*._tcp.${BROUGHT.zoneName}`));
      const agent = JSON.stringify(policyOf(mocks, "ecssd-coalescer-task-role"));
      assert.ok(agent.includes(BROUGHT.zoneArn));
      assert.ok(agent.includes(BROUGHT.clusterArn));
      assert.doesNotMatch(
        agent + reconciler,
        /servicediscovery\.internal|Z0123456789ABCDEFGHIJ|ecssd-cluster/,
      );
    });
  });
});
