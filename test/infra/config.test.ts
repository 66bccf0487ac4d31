import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_DEFAULTS, parseStackConfig, StackConfigError } from "../../infra/config";
import { promiseOf } from "./support/outputs";

const VALID = {
  "aws:region": "eu-west-1",
  "ecssd:examples": "true",
  "ecssd:examplesPassword": "correct-horse-battery",
} as const;

function problemsOf(raw: Record<string, string | undefined>): readonly string[] {
  try {
    parseStackConfig(raw);
  } catch (err) {
    assert.ok(err instanceof StackConfigError, String(err));
    assert.equal(err.message, `Invalid stack config:\n${err.problems.map((p) => ` - ${p}`).join("\n")}`);
    return err.problems;
  }
  assert.fail("expected the config to be rejected");
}

describe("stack config", () => {
  it("takes every default from Pulumi.yaml when only the region and the password are set", async () => {
    const config = parseStackConfig(VALID);
    assert.equal(config.region, "eu-west-1");
    assert.equal(config.zoneName, "servicediscovery.internal");
    assert.equal(config.instanceType, "t3.small");
    assert.deepEqual([config.minSize, config.desiredCapacity, config.maxSize], [1, 2, 4]);
    assert.equal(config.srvTtl, 10);
    assert.equal(config.reconcileSchedule, "rate(5 minutes)");
    assert.equal(config.checkHealth, true);
    assert.equal(config.stopUnhealthyTasks, false);
    assert.equal(config.maxDeleteShare, 0.5);
    assert.equal(config.logRetentionDays, 14);
    assert.equal(await promiseOf(config.examplesPassword), "correct-horse-battery");
  });

  it("turns the coalescer on with its default budget, and off with ecssd:coalescer false", () => {
    const base = { "aws:region": "eu-west-1" };
    assert.equal(parseStackConfig(base).coalescer, true);
    assert.deepEqual(parseStackConfig(base).route53Budget, { requests: 0.4, changes: 0.6 });
    assert.equal(parseStackConfig({ ...base, "ecssd:coalescer": "false" }).coalescer, false);
    assert.deepEqual(problemsOf({ ...base, "ecssd:coalescer": "sometimes" }), [
      '[coalescer] must be true or false, got "sometimes"',
    ]);
  });

  it("reads ecssd:route53Budget as shares above 0 and at most 1, and names each problem with it", () => {
    const base = { "aws:region": "eu-west-1" };
    const budget = (value: string) =>
      parseStackConfig({ ...base, "ecssd:route53Budget": value }).route53Budget;
    assert.deepEqual(budget('{"requests":0.2,"changes":1}'), { requests: 0.2, changes: 1 });
    assert.deepEqual(budget('{"changes":"0.3"}'), { requests: 0.4, changes: 0.3 });
    const cases: [given: string, problems: string[]][] = [
      ["0.5", ['[route53Budget] must be an object such as {"requests": 0.4, "changes": 0.6}, got 0.5']],
      ["half", ['[route53Budget] must be an object such as {"requests": 0.4, "changes": 0.6}, got "half"']],
      [
        '["requests"]',
        ['[route53Budget] must be an object such as {"requests": 0.4, "changes": 0.6}, got ["requests"]'],
      ],
      [
        '{"requests":-0.1,"changes":"lots"}',
        [
          "[route53Budget] requests must be a share of the account's rate, above 0 and at most 1 (0.4 is 40%), got -0.1",
          '[route53Budget] changes must be a share of the account\'s rate, above 0 and at most 1 (0.4 is 40%), got "lots"',
        ],
      ],
      [
        '{"requests":40}',
        [
          "[route53Budget] requests must be a share of the account's rate, above 0 and at most 1 (0.4 is 40%), got 40",
        ],
      ],
      ['{"request":0.4}', ['[route53Budget] has no setting "request" (known: requests, changes)']],
    ];
    for (const [given, problems] of cases) {
      assert.deepEqual(problemsOf({ ...base, "ecssd:route53Budget": given }), problems, given);
    }
  });

  it("keeps the password a secret Output", async () => {
    const { examplesPassword } = parseStackConfig(VALID);
    assert.ok(examplesPassword);
    assert.equal(await pulumi.isSecret(examplesPassword), true);
  });

  it("declares in Pulumi.yaml the same defaults the program applies", () => {
    const { load } = require("js-yaml") as { load(text: string): unknown };
    const project = load(readFileSync(path.join(__dirname, "..", "..", "Pulumi.yaml"), "utf8")) as {
      name: string;
      config: Record<string, { type: string; default?: unknown; secret?: boolean; description: string }>;
    };
    assert.equal(project.name, "ecssd", "project name is the config namespace");
    const declared = Object.fromEntries(
      Object.entries(project.config)
        .filter(([, v]) => v.default !== undefined)
        .map(([k, v]) => [k.replace(/^ecssd:/, ""), String(v.default)]),
    );
    assert.deepEqual(declared, { ...CONFIG_DEFAULTS });
    assert.equal(project.config["ecssd:examplesPassword"]?.secret, true);
    for (const [key, spec] of Object.entries(project.config)) {
      assert.ok(spec.description.length > 10, `${key} has a description`);
      assert.ok(["string", "integer", "boolean", "array"].includes(spec.type), `${key} has a type`);
    }
  });

  it("keeps the dev stack free of plaintext secrets", () => {
    const text = readFileSync(path.join(__dirname, "..", "..", "Pulumi.dev.yaml"), "utf8");
    const { load } = require("js-yaml") as { load(text: string): unknown };
    const { config } = load(text) as { config: Record<string, unknown> };
    assert.equal(config["ecssd:examplesPassword"], undefined);
    assert.ok(config["aws:region"]);
    // The dev stack's values themselves pass validation (with a password added as `config set --secret` would).
    const raw = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)]));
    parseStackConfig({ ...raw, "ecssd:examplesPassword": "correct-horse-battery" });
  });

  it("reads ecssd:closedNamespace (false by default), and refuses a closed namespace with no names to close over", () => {
    const base = { "aws:region": "eu-west-1" };
    assert.equal(parseStackConfig(base).closedNamespace, false);
    const owners = { "ecssd:serviceOwners": '{"_calc._tcp":["calc"]}' };
    assert.equal(
      parseStackConfig({ ...base, ...owners, "ecssd:closedNamespace": "true" }).closedNamespace,
      true,
    );
    const examples = { "ecssd:examples": "true", "ecssd:examplesPassword": "correct-horse-battery" };
    assert.equal(
      parseStackConfig({ ...base, ...examples, "ecssd:closedNamespace": "true" }).closedNamespace,
      true,
      "the examples' own names are enough",
    );
    for (const none of [{}, { "ecssd:serviceOwners": "{}" }]) {
      assert.deepEqual(
        problemsOf({ ...base, ...none, "ecssd:closedNamespace": "true" }).map((p) => p.split("]")[0]),
        ["[closedNamespace"],
      );
    }
    assert.deepEqual(
      problemsOf({ ...base, "ecssd:closedNamespace": "maybe" }).map((p) => p.split("]")[0]),
      ["[closedNamespace"],
    );
  });

  it("reads ecssd:serviceOwners as the writers do, and names each problem with it", () => {
    const base = { "aws:region": "eu-west-1" };
    const c = parseStackConfig({ ...base, "ecssd:serviceOwners": '{"_Calc._tcp":["calc","calc-canary"]}' });
    assert.deepEqual(c.serviceOwners, { "_calc._tcp": ["calc", "calc-canary"] });
    assert.deepEqual(
      problemsOf({ ...base, "ecssd:serviceOwners": "calc" }).map((p) => p.split("]")[0]),
      ["[serviceOwners"],
    );
    const problems = problemsOf({ ...base, "ecssd:serviceOwners": '{"calc":["calc"],"_time._tcp":["a b"]}' });
    assert.equal(problems.length, 2, problems.join("\n"));
    for (const p of problems) assert.match(p, /^\[serviceOwners\] /);
  });

  it("names every bad key at once", () => {
    const problems = problemsOf({
      "aws:region": "Europe",
      "ecssd:zoneName": "Service_Discovery",
      "ecssd:vpcCidr": "8.8.0.0/16",
      "ecssd:availabilityZones": "1",
      "ecssd:natGateways": "many",
      "ecssd:instanceType": "big",
      "ecssd:desiredCapacity": "two",
      "ecssd:srvTtl": "0",
      "ecssd:reconcileSchedule": "every 5 minutes",
      "ecssd:checkHealth": "yes",
      "ecssd:healthPath": "health",
      "ecssd:healthTimeoutMs": "60000",
      "ecssd:healthConcurrency": "0",
      "ecssd:stopUnhealthyTasks": "1",
      "ecssd:dryRun": "no",
      "ecssd:maxDeleteShare": "50%",
      "ecssd:logRetentionDays": "10",
      "ecssd:baseImage": "node 20",
      "ecssd:examplesUsername": "ad:min",
      "ecssd:instancetype": "t3.small",
      "ecssd:examples": "on",
      "ecssd:vpcId": "my-vpc",
      "ecssd:privateSubnetIds": "subnet-1",
      "ecssd:clusterName": "platform cluster",
      "ecssd:zoneId": "zone-1",
      "ecssd:certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/portal",
    });
    const keys = problems.map((p) => /^\[([^\]]+)\]/.exec(p)?.[1]);
    assert.deepEqual(
      keys.sort(),
      [
        "availabilityZones",
        "aws:region",
        "baseImage",
        "checkHealth",
        "desiredCapacity",
        "dryRun",
        "healthConcurrency",
        "healthPath",
        "healthTimeoutMs",
        "instanceType",
        "instancetype",
        "logRetentionDays",
        "maxDeleteShare",
        "natGateways",
        "reconcileSchedule",
        "srvTtl",
        "stopUnhealthyTasks",
        "vpcCidr",
        "zoneName",
        "examplesUsername",
        "examples",
        "vpcId",
        "privateSubnetIds",
        "clusterName",
        "zoneId",
        "certificateArn",
        // zoneName twice: invalid, and set together with zoneId.
        "zoneName",
      ].sort(),
    );
  });

  it("says how to set a missing password, and never echoes a bad one", () => {
    assert.deepEqual(problemsOf({ "aws:region": "eu-west-1", "ecssd:examples": "true" }), [
      "[examplesPassword] is required: pulumi config set --secret ecssd:examplesPassword <at least 12 characters>",
    ]);
    const problems = problemsOf({ ...VALID, "ecssd:examplesPassword": "short pw" });
    assert.deepEqual(problems, ["[examplesPassword] must be 12-256 visible ASCII characters (no spaces)"]);
  });

  it("needs no password, and turns the examples off, unless asked for them", async () => {
    const config = parseStackConfig({ "aws:region": "eu-west-1" });
    assert.equal(config.examples, false);
    assert.equal(config.examplesPassword, undefined);
    assert.deepEqual(
      [config.existingVpc, config.clusterName, config.zoneId],
      [undefined, undefined, undefined],
    );
  });

  it("reads a brought VPC, cluster and zone, subnets as pulumi config set --path stores them", () => {
    const config = parseStackConfig({
      "aws:region": "eu-west-1",
      "ecssd:vpcId": "vpc-0123456789abcdef0",
      "ecssd:privateSubnetIds": '["subnet-0aaaaaaaaaaaaaaa1","subnet-0aaaaaaaaaaaaaaa2"]',
      "ecssd:clusterName": "platform",
      "ecssd:zoneId": "Z0BROUGHT0ZONE",
    });
    assert.deepEqual(config.existingVpc, {
      vpcId: "vpc-0123456789abcdef0",
      privateSubnetIds: ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
    });
    assert.equal(config.clusterName, "platform");
    assert.equal(config.zoneId, "Z0BROUGHT0ZONE");
  });

  it("names every key a brought environment is missing or contradicts", () => {
    const problems = problemsOf({
      ...VALID,
      "ecssd:vpcId": "vpc-0123456789abcdef0",
      "ecssd:clusterName": "platform",
      "ecssd:zoneId": "Z0BROUGHT0ZONE",
      "ecssd:zoneName": "other.internal",
    });
    assert.deepEqual(problems, [
      "[privateSubnetIds] is required with vpcId: pulumi config set --path 'ecssd:privateSubnetIds[0]' subnet-...",
      "[publicSubnetIds] is required with vpcId: pulumi config set --path 'ecssd:publicSubnetIds[0]' subnet-...",
      "[examples] must be false with clusterName: the examples run only on a cluster this program creates",
      "[zoneName] must not be set with zoneId: the zone's name is read from AWS",
    ]);
    assert.deepEqual(
      problemsOf({ "aws:region": "eu-west-1", "ecssd:publicSubnetIds": "subnet-0aaaaaaaaaaaaaaa1" }),
      ["[publicSubnetIds] is set but vpcId is not: set both, or neither"],
    );
  });

  it("requires the region", () => {
    assert.match(
      problemsOf({ "ecssd:examplesPassword": "correct-horse-battery" }).join("\n"),
      /^\[aws:region\] is required/,
    );
  });

  it("reads keys in the older ns:config:key form", () => {
    const config = parseStackConfig({ ...VALID, "ecssd:config:instanceType": "t4g.small" });
    assert.equal(config.instanceType, "t4g.small");
  });

  const cases: [key: string, value: string, accepted: boolean, reportedAs?: string][] = [
    ["zoneName", "svc.example", true],
    ["zoneName", "internal", false],
    ["zoneName", "servicediscovery.internal.", false],
    ["zoneName", `${"a".repeat(64)}.internal`, false],
    ["zoneName", "-bad.internal", false],
    ["vpcCidr", "172.16.0.0/20", true],
    ["vpcCidr", "192.168.0.0/16", true],
    ["vpcCidr", "10.0.0.0/8", false],
    ["vpcCidr", "10.0.0.0/24", false],
    ["vpcCidr", "10.0.0.1/16", false],
    ["vpcCidr", "10.300.0.0/16", false],
    ["availabilityZones", "4", true],
    ["availabilityZones", "5", false],
    ["natGateways", "OnePerAz", true],
    ["instanceType", "m7g.large", true],
    ["instanceType", "T3.SMALL", false],
    ["minSize", "3", false, "desiredCapacity"], // the default desired capacity of 2 is now below the minimum
    ["maxSize", "1", false, "desiredCapacity"],
    ["srvTtl", "3600", true],
    ["srvTtl", "3601", false],
    ["srvTtl", "1.5", false],
    ["reconcileSchedule", "rate(1 minute)", true],
    ["reconcileSchedule", "rate(1 minutes)", false],
    ["reconcileSchedule", "rate(2 hour)", false],
    ["reconcileSchedule", "rate(0 minutes)", false],
    ["reconcileSchedule", "rate(5 weeks)", false],
    ["reconcileSchedule", "cron(0/5 * * * ? *)", true],
    ["reconcileSchedule", "cron(0/5 * * * *)", false],
    ["reconcileSchedule", "cron(0 12 * * MON *)", false],
    ["checkHealth", "FALSE", true],
    ["healthPath", "/healthz?deep=1", true],
    ["healthPath", "/health check", false],
    ["healthTimeoutMs", "100", true],
    ["healthTimeoutMs", "99", false],
    ["healthConcurrency", "500", true],
    ["healthConcurrency", "1024", true], // the reconciler's own range
    ["healthConcurrency", "1025", false],
    ["maxDeleteShare", "1", true],
    ["maxDeleteShare", ".25", true],
    ["maxDeleteShare", "0", false],
    ["maxDeleteShare", "1.5", false],
    ["logRetentionDays", "3653", true],
    ["logRetentionDays", "0", false],
    ["examplesUsername", "x".repeat(65), false],
    ["examplesUsername", "", false],
    ["examples", "false", true],
    ["examples", "maybe", false],
    ["clusterName", "platform_prod-2", true],
    ["clusterName", "a/b", false],
    ["zoneId", "Z0123456789ABCDEFGHIJ", true],
    ["zoneId", "/hostedzone/Z01", false],
    ["vpcId", "vpc-0123456789abcdef0", false, "privateSubnetIds"],
    ["privateSubnetIds", "subnet-0aaaaaaaaaaaaaaa1", false],
    [
      "certificateArn",
      "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-90ab-cdef-1234-567890abcdef",
      true,
    ],
    [
      "certificateArn",
      "arn:aws:acm:us-east-1:123456789012:certificate/12345678-90ab-cdef-1234-567890abcdef",
      false,
    ],
    ["certificateArn", "arn:aws:iam::123456789012:server-certificate/portal", false],
    ["certificateArn", "portal.example.com", false],
  ];
  // A brought environment's keys are tried without the examples, which ask for more (public subnets, a cluster of ours).
  const BROUGHT = new Set(["clusterName", "vpcId", "privateSubnetIds", "zoneId"]);
  for (const [key, value, accepted, reportedAs] of cases) {
    it(`${accepted ? "accepts" : "rejects"} ${key}=${JSON.stringify(value.length > 30 ? `${value.slice(0, 12)}…` : value)}`, () => {
      const raw = { ...(BROUGHT.has(key) ? { "aws:region": "eu-west-1" } : VALID), [`ecssd:${key}`]: value };
      if (accepted) {
        parseStackConfig(raw);
      } else {
        const problems = problemsOf(raw);
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.match(problems[0] as string, new RegExp(`^\\[${reportedAs ?? key}\\] `));
      }
    });
  }
});
