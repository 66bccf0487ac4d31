// The coalescer in the program (index.ts) under Pulumi's mocks: the zone's one writer, its load balancer, the queue
// of the cluster's task events and the roles around them, with the coalescer on (the default) and off. IAM
// questions go to the simulator; the budget to the container's environment.
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { COALESCER_IMAGE } from "../../infra/coalescer";
import type { PolicyDocument } from "../../infra/policies";
import { ServiceDiscovery } from "../../infra/serviceDiscovery";
import { type IamRequest, isAllowed, isAllowedFor } from "./support/iamEvaluation";
import { promiseOf } from "./support/outputs";
import { ACCOUNT, BROUGHT, ProgramMocks, REGION, type RecordedResource } from "./support/programMocks";
import { type Program, runProgram } from "./support/runProgram";

const ZONE = "servicediscovery.internal";
const ZONE_ARN = "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ";
const OTHER_ZONE_ARN = "arn:aws:route53:::hostedzone/Z0OTHER0ZONE";
const CLUSTER_NAME = "ecssd-cluster-cluster-7f3a9c1";
const CLUSTER_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER_NAME}`;
const QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:ecssd-coalescer-task-events-queue`;
const DLQ_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:ecssd-coalescer-task-events-dlq`;
const RULE_ARN = `arn:aws:mock:${REGION}:${ACCOUNT}:aws:cloudwatch/eventRule:EventRule/ecssd-coalescer-task-events-rule`;
const HOST = "i-0abc1234def567890";
/** The apex's NS set: a name of no shape of ours. */
const NS_AT_APEX = {
  "route53:ChangeResourceRecordSetsActions": ["UPSERT"],
  "route53:ChangeResourceRecordSetsRecordTypes": ["NS"],
  "route53:ChangeResourceRecordSetsNormalizedRecordNames": [ZONE],
};
const TASK = "0123456789abcdef0123456789abcdef";

// biome-ignore lint/suspicious/noExplicitAny: container definitions are parsed JSON
type Json = any;

const inlinePolicies = (mocks: ProgramMocks, role: string): PolicyDocument[] =>
  mocks
    .ofType("aws:iam/rolePolicy:RolePolicy")
    .filter((p) => p.inputs.role === `${role}-id`)
    .map((p) => JSON.parse(p.inputs.policy));

const changeOf = (zoneArn: string, actions: string[], types: string[], names: string[]): IamRequest => ({
  action: "route53:ChangeResourceRecordSets",
  resource: zoneArn,
  context: {
    "route53:ChangeResourceRecordSetsActions": actions,
    "route53:ChangeResourceRecordSetsRecordTypes": types,
    "route53:ChangeResourceRecordSetsNormalizedRecordNames": names.map((n) => `${n}.${ZONE}`),
  },
});

const environmentOf = (mocks: ProgramMocks, task: string): Record<string, string> => {
  const [container] = JSON.parse(mocks.named(task).inputs.containerDefinitions) as Json[];
  return Object.fromEntries(container.environment.map((e: Json) => [e.name, e.value]));
};

describe("the coalescer in the program", function () {
  this.timeout(60_000);

  describe("on (the default)", () => {
    let mocks: ProgramMocks;
    let program: Program;
    before(async () => ({ mocks, program } = await runProgram({ "aws:region": REGION })));

    it("runs one Fargate task of 0.25 vCPU and 512 MiB, never two at once, in the private subnets", () => {
      const service = mocks.named("ecssd-coalescer-service").inputs;
      assert.equal(service.cluster, CLUSTER_ARN);
      assert.equal(service.launchType, "FARGATE");
      assert.equal(service.desiredCount, 1);
      assert.deepEqual([service.deploymentMinimumHealthyPercent, service.deploymentMaximumPercent], [0, 100]);
      assert.deepEqual(service.networkConfiguration, {
        subnets: ["subnet-private-a", "subnet-private-b"],
        securityGroups: ["sg-ecssd-coalescer-sg"],
        assignPublicIp: false,
      });
      const task = mocks.named("ecssd-coalescer-task").inputs;
      assert.equal(task.networkMode, "awsvpc");
      assert.deepEqual(task.requiresCompatibilities, ["FARGATE"]);
      assert.deepEqual([task.cpu, task.memory], ["256", "512"]);
      assert.deepEqual(task.runtimePlatform, { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" });
      assert.equal(task.taskRoleArn, `arn:aws:iam::${ACCOUNT}:role/ecssd-coalescer-task-role`);
      const [container] = JSON.parse(task.containerDefinitions);
      assert.match(container.image, new RegExp(`ecssd-images-${COALESCER_IMAGE}@sha256:`));
      assert.deepEqual(container.portMappings, [{ containerPort: 8053, hostPort: 8053, protocol: "tcp" }]);
      assert.equal(container.logConfiguration.options["awslogs-group"], "ecssd-coalescer-logs-5e6f7a8");
      assert.equal(mocks.named("ecssd-coalescer-logs").inputs.retentionInDays, 14);
    });

    it("is reached through an internal network load balancer on TCP 8053, whose name the agents are given", async () => {
      const lb = mocks.named("ecssd-coalescer-lb").inputs;
      assert.equal(lb.internal, true);
      assert.equal(lb.loadBalancerType, "network");
      assert.deepEqual(lb.subnets, ["subnet-private-a", "subnet-private-b"]);
      const tg = mocks.named("ecssd-coalescer-tg").inputs;
      assert.deepEqual(
        [tg.port, tg.protocol, tg.targetType, tg.healthCheck.protocol],
        [8053, "TCP", "ip", "TCP"],
      );
      const listener = mocks.named("ecssd-coalescer-listener").inputs;
      assert.deepEqual([listener.port, listener.protocol], [8053, "TCP"]);
      const url = `http://ecssd-coalescer-lb-1234567890.${REGION}.elb.amazonaws.com:8053`;
      assert.equal(await promiseOf(program.coalescerUrl), url);
      assert.equal(environmentOf(mocks, "ecssd-agent-task").ECSSD_COALESCER_URL, url);
      assert.deepEqual(mocks.named("ecssd-coalescer-service").inputs.loadBalancers, [
        {
          targetGroupArn: `arn:aws:mock:${REGION}:${ACCOUNT}:aws:lb/targetGroup:TargetGroup/ecssd-coalescer-tg`,
          containerName: "coalescer",
          containerPort: 8053,
        },
      ]);
    });

    it("admits on 8053 only the instances (to its load balancer) and its load balancer (to the task)", () => {
      const rules = mocks
        .ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        .filter((r) => r.name.startsWith("ecssd-coalescer-"))
        .map((r) => [
          r.inputs.securityGroupId,
          r.inputs.fromPort,
          r.inputs.toPort,
          r.inputs.referencedSecurityGroupId ?? r.inputs.cidrIpv4,
        ]);
      assert.deepEqual(rules.sort(), [
        ["sg-ecssd-coalescer-lb-sg", 8053, 8053, "sg-ecssd-cluster-instances-sg"],
        ["sg-ecssd-coalescer-sg", 8053, 8053, "sg-ecssd-coalescer-lb-sg"],
      ]);
      assert.deepEqual(mocks.named("ecssd-coalescer-lb").inputs.securityGroups, ["sg-ecssd-coalescer-lb-sg"]);
    });

    it("hands the container the zone, the queue, the registrar's record settings and the default budget", async () => {
      const env = environmentOf(mocks, "ecssd-coalescer-task");
      assert.equal(env.ECSSD_ZONE_NAME, ZONE);
      assert.equal(env.ECSSD_ZONE_ID, "Z0123456789ABCDEFGHIJ");
      assert.equal(env.ECSSD_COALESCER_PORT, "8053");
      assert.equal(env.ECSSD_ROUTE53_BUDGET, "requests=0.4,changes=0.6");
      assert.equal(env.ECSSD_CLUSTERS, CLUSTER_NAME);
      assert.equal(env.ECSSD_SRV_TTL, "10");
      assert.equal(env.ECSSD_SERVICE_OWNERS_CLOSED, "false");
      assert.match(env.ECSSD_DEPLOYMENT ?? "", /^[a-z0-9-]{1,10}$/);
      assert.equal(
        env.ECSSD_TASK_EVENTS_QUEUE_URL,
        `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/ecssd-coalescer-task-events-queue`,
      );
      assert.equal(env.ECSSD_TASK_EVENTS_QUEUE_URL, await promiseOf(program.taskEventsQueueUrl));
    });

    it("takes the cluster's task events from a queue with a dead-letter queue, instead of a registrar Lambda", () => {
      assert.deepEqual(
        mocks.resources.filter((r) => r.name.startsWith("ecssd-registrar")).map((r) => r.name),
        [],
      );
      const rule = mocks.named("ecssd-coalescer-task-events-rule");
      assert.deepEqual(JSON.parse(rule.inputs.eventPattern), {
        source: ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        detail: { clusterArn: [CLUSTER_ARN] },
      });
      const target = mocks.named("ecssd-coalescer-task-events-target").inputs;
      assert.equal(target.arn, QUEUE_ARN);
      assert.equal(target.deadLetterConfig.arn, DLQ_ARN);
      const queue = mocks.named("ecssd-coalescer-task-events-queue").inputs;
      assert.equal(queue.visibilityTimeoutSeconds, 60);
      assert.deepEqual(JSON.parse(queue.redrivePolicy), { deadLetterTargetArn: DLQ_ARN, maxReceiveCount: 3 });
      const dlq = mocks.named("ecssd-coalescer-task-events-dlq").inputs;
      assert.equal(dlq.messageRetentionSeconds, 14 * 24 * 3600);
    });

    it("the queue takes messages from the task-event rule and from nobody else", async () => {
      const policy = JSON.parse(mocks.named("ecssd-coalescer-task-events-queue-policy").inputs.policy);
      const send = (principal: string, sourceArn?: string) =>
        isAllowedFor(
          { principal, policies: [], resourcePolicy: policy },
          {
            action: "sqs:SendMessage",
            resource: QUEUE_ARN,
            ...(sourceArn !== undefined && { context: { "aws:SourceArn": sourceArn } }),
          },
        );
      assert.equal(await send("events.amazonaws.com", RULE_ARN), true, "the rule");
      const otherRule = RULE_ARN.replace("ecssd-coalescer-task-events-rule", "someone-elses-rule");
      assert.equal(await send("events.amazonaws.com", otherRule), false, "another rule");
      assert.equal(await send("events.amazonaws.com"), false, "EventBridge with no rule named");
      assert.equal(await send("sns.amazonaws.com", RULE_ARN), false, "another service");
      assert.equal(await send(`arn:aws:iam::${ACCOUNT}:role/someone`), false, "a role of the account");
    });

    it("coalescer role may change SRV, A and TXT at service, host and task names of its zone, together", async () => {
      const [policy] = inlinePolicies(mocks, "ecssd-coalescer-task-role");
      assert.ok(policy);
      const allowed: [string, IamRequest][] = [
        ["an agent's batch", changeOf(ZONE_ARN, ["UPSERT"], ["SRV", "A", "TXT"], ["_calc._tcp", HOST])],
        ["the registrar's batch", changeOf(ZONE_ARN, ["UPSERT"], ["SRV", "A"], ["_time._tcp", TASK])],
        [
          "a shared batch of hosts and tasks",
          changeOf(ZONE_ARN, ["UPSERT", "DELETE"], ["SRV", "A"], ["_calc._tcp", HOST, TASK]),
        ],
      ];
      for (const [what, request] of allowed) assert.equal(await isAllowed(policy, request), true, what);
      const denied: [string, IamRequest][] = [
        ["another zone", changeOf(OTHER_ZONE_ARN, ["UPSERT"], ["SRV"], ["_calc._tcp"])],
        ["a customer's name", changeOf(ZONE_ARN, ["UPSERT"], ["A"], ["db"])],
        ["a customer's name slipped into a batch", changeOf(ZONE_ARN, ["UPSERT"], ["A"], [HOST, "db"])],
        ["the apex's NS", { ...changeOf(ZONE_ARN, ["UPSERT"], ["NS"], []), context: NS_AT_APEX }],
        ["a CNAME", changeOf(ZONE_ARN, ["UPSERT"], ["CNAME"], ["_calc._tcp"])],
      ];
      for (const [what, request] of denied) assert.equal(await isAllowed(policy, request), false, what);
    });

    it("coalescer role reads its zone, its quota, our cluster's tasks and its queue, and nothing else", async () => {
      const [policy] = inlinePolicies(mocks, "ecssd-coalescer-task-role");
      assert.ok(policy);
      const task = (cluster: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${cluster}/${TASK}`;
      const otherCluster = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/payments`;
      const cases: [string, string, Record<string, string> | undefined, boolean][] = [
        ["route53:ListResourceRecordSets", ZONE_ARN, undefined, true],
        ["route53:GetHostedZoneLimit", ZONE_ARN, undefined, true],
        ["route53:ListResourceRecordSets", OTHER_ZONE_ARN, undefined, false],
        ["route53:GetHostedZoneLimit", OTHER_ZONE_ARN, undefined, false],
        ["ecs:DescribeTasks", task(CLUSTER_NAME), { "ecs:cluster": CLUSTER_ARN }, true],
        ["ecs:DescribeTasks", task("payments"), { "ecs:cluster": otherCluster }, false],
        ["ecs:DescribeTaskDefinition", "*", undefined, true],
        ["ecs:StopTask", task(CLUSTER_NAME), { "ecs:cluster": CLUSTER_ARN }, false],
        ["sqs:ReceiveMessage", QUEUE_ARN, undefined, true],
        ["sqs:DeleteMessage", QUEUE_ARN, undefined, true],
        ["sqs:ChangeMessageVisibility", QUEUE_ARN, undefined, false],
        ["sqs:GetQueueAttributes", QUEUE_ARN, undefined, false],
        ["sqs:SendMessage", QUEUE_ARN, undefined, false],
        ["sqs:PurgeQueue", QUEUE_ARN, undefined, false],
        ["sqs:ReceiveMessage", DLQ_ARN, undefined, false],
        ["route53:DeleteHostedZone", ZONE_ARN, undefined, false],
      ];
      for (const [action, resource, context, allowed] of cases) {
        assert.equal(
          await isAllowed(policy, { action, resource, ...(context && { context }) }),
          allowed,
          `${action} ${resource}`,
        );
      }
    });

    it("agent role must not change or read the zone: the agents write through the coalescer", async () => {
      assert.deepEqual(inlinePolicies(mocks, "ecssd-agent-task-role"), []);
      const attached = mocks
        .ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        .filter((a) => a.inputs.role === "ecssd-agent-task-role");
      assert.deepEqual(attached, []);
      const agent = { principal: `arn:aws:iam::${ACCOUNT}:role/ecssd-agent-task-role`, policies: [] };
      assert.equal(await isAllowedFor(agent, changeOf(ZONE_ARN, ["UPSERT"], ["SRV"], ["_calc._tcp"])), false);
      for (const action of ["route53:ListResourceRecordSets", "route53:GetHostedZoneLimit"]) {
        assert.equal(await isAllowedFor(agent, { action, resource: ZONE_ARN }), false, action);
      }
    });

    it("the reconciler may read the zone's quota", async () => {
      const [policy] = inlinePolicies(mocks, "ecssd-reconciler-role");
      assert.ok(policy);
      assert.equal(
        await isAllowed(policy, { action: "route53:GetHostedZoneLimit", resource: ZONE_ARN }),
        true,
      );
    });
  });

  describe("off (ecssd:coalescer false)", () => {
    let mocks: ProgramMocks;
    let program: Program;
    before(
      async () =>
        ({ mocks, program } = await runProgram({ "aws:region": REGION, "ecssd:coalescer": "false" })),
    );

    it("creates none of its resources, and the registrar Lambda takes the task events as before", async () => {
      const coalescers = mocks.resources.filter((r: RecordedResource) =>
        r.name.startsWith("ecssd-coalescer"),
      );
      assert.deepEqual(
        coalescers.map((r) => r.name),
        [],
      );
      assert.deepEqual(mocks.ofType("aws:lb/loadBalancer:LoadBalancer"), []);
      assert.deepEqual(
        mocks.ofType("aws:ecs/service:Service").map((s) => s.name),
        ["ecssd-agent-service"],
      );
      assert.match(mocks.named("ecssd-registrar-target").inputs.arn, /function:ecssd-registrar-function/);
      assert.equal(await promiseOf(program.coalescerUrl), undefined);
      assert.equal(await promiseOf(program.taskEventsQueueUrl), undefined);
      assert.match((await promiseOf(program.registrarFunctionName)) ?? "", /^ecssd-registrar-function-/);
      assert.equal(environmentOf(mocks, "ecssd-agent-task").ECSSD_COALESCER_URL, undefined);
    });

    it("the agent writes its own records, and may read its zone's quota", async () => {
      const [policy] = inlinePolicies(mocks, "ecssd-agent-task-role");
      assert.ok(policy);
      assert.equal(await isAllowed(policy, changeOf(ZONE_ARN, ["UPSERT"], ["SRV"], ["_calc._tcp"])), true);
      assert.equal(
        await isAllowed(policy, { action: "route53:GetHostedZoneLimit", resource: ZONE_ARN }),
        true,
      );
    });
  });

  describe("ecssd:route53Budget", () => {
    it("reaches the coalescer's container as ECSSD_ROUTE53_BUDGET, a key left out taking its default", async () => {
      const { mocks } = await runProgram({
        "aws:region": REGION,
        // As `pulumi config set --path 'ecssd:route53Budget.requests' 0.25` stores it: text.
        "ecssd:route53Budget": JSON.stringify({ requests: "0.25" }),
      });
      assert.equal(
        environmentOf(mocks, "ecssd-coalescer-task").ECSSD_ROUTE53_BUDGET,
        "requests=0.25,changes=0.6",
      );
    });

    it("refuses bad shares before anything is created, naming the key and each problem", async () => {
      await assert.rejects(
        runProgram({
          "aws:region": REGION,
          "ecssd:route53Budget": JSON.stringify({ requests: 0, changes: 1.5, writes: 1 }),
        }),
        (err: Error) => {
          assert.equal(
            err.message,
            [
              "Invalid stack config:",
              ' - [route53Budget] has no setting "writes" (known: requests, changes)',
              " - [route53Budget] requests must be a share of the account's rate, above 0 and at most 1 (0.4 is 40%), got 0",
              " - [route53Budget] changes must be a share of the account's rate, above 0 and at most 1 (0.4 is 40%), got 1.5",
            ].join("\n"),
          );
          return true;
        },
      );
    });
  });

  describe("ServiceDiscovery's route53Budget", () => {
    it("refuses a share out of range, naming the argument", async () => {
      await pulumi.runtime.setMocks(new ProgramMocks(), "platform", "prod", false);
      assert.throws(
        () =>
          new ServiceDiscovery("sd", {
            vpcId: BROUGHT.vpcId,
            vpcCidr: BROUGHT.vpcCidr,
            privateSubnetIds: [...BROUGHT.privateSubnetIds],
            clusterArn: BROUGHT.clusterArn,
            region: REGION,
            agentImage: "agent:1",
            coalescerImage: "coalescer:1",
            route53Budget: { requests: 2 },
          }),
        {
          message:
            "ServiceDiscovery: invalid route53Budget:\n - requests must be a share of the account's rate, above 0 and at most 1 (0.4 is 40%), got 2",
        },
      );
    });
  });
});
