// The program under mocks with non-default stack config: what each setting changes in the resources.
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { agentConfigFromEnv } from "../../agent/config";
import type { PolicyDocument } from "../../infra/policies";
import { configFromEnv } from "../../reconciler/config";
import {
  ownershipProblem,
  ownershipRules,
  parseServiceDeclarations,
  type ServiceOwners,
} from "../../records";
import { registrarConfigFromEnv } from "../../registrar/config";
import { isAllowed } from "./support/iamEvaluation";
import { promiseOf } from "./support/outputs";
import { ACCOUNT, ProgramMocks, REGION } from "./support/programMocks";
import { type Program, runProgram } from "./support/runProgram";

const CLUSTER_NAME = "ecssd-cluster-cluster-7f3a9c1";
const CLUSTER_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER_NAME}`;

describe("infra program with Graviton instances, task stopping on and health checks off", function () {
  this.timeout(60_000);
  let mocks: ProgramMocks;

  before(async () => {
    ({ mocks } = await runProgram({
      "aws:region": REGION,
      "ecssd:examples": "true",
      "ecssd:examplesPassword": "another-Passw0rd-for-tests",
      "ecssd:instanceType": "t4g.medium",
      "ecssd:stopUnhealthyTasks": "true",
      "ecssd:checkHealth": "false",
      "ecssd:zoneName": "sd.example.internal",
      "ecssd:reconcileSchedule": "rate(1 minute)",
      "ecssd:srvTtl": "60",
      "ecssd:logRetentionDays": "30",
      "ecssd:natGateways": "OnePerAz",
      "ecssd:availabilityZones": "3",
    }));
  });

  it("boots the arm64 AMI and builds arm64 images", () => {
    assert.deepEqual(
      mocks.calls.filter((c) => c.token === "aws:ssm/getParameter:getParameter").map((c) => c.inputs.name),
      ["/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"],
    );
    assert.equal(mocks.named("ecssd-cluster-launch-template").inputs.instanceType, "t4g.medium");
    for (const image of mocks.ofType("awsx:ecr:Image"))
      assert.equal(image.inputs.platform, "linux/arm64", image.name);
  });

  it("lets the reconciler stop tasks of its own cluster only", async () => {
    const [policy] = mocks
      .ofType("aws:iam/rolePolicy:RolePolicy")
      .filter((p) => p.inputs.role === "ecssd-reconciler-role-id")
      .map((p) => JSON.parse(p.inputs.policy) as PolicyDocument);
    assert.ok(policy);
    const task = (cluster: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${cluster}/0123456789abcdef`;
    assert.equal(
      await isAllowed(policy, {
        action: "ecs:StopTask",
        resource: task(CLUSTER_NAME),
        context: { "ecs:cluster": CLUSTER_ARN },
      }),
      true,
    );
    const other = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/payments`;
    assert.equal(
      await isAllowed(policy, {
        action: "ecs:StopTask",
        resource: task("payments"),
        context: { "ecs:cluster": other },
      }),
      false,
    );
  });

  it("opens no health-check path when health checks are off", () => {
    const fromReconciler = mocks
      .ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
      .filter((r) => r.inputs.referencedSecurityGroupId === "sg-ecssd-reconciler-sg");
    assert.deepEqual(fromReconciler, []);
    const egress = mocks
      .ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
      .filter((r) => r.inputs.securityGroupId === "sg-ecssd-reconciler-sg");
    assert.deepEqual(
      egress.map((r) => [r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4]),
      [[443, 443, "0.0.0.0/0"]],
    );
  });

  it("carries every setting to where it acts", () => {
    const fn = mocks.named("ecssd-reconciler-function");
    assert.equal(fn.inputs.environment.variables.ECSSD_CHECK_HEALTH, "false");
    assert.equal(fn.inputs.environment.variables.ECSSD_STOP_UNHEALTHY_TASKS, "true");
    assert.equal(fn.inputs.environment.variables.ECSSD_ZONE_NAME, "sd.example.internal");
    assert.equal(mocks.named("ecssd-reconciler-schedule").inputs.scheduleExpression, "rate(1 minute)");
    for (const logs of mocks.ofType("aws:cloudwatch/logGroup:LogGroup")) {
      assert.equal(logs.inputs.retentionInDays, 30, logs.name);
    }
    const [agent] = JSON.parse(mocks.named("ecssd-agent-task").inputs.containerDefinitions);
    assert.deepEqual(
      agent.environment.find((e: { name: string }) => e.name === "ECSSD_SRV_TTL"),
      {
        name: "ECSSD_SRV_TTL",
        value: "60",
      },
    );
    const [calc] = JSON.parse(mocks.named("ecssd-examples-calc-task").inputs.containerDefinitions);
    assert.equal(calc.stopTimeout, 80, "a longer TTL gets a longer drain before SIGKILL");
    const [portal] = JSON.parse(mocks.named("ecssd-examples-portal-task").inputs.containerDefinitions);
    assert.deepEqual(portal.environment, [
      { name: "TIME_SERVICE", value: "_time._tcp.sd.example.internal" },
      { name: "CALC_SERVICE", value: "_calc._tcp.sd.example.internal" },
    ]);
    const [vpc] = mocks.ofType("awsx:ec2:Vpc");
    assert.equal(vpc?.inputs.numberOfAvailabilityZones, 3);
    assert.deepEqual(vpc?.inputs.natGateways, { strategy: "OnePerAz" });
    assert.equal(mocks.named("ecssd-zone-zone").inputs.name, "sd.example.internal");
  });
});

describe("infra program with a certificate for the portal", function () {
  this.timeout(60_000);
  const CERTIFICATE = `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/12345678-90ab-cdef-1234-567890abcdef`;
  let mocks: ProgramMocks;
  let program: Program;

  before(async () => {
    ({ mocks, program } = await runProgram({
      "aws:region": REGION,
      "ecssd:examples": "true",
      "ecssd:examplesPassword": "another-Passw0rd-for-tests",
      "ecssd:certificateArn": CERTIFICATE,
    }));
  });

  it("serves the portal over HTTPS with the certificate and a TLS 1.2+ policy", async () => {
    const https = mocks.named("ecssd-examples-https");
    assert.equal(https.inputs.port, 443);
    assert.equal(https.inputs.protocol, "HTTPS");
    assert.equal(https.inputs.certificateArn, CERTIFICATE);
    assert.equal(https.inputs.sslPolicy, "ELBSecurityPolicy-TLS13-1-2-2021-06");
    assert.deepEqual(
      https.inputs.defaultActions.map((a: { type: string }) => a.type),
      ["forward"],
    );
    assert.match(https.inputs.defaultActions[0].targetGroupArn, /ecssd-examples-portal-tg/);
    assert.match(
      (await promiseOf(program.portalUrl)) ?? "",
      /^https:\/\/ecssd-examples-lb-\d+\.eu-west-1\.elb\.amazonaws\.com$/,
    );
  });

  it("redirects HTTP to HTTPS permanently and forwards nothing over plain HTTP", () => {
    const http = mocks.named("ecssd-examples-http");
    assert.equal(http.inputs.port, 80);
    assert.deepEqual(http.inputs.defaultActions, [
      { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
    ]);
  });

  it("opens 443 and 80 to the internet on the load balancer, and nothing else anywhere", () => {
    const open = mocks
      .ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
      .filter((r) => r.inputs.cidrIpv4 !== undefined || r.inputs.cidrIpv6 !== undefined);
    assert.deepEqual(
      open
        .map((r) => [r.inputs.securityGroupId, r.inputs.cidrIpv4, r.inputs.fromPort, r.inputs.toPort])
        .sort(),
      [
        ["sg-ecssd-examples-lb-sg", "0.0.0.0/0", 443, 443],
        ["sg-ecssd-examples-lb-sg", "0.0.0.0/0", 80, 80],
      ],
    );
  });
});

describe("infra program with an invalid stack config", () => {
  it("stops before creating anything and names every bad key", async () => {
    const mocks = new ProgramMocks();
    await assert.rejects(
      runProgram(
        { "aws:region": REGION, "ecssd:examples": "true", "ecssd:instanceType": "huge", "ecssd:srvTtl": "0" },
        mocks,
      ),
      (err: Error) => {
        assert.equal(
          err.message,
          [
            "Invalid stack config:",
            ' - [instanceType] must be an EC2 instance type such as t3.small, got "huge"',
            " - [srvTtl] must be between 1 and 3600, got 0",
            " - [examplesPassword] is required: pulumi config set --secret ecssd:examplesPassword <at least 12 characters>",
          ].join("\n"),
        );
        return true;
      },
    );
    assert.deepEqual(mocks.resources, []);
  });
});

/**
 * The environment the cluster's task events are applied with: the registrar Lambda's, or with the coalescer (the
 * default) the coalescer's container's, which carries the registrar's settings.
 */
function registrarEnvironmentOf(mocks: ProgramMocks): Record<string, string> {
  if (mocks.resources.some((r) => r.name === "ecssd-registrar-function")) {
    return mocks.named("ecssd-registrar-function").inputs.environment.variables;
  }
  const [coalescer] = JSON.parse(mocks.named("ecssd-coalescer-task").inputs.containerDefinitions) as {
    environment: { name: string; value: string }[];
  }[];
  return Object.fromEntries((coalescer?.environment ?? []).map((e) => [e.name, e.value]));
}

describe("infra program with ecssd:serviceOwners", function () {
  this.timeout(60_000);
  const ownersOf = (mocks: ProgramMocks) => {
    const registrar = registrarEnvironmentOf(mocks);
    const agent = JSON.parse(mocks.named("ecssd-agent-task").inputs.containerDefinitions)[0] as {
      environment: { name: string; value: string }[];
    };
    const reconciler = mocks.named("ecssd-reconciler-function");
    const fromAgent = agent.environment.find((e) => e.name === "ECSSD_SERVICE_OWNERS")?.value;
    assert.equal(registrar.ECSSD_SERVICE_OWNERS, fromAgent, "registrar = agent");
    assert.equal(
      reconciler.inputs.environment.variables.ECSSD_SERVICE_OWNERS,
      fromAgent,
      "reconciler = agent",
    );
    return fromAgent === undefined ? undefined : (JSON.parse(fromAgent) as Record<string, string[]>);
  };

  it("gives the stack's owners to the agent, the registrar and the reconciler, over the examples' own claims", async () => {
    const { mocks } = await runProgram({
      "aws:region": REGION,
      "ecssd:examples": "true",
      "ecssd:examplesPassword": "another-Passw0rd-for-tests",
      "ecssd:serviceOwners": JSON.stringify({ "_payments._tcp": ["payments"], "_calc._tcp": ["calc-v2"] }),
    });
    assert.deepEqual(ownersOf(mocks), {
      "_time._tcp": ["ecssd-test-time", "ecssd-test-time-fargate"],
      "_calc._tcp": ["calc-v2"],
      "_payments._tcp": ["payments"],
    });
  });

  it("leaves every name open when neither the stack nor the examples claim any", async () => {
    const { mocks } = await runProgram({ "aws:region": REGION });
    assert.equal(ownersOf(mocks), undefined);
  });
});

describe("infra program: one cap on declared ports per container", function () {
  this.timeout(60_000);
  // Issue 25, finding 4: the agent caps its host's containers, and awsvpc tasks' containers are held to the same
  // cap by whatever applies the task events (the coalescer, or the registrar Lambda without it).
  for (const coalescer of ["true", "false"]) {
    it(`gives the agent and the task events one ECSSD_MAX_PORTS_PER_CONTAINER (ecssd:coalescer ${coalescer})`, async () => {
      const { mocks } = await runProgram({ "aws:region": REGION, "ecssd:coalescer": coalescer });
      const [agent] = JSON.parse(mocks.named("ecssd-agent-task").inputs.containerDefinitions) as {
        environment: { name: string; value: string }[];
      }[];
      const agentEnv = Object.fromEntries((agent?.environment ?? []).map((e) => [e.name, e.value]));
      const agentCap = agentConfigFromEnv({
        ...agentEnv,
        ECSSD_HOST_ID: "i-0123456789abcdef0",
      }).maxPortsPerContainer;
      assert.equal(registrarConfigFromEnv(registrarEnvironmentOf(mocks)).maxPortsPerContainer, agentCap);
      assert.equal(agentCap, 16);
    });
  }
});

describe("infra program with ecssd:closedNamespace", function () {
  this.timeout(60_000);
  type Env = Record<string, string>;
  /** Each component's environment, as its task definition or function carries it. */
  const environments = (mocks: ProgramMocks): { agent: Env; registrar: Env; reconciler: Env } => {
    const [agent] = JSON.parse(mocks.named("ecssd-agent-task").inputs.containerDefinitions) as {
      environment: { name: string; value: string }[];
    }[];
    return {
      agent: Object.fromEntries((agent?.environment ?? []).map((e) => [e.name, e.value])),
      registrar: registrarEnvironmentOf(mocks),
      reconciler: mocks.named("ecssd-reconciler-function").inputs.environment.variables,
    };
  };
  /** The rules each component applies once it has read its environment. */
  const rulesOf = (mocks: ProgramMocks): [string, ServiceOwners | undefined][] => {
    const env = environments(mocks);
    const agent = agentConfigFromEnv(env.agent);
    const registrar = registrarConfigFromEnv(env.registrar);
    const reconciler = configFromEnv(env.reconciler);
    return [
      ["agent", ownershipRules(agent.serviceOwners, agent.serviceOwnersClosed)],
      ["registrar", ownershipRules(registrar.serviceOwners, registrar.serviceOwnersClosed)],
      ["reconciler", ownershipRules(reconciler.serviceOwners, reconciler.serviceOwnersClosed)],
    ];
  };
  const devStack = (): Record<string, string> => {
    const { load } = require("js-yaml") as { load(text: string): unknown };
    const text = readFileSync(path.join(__dirname, "..", "..", "Pulumi.dev.yaml"), "utf8");
    const { config } = load(text) as { config: Record<string, unknown> };
    return {
      ...Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)])),
      // Pulumi.dev.yaml holds it encrypted, as `pulumi config set --secret` writes it.
      "ecssd:examplesPassword": "another-Passw0rd-for-tests",
    };
  };

  it("closes the namespace for the agent, the registrar and the reconciler alike", async () => {
    const { mocks } = await runProgram({
      "aws:region": REGION,
      "ecssd:serviceOwners": JSON.stringify({ "_payments._tcp": ["payments"] }),
      "ecssd:closedNamespace": "true",
    });
    for (const [component, env] of Object.entries(environments(mocks))) {
      assert.equal(env.ECSSD_SERVICE_OWNERS_CLOSED, "true", component);
    }
    for (const [component, rules] of rulesOf(mocks)) {
      const offer = (srvName: string, family: string) =>
        ownershipProblem(rules, { srvName, containerPort: 8080 }, family)?.code;
      assert.equal(offer("_payments._tcp", "payments"), undefined, `${component}: the owner's own name`);
      assert.equal(offer("_vault._tcp", "anything"), "service-not-owned", `${component}: an unlisted name`);
    }
  });

  it("is open by default: a name the owners do not list may be offered by anyone", async () => {
    const { mocks } = await runProgram({
      "aws:region": REGION,
      "ecssd:serviceOwners": JSON.stringify({ "_payments._tcp": ["payments"] }),
    });
    for (const [component, rules] of rulesOf(mocks)) {
      assert.equal(
        ownershipProblem(rules, { srvName: "_vault._tcp", containerPort: 8080 }, "anything"),
        undefined,
        component,
      );
    }
  });

  it("refuses to close a namespace no owner lists a name of, naming the key", async () => {
    await assert.rejects(
      runProgram({ "aws:region": REGION, "ecssd:closedNamespace": "true" }),
      /\[closedNamespace\] needs names to close over/,
    );
  });

  it("Pulumi.dev.yaml (the examples' stack) closes it, and the examples still offer their own names", async () => {
    const { mocks } = await runProgram(devStack());
    for (const [component, env] of Object.entries(environments(mocks))) {
      assert.equal(env.ECSSD_SERVICE_OWNERS_CLOSED, "true", component);
    }
    // Every name an example's task definition declares may be offered by its family, in every component.
    let declared = 0;
    for (const task of mocks.ofType("aws:ecs/taskDefinition:TaskDefinition")) {
      if (!task.name.startsWith("ecssd-examples-")) continue;
      const containers = JSON.parse(task.inputs.containerDefinitions) as {
        environment?: { name: string; value: string }[];
        dockerLabels?: Record<string, string>;
      }[];
      for (const container of containers) {
        const env = (container.environment ?? []).map((e) => `${e.name}=${e.value}`);
        for (const service of parseServiceDeclarations(env, container.dockerLabels).services) {
          declared += 1;
          for (const [component, rules] of rulesOf(mocks)) {
            assert.equal(
              ownershipProblem(rules, service, task.inputs.family),
              undefined,
              `${component}: ${task.inputs.family} offers ${service.srvName}`,
            );
          }
        }
      }
    }
    assert.ok(declared >= 3, "time, its Fargate variant and calc declare their names");
  });
});
