import { strict as assert } from "node:assert";
import { instanceRolePolicy } from "../../infra/instancePolicy";
import { agentPolicy, assumeRolePolicy, reconcilerPolicy, secretsReadPolicy } from "../../infra/policies";
import { type IamRequest, isAllowed } from "./support/iamEvaluation";

const ZONE = "servicediscovery.internal";
const ZONE_ARN = "arn:aws:route53:::hostedzone/Z0AAAAAAAAAAAAAAAAAAA";
const OTHER_ZONE_ARN = "arn:aws:route53:::hostedzone/Z0BBBBBBBBBBBBBBBBBBB";
const CLUSTER_ARN = "arn:aws:ecs:eu-west-1:123456789012:cluster/ecssd-cluster-1";
const OTHER_CLUSTER_ARN = "arn:aws:ecs:eu-west-1:123456789012:cluster/payments";
const taskIn = (cluster: string) =>
  `arn:aws:ecs:eu-west-1:123456789012:task/${cluster}/0123456789abcdef0123456789abcdef`;

function change(zoneArn: string, actions: string[], types: string[], names: string[]): IamRequest {
  return {
    action: "route53:ChangeResourceRecordSets",
    resource: zoneArn,
    context: {
      "route53:ChangeResourceRecordSetsActions": actions,
      "route53:ChangeResourceRecordSetsRecordTypes": types,
      "route53:ChangeResourceRecordSetsNormalizedRecordNames": names,
    },
  };
}

describe("IAM policies", () => {
  describe("agentPolicy", () => {
    const policy = agentPolicy({ zoneArn: ZONE_ARN, zoneName: ZONE });
    const cases: [what: string, request: IamRequest, allowed: boolean][] = [
      [
        "upsert an SRV record of its zone",
        change(ZONE_ARN, ["UPSERT"], ["SRV"], [`_calc._tcp.${ZONE}`]),
        true,
      ],
      [
        "delete its host A record",
        change(ZONE_ARN, ["DELETE"], ["A"], [`i-0abc1234def567890.${ZONE}`]),
        true,
      ],
      [
        "a batch of SRV and A",
        change(ZONE_ARN, ["CREATE", "DELETE"], ["SRV", "A"], [`_a._tcp.${ZONE}`, `i-0abc1234.${ZONE}`]),
        true,
      ],
      [
        "an SRV record in another zone",
        change(OTHER_ZONE_ARN, ["UPSERT"], ["SRV"], [`_calc._tcp.${ZONE}`]),
        false,
      ],
      [
        "an SRV record and its health marker",
        change(ZONE_ARN, ["UPSERT"], ["SRV", "TXT"], [`_calc._tcp.${ZONE}`]),
        true,
      ],
      ["a TXT record at the apex", change(ZONE_ARN, ["UPSERT"], ["TXT"], [ZONE]), false],
      ["the zone's NS records", change(ZONE_ARN, ["UPSERT"], ["NS"], [ZONE]), false],
      ["an A record at the apex", change(ZONE_ARN, ["UPSERT"], ["A"], [ZONE]), false],
      ["a name outside the zone", change(ZONE_ARN, ["UPSERT"], ["A"], ["evil.example.com"]), false],
      ["a name that only ends like the zone", change(ZONE_ARN, ["UPSERT"], ["A"], [`x.not${ZONE}`]), false],
      ["read its zone", { action: "route53:ListResourceRecordSets", resource: ZONE_ARN }, true],
      ["read another zone", { action: "route53:ListResourceRecordSets", resource: OTHER_ZONE_ARN }, false],
      // Granted only what it uses: the program gives it the zone id, and it waits on no change id.
      ["watch a change", { action: "route53:GetChange", resource: "arn:aws:route53:::change/C123" }, false],
      ["find a zone by name", { action: "route53:ListHostedZonesByName", resource: "*" }, false],
      ["read the zone's settings", { action: "route53:GetHostedZone", resource: ZONE_ARN }, false],
      ["delete its zone", { action: "route53:DeleteHostedZone", resource: ZONE_ARN }, false],
      ["stop a task", { action: "ecs:StopTask", resource: taskIn("ecssd-cluster-1") }, false],
    ];
    for (const [what, request, allowed] of cases) {
      it(`${allowed ? "allows" : "denies"}: ${what}`, async () =>
        assert.equal(await isAllowed(policy, request), allowed));
    }

    it("grants no wildcard action", () => {
      for (const s of policy.Statement) {
        for (const action of [s.Action].flat()) assert.doesNotMatch(action, /\*/, action);
      }
    });

    it("rejects something that is not an ARN", () => {
      assert.throws(() => agentPolicy({ zoneArn: "Z0AAAA", zoneName: ZONE }), /not an ARN/);
    });
  });

  describe("reconcilerPolicy", () => {
    const inCluster = { "ecs:cluster": CLUSTER_ARN };
    const cases: [what: string, stop: boolean, request: IamRequest, allowed: boolean][] = [
      [
        "delete a stale SRV record",
        false,
        change(ZONE_ARN, ["DELETE"], ["SRV"], [`_time._tcp.${ZONE}`]),
        true,
      ],
      [
        "delete a dead host's A record",
        false,
        change(ZONE_ARN, ["DELETE"], ["A"], [`i-0dead000000000000.${ZONE}`]),
        true,
      ],
      // A verdict is two requests: the marker alone (TXT, UPSERT), then the instance's SRV set (DELETE).
      ["write a verdict marker", false, change(ZONE_ARN, ["UPSERT"], ["TXT"], [`_time._tcp.${ZONE}`]), true],
      [
        "delete an unhealthy instance",
        false,
        change(ZONE_ARN, ["DELETE"], ["SRV"], [`_time._tcp.${ZONE}`]),
        true,
      ],
      ["lift a verdict", false, change(ZONE_ARN, ["DELETE"], ["TXT"], [`_time._tcp.${ZONE}`]), true],
      [
        "lift one verdict and write another in one request",
        false,
        change(ZONE_ARN, ["UPSERT", "DELETE"], ["TXT"], [`_time._tcp.${ZONE}`, `_calc._tcp.${ZONE}`]),
        true,
      ],
      // IAM sees a batch as sets of actions, types and names: this one may as well UPSERT the SRV set.
      [
        "delete an instance and write its verdict in one batch",
        false,
        change(ZONE_ARN, ["DELETE", "UPSERT"], ["SRV", "TXT"], [`_time._tcp.${ZONE}`]),
        false,
      ],
      [
        "upsert an SRV set and delete a TXT set",
        false,
        change(ZONE_ARN, ["UPSERT", "DELETE"], ["SRV", "TXT"], [`_time._tcp.${ZONE}`]),
        false,
      ],
      [
        "write a verdict marker at a host's name",
        false,
        change(ZONE_ARN, ["UPSERT"], ["TXT"], [`i-0abc1234def567890.${ZONE}`]),
        false,
      ],
      ["create a record", false, change(ZONE_ARN, ["CREATE"], ["SRV"], [`_time._tcp.${ZONE}`]), false],
      ["upsert a record", false, change(ZONE_ARN, ["UPSERT"], ["A"], [`i-0dead.${ZONE}`]), false],
      ["delete a CNAME", false, change(ZONE_ARN, ["DELETE"], ["CNAME"], [`www.${ZONE}`]), false],
      [
        "delete in another zone",
        false,
        change(OTHER_ZONE_ARN, ["DELETE"], ["SRV"], [`_a._tcp.${ZONE}`]),
        false,
      ],
      [
        "list its cluster's tasks",
        false,
        { action: "ecs:ListTasks", resource: "*", context: inCluster },
        true,
      ],
      [
        "list another cluster's tasks",
        false,
        { action: "ecs:ListTasks", resource: "*", context: { "ecs:cluster": OTHER_CLUSTER_ARN } },
        false,
      ],
      [
        "describe its tasks",
        false,
        { action: "ecs:DescribeTasks", resource: taskIn("ecssd-cluster-1"), context: inCluster },
        true,
      ],
      [
        "describe its container instances",
        false,
        {
          action: "ecs:DescribeContainerInstances",
          resource: "arn:aws:ecs:eu-west-1:123456789012:container-instance/ecssd-cluster-1/abc",
          context: inCluster,
        },
        true,
      ],
      [
        "list its container instances",
        false,
        { action: "ecs:ListContainerInstances", resource: CLUSTER_ARN },
        true,
      ],
      [
        "stop a task when stopping is off",
        false,
        { action: "ecs:StopTask", resource: taskIn("ecssd-cluster-1"), context: inCluster },
        false,
      ],
      [
        "stop a task of its cluster when on",
        true,
        { action: "ecs:StopTask", resource: taskIn("ecssd-cluster-1"), context: inCluster },
        true,
      ],
      [
        "stop another cluster's task when on",
        true,
        {
          action: "ecs:StopTask",
          resource: taskIn("payments"),
          context: { "ecs:cluster": OTHER_CLUSTER_ARN },
        },
        false,
      ],
      ["update a service", true, { action: "ecs:UpdateService", resource: "*", context: inCluster }, false],
      ["run a task", true, { action: "ecs:RunTask", resource: "*", context: inCluster }, false],
    ];
    for (const [what, stop, request, allowed] of cases) {
      it(`${allowed ? "allows" : "denies"}: ${what}`, async () => {
        const policy = reconcilerPolicy({
          zoneArn: ZONE_ARN,
          zoneName: ZONE,
          clusterArn: CLUSTER_ARN,
          stopUnhealthyTasks: stop,
        });
        assert.equal(await isAllowed(policy, request), allowed);
      });
    }

    // Whatever else a batch holds, the reconciler never writes an instance or a host: the only sets it creates
    // are its TXT verdict markers.
    it("denies every batch that could UPSERT or CREATE an SRV or A set", async () => {
      const policy = reconcilerPolicy({
        zoneArn: ZONE_ARN,
        zoneName: ZONE,
        clusterArn: CLUSTER_ARN,
        stopUnhealthyTasks: true,
      });
      const writes = [
        ["UPSERT"],
        ["CREATE"],
        ["UPSERT", "DELETE"],
        ["CREATE", "DELETE"],
        ["CREATE", "UPSERT"],
      ];
      const types = [["SRV"], ["A"], ["SRV", "TXT"], ["A", "TXT"], ["SRV", "A"], ["SRV", "A", "TXT"]];
      const names = [[`_time._tcp.${ZONE}`], [`i-0abc1234def567890.${ZONE}`, `_time._tcp.${ZONE}`]];
      const allowed: string[] = [];
      for (const a of writes)
        for (const t of types)
          for (const n of names)
            if (await isAllowed(policy, change(ZONE_ARN, a, t, n))) allowed.push(`${a} ${t} ${n}`);
      assert.deepEqual(allowed, []);
    });

    it("works in other partitions", async () => {
      const policy = reconcilerPolicy({
        zoneArn: "arn:aws-cn:route53:::hostedzone/Z0AAAA",
        zoneName: ZONE,
        clusterArn: "arn:aws-cn:ecs:cn-north-1:123456789012:cluster/c1",
        stopUnhealthyTasks: false,
      });
      assert.equal(
        await isAllowed(policy, {
          action: "route53:ListResourceRecordSets",
          resource: "arn:aws-cn:route53:::hostedzone/Z0AAAA",
        }),
        true,
      );
      assert.equal(
        await isAllowed(policy, {
          action: "ecs:ListContainerInstances",
          resource: "arn:aws-cn:ecs:cn-north-1:123456789012:cluster/c1",
        }),
        true,
      );
    });

    it("grants no cluster listing or describing it does not use", async () => {
      const policy = reconcilerPolicy({
        zoneArn: ZONE_ARN,
        zoneName: ZONE,
        clusterArn: CLUSTER_ARN,
        stopUnhealthyTasks: false,
      });
      assert.equal(await isAllowed(policy, { action: "ecs:ListClusters", resource: "*" }), false);
      assert.equal(await isAllowed(policy, { action: "ecs:DescribeClusters", resource: CLUSTER_ARN }), false);
    });

    it("rejects a cluster reference that is not a cluster ARN", () => {
      assert.throws(
        () =>
          reconcilerPolicy({
            zoneArn: ZONE_ARN,
            zoneName: ZONE,
            clusterArn: "ecssd-cluster-1",
            stopUnhealthyTasks: false,
          }),
        /not an ECS cluster ARN/,
      );
    });
  });

  describe("secretsReadPolicy and assumeRolePolicy", () => {
    it("reads exactly the named parameters", async () => {
      const arn = "arn:aws:ssm:eu-west-1:123456789012:parameter/ecssd/dev/examples/password";
      const policy = secretsReadPolicy([arn]);
      assert.equal(await isAllowed(policy, { action: "ssm:GetParameters", resource: arn }), true);
      assert.equal(await isAllowed(policy, { action: "ssm:GetParameters", resource: `${arn}2` }), false);
      assert.equal(await isAllowed(policy, { action: "ssm:PutParameter", resource: arn }), false);
      assert.throws(() => secretsReadPolicy([]), /no parameter ARNs/);
    });

    // Decrypting with the key is assessed with the key's own policy (secretsKeyPolicy.test.ts): KMS asks both.
    it("names the parameters' key by its ARN", () => {
      const arn = "arn:aws:ssm:eu-west-1:123456789012:parameter/ecssd/dev/examples/password";
      assert.throws(() => secretsReadPolicy([arn], "alias/aws/ssm"), /not a KMS key ARN/);
    });

    it("lets exactly one service assume a role", () => {
      assert.deepEqual(assumeRolePolicy("lambda.amazonaws.com"), {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: "lambda.amazonaws.com" } },
        ],
      });
    });
  });

  describe("assumeRolePolicy for this stack's account (confused-deputy guard)", () => {
    const scope = { account: "123456789012", partition: "aws", region: "eu-west-1" };

    it("holds ECS to tasks of this account and region", () => {
      assert.deepEqual(assumeRolePolicy("ecs-tasks.amazonaws.com", scope).Statement[0]?.Condition, {
        StringEquals: { "aws:SourceAccount": "123456789012" },
        ArnLike: { "aws:SourceArn": "arn:aws:ecs:eu-west-1:123456789012:*" },
      });
    });

    it("holds Lambda to this account", () => {
      assert.deepEqual(assumeRolePolicy("lambda.amazonaws.com", scope).Statement[0]?.Condition, {
        StringEquals: { "aws:SourceAccount": "123456789012" },
      });
    });

    it("adds no source key for EC2, which sends none", () => {
      assert.deepEqual(assumeRolePolicy("ec2.amazonaws.com", scope), assumeRolePolicy("ec2.amazonaws.com"));
    });

    it("writes the partition into the source ARN", () => {
      const policy = assumeRolePolicy("ecs-tasks.amazonaws.com", {
        ...scope,
        partition: "aws-cn",
        region: "cn-north-1",
      });
      assert.deepEqual(policy.Statement[0]?.Condition?.ArnLike, {
        "aws:SourceArn": "arn:aws-cn:ecs:cn-north-1:123456789012:*",
      });
    });

    it("refuses an account that is not one", () => {
      assert.throws(() => assumeRolePolicy("lambda.amazonaws.com", { ...scope, account: "*" }), /account id/);
    });
  });

  describe("instanceRolePolicy: the ECS container agent on our instances", () => {
    const policy = instanceRolePolicy(CLUSTER_ARN);
    const instanceIn = (cluster: string) =>
      `arn:aws:ecs:eu-west-1:123456789012:container-instance/${cluster}/0123456789abcdef0123456789abcdef`;
    const cases: [what: string, request: IamRequest, allowed: boolean][] = [
      ["register with its cluster", { action: "ecs:RegisterContainerInstance", resource: CLUSTER_ARN }, true],
      [
        "register with another cluster",
        { action: "ecs:RegisterContainerInstance", resource: OTHER_CLUSTER_ARN },
        false,
      ],
      [
        "deregister from its cluster",
        { action: "ecs:DeregisterContainerInstance", resource: CLUSTER_ARN },
        true,
      ],
      ["report a task's state", { action: "ecs:SubmitTaskStateChange", resource: CLUSTER_ARN }, true],
      [
        "report a container's state",
        { action: "ecs:SubmitContainerStateChange", resource: CLUSTER_ARN },
        true,
      ],
      [
        "report an attachment's state",
        { action: "ecs:SubmitAttachmentStateChanges", resource: CLUSTER_ARN },
        true,
      ],
      [
        "report a task's state to another cluster",
        { action: "ecs:SubmitTaskStateChange", resource: OTHER_CLUSTER_ARN },
        false,
      ],
      [
        "poll for work as an instance of its cluster",
        {
          action: "ecs:Poll",
          resource: instanceIn("ecssd-cluster-1"),
          context: { "ecs:cluster": CLUSTER_ARN },
        },
        true,
      ],
      [
        "poll as an instance of another cluster",
        {
          action: "ecs:Poll",
          resource: instanceIn("payments"),
          context: { "ecs:cluster": OTHER_CLUSTER_ARN },
        },
        false,
      ],
      [
        "send telemetry",
        {
          action: "ecs:StartTelemetrySession",
          resource: instanceIn("ecssd-cluster-1"),
          context: { "ecs:cluster": CLUSTER_ARN },
        },
        true,
      ],
      [
        "drain an instance of another cluster",
        {
          action: "ecs:UpdateContainerInstancesState",
          resource: instanceIn("payments"),
          context: { "ecs:cluster": OTHER_CLUSTER_ARN },
        },
        false,
      ],
      ["find the poll endpoint", { action: "ecs:DiscoverPollEndpoint", resource: "*" }, true],
      ["create a cluster", { action: "ecs:CreateCluster", resource: OTHER_CLUSTER_ARN }, false],
      [
        "run a task",
        { action: "ecs:RunTask", resource: "*", context: { "ecs:cluster": CLUSTER_ARN } },
        false,
      ],
      [
        "pull an image itself (tasks' execution roles do)",
        {
          action: "ecr:BatchGetImage",
          resource: "arn:aws:ecr:eu-west-1:123456789012:repository/ecssd-images-time",
        },
        false,
      ],
      ["get a registry token", { action: "ecr:GetAuthorizationToken", resource: "*" }, false],
      [
        "write logs itself (tasks' execution roles do)",
        {
          action: "logs:PutLogEvents",
          resource: "arn:aws:logs:eu-west-1:123456789012:log-group:x:log-stream:y",
        },
        false,
      ],
    ];
    for (const [what, request, allowed] of cases) {
      it(`${allowed ? "allows" : "denies"}: ${what}`, async () =>
        assert.equal(await isAllowed(policy, request), allowed));
    }

    it("grants no wildcard action", () => {
      for (const s of policy.Statement) {
        for (const action of [s.Action].flat()) assert.doesNotMatch(action, /\*/, action);
      }
    });
  });

  describe("the simulator used by these tests", () => {
    const policy = {
      Version: "2012-10-17" as const,
      Statement: [
        { Effect: "Allow" as const, Action: "s3:*", Resource: "*" },
        { Effect: "Deny" as const, Action: "s3:DeleteObject", Resource: "*" },
      ],
    };

    it("refuses to answer for an action AWS does not have", async () => {
      await assert.rejects(
        isAllowed(policy, { action: "s3:GetObjekt", resource: "arn:aws:s3:::bucket/key" }),
        /iam-simulate cannot evaluate s3:GetObjekt/,
      );
    });

    it("lets an explicit Deny win", async () => {
      assert.equal(
        await isAllowed(policy, { action: "s3:GetObject", resource: "arn:aws:s3:::bucket/key" }),
        true,
      );
      assert.equal(
        await isAllowed(policy, { action: "s3:DeleteObject", resource: "arn:aws:s3:::bucket/key" }),
        false,
      );
    });
  });
});
