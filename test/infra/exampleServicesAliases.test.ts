// The examples' load balancer and secrets are components of their own now; before, their resources were
// direct children of ExampleServices. A resource's URN carries its parents' types, so each moved resource
// names its old URN as an alias: `pulumi up` on an existing stack then moves it instead of replacing it (a
// new load balancer DNS name, new secrets). Prepare: Pulumi's mocks, with the SDK computing alias URNs
// itself. Act: ExampleServices as index.ts builds it, with a certificate so every resource exists. Assess:
// every resource is known by the URN a stack holds today, by its own URN or by an alias.
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { EXAMPLE_NAMES, type ExampleName } from "../../examples/manifest";
import { ExampleServices } from "../../infra/exampleServices";
import { ProgramMocks, REGION } from "./support/programMocks";
import { waitForRegistrations } from "./support/runProgram";

const TODAY = "urn:pulumi:test::ecssd::ecssd:infra:ExampleServices$";
/** The URNs of the examples' resources as stacks hold them (stack "test" of project "ecssd"). */
const HELD = [
  "aws:cloudwatch/logGroup:LogGroup::ecssd-examples-logs",
  "aws:ec2/securityGroup:SecurityGroup::ecssd-examples-lb-sg",
  "aws:ec2/securityGroup:SecurityGroup::ecssd-examples-time-fargate-sg",
  "aws:ecs/service:Service::ecssd-examples-calc",
  "aws:ecs/service:Service::ecssd-examples-portal",
  "aws:ecs/service:Service::ecssd-examples-time",
  "aws:ecs/service:Service::ecssd-examples-time-fargate",
  "aws:ecs/taskDefinition:TaskDefinition::ecssd-examples-calc-task",
  "aws:ecs/taskDefinition:TaskDefinition::ecssd-examples-portal-task",
  "aws:ecs/taskDefinition:TaskDefinition::ecssd-examples-time-fargate-task",
  "aws:ecs/taskDefinition:TaskDefinition::ecssd-examples-time-task",
  "aws:iam/role:Role::ecssd-examples-execution-role",
  "aws:iam/rolePolicy:RolePolicy::ecssd-examples-execution-secrets",
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment::ecssd-examples-execution-policy",
  "aws:kms/key:Key::ecssd-examples-secrets-key",
  "aws:lb/listener:Listener::ecssd-examples-http",
  "aws:lb/listener:Listener::ecssd-examples-https",
  "aws:lb/loadBalancer:LoadBalancer::ecssd-examples-lb",
  "aws:lb/targetGroup:TargetGroup::ecssd-examples-portal-tg",
  "aws:ssm/parameter:Parameter::ecssd-examples-password",
  "aws:ssm/parameter:Parameter::ecssd-examples-username",
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule::ecssd-examples-lb-to-instances",
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule::ecssd-examples-lb-to-instances-upper",
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule::ecssd-examples-time-fargate-egress",
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::ecssd-examples-instances-from-lb",
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::ecssd-examples-instances-from-lb-upper",
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::ecssd-examples-lb-from-internet",
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::ecssd-examples-lb-from-internet-https",
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::ecssd-examples-time-fargate-from-instances",
].map((typeAndName) => TODAY + typeAndName);

interface Registration {
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly aliasUrns: string[];
}

describe("infra ExampleServices: resources moved into the load balancer and secrets components", function () {
  this.timeout(60_000);
  const registrations: Registration[] = [];
  const urns = new Map<string, string>();

  before(async () => {
    await pulumi.runtime.setMocks(new ProgramMocks(), "ecssd", "test", false);
    // Without alias specs the SDK turns each alias into the URN the engine would look up.
    (
      require("@pulumi/pulumi/runtime/state") as { getStore(): { supportsAliasSpecs: boolean } }
    ).getStore().supportsAliasSpecs = false;
    const monitor = pulumi.runtime.getMonitor() as unknown as {
      registerResource(req: RegisterRequest, callback: (err: unknown, res?: RegisterResponse) => void): void;
    };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
      registrations.push({
        type: req.getType(),
        name: req.getName(),
        custom: req.getCustom(),
        aliasUrns: req.getAliasurnsList(),
      });
      register(req, (err, res) => {
        if (res) urns.set(`${req.getType()}::${req.getName()}`, res.getUrn());
        callback(err, res);
      });
    };
    const capacity = new pulumi.ComponentResource("test:index:Capacity", "capacity");
    new ExampleServices("ecssd-examples", {
      clusterArn: "arn:aws:ecs:eu-west-1:123456789012:cluster/c",
      capacityProviderName: "cp",
      capacityProviders: capacity,
      vpcId: "vpc-1",
      publicSubnetIds: ["subnet-public-a"],
      instanceSecurityGroupId: "sg-instances",
      privateSubnetIds: ["subnet-private-a"],
      images: Object.fromEntries(EXAMPLE_NAMES.map((n) => [n, `image-${n}`])) as Record<ExampleName, string>,
      zoneName: "servicediscovery.internal",
      password: pulumi.secret("a-Passw0rd-for-tests"),
      region: REGION,
      certificateArn: `arn:aws:acm:${REGION}:123456789012:certificate/portal`,
    });
    await waitForRegistrations();
  });

  it("existing stacks' load balancer and secrets must not be replaced: each keeps its URN as an alias", () => {
    const cloud = registrations.filter((r) => r.custom);
    const known = cloud.map((r) => {
      const urn = urns.get(`${r.type}::${r.name}`) as string;
      return HELD.includes(urn) ? urn : r.aliasUrns.find((alias) => HELD.includes(alias));
    });
    assert.deepEqual(
      cloud.filter((_, i) => known[i] === undefined).map((r) => r.name),
      [],
      "resources no stack knows by any of their URNs",
    );
    assert.deepEqual([...known].sort(), [...HELD].sort());
  });

  it("the moved resources are children of the new components, under ExampleServices", () => {
    const moved = registrations.filter((r) => r.custom && r.aliasUrns.length > 0).map((r) => r.name);
    assert.deepEqual(moved.sort(), [
      "ecssd-examples-execution-secrets",
      "ecssd-examples-http",
      "ecssd-examples-https",
      "ecssd-examples-instances-from-lb",
      "ecssd-examples-instances-from-lb-upper",
      "ecssd-examples-lb",
      "ecssd-examples-lb-from-internet",
      "ecssd-examples-lb-from-internet-https",
      "ecssd-examples-lb-sg",
      "ecssd-examples-lb-to-instances",
      "ecssd-examples-lb-to-instances-upper",
      "ecssd-examples-password",
      "ecssd-examples-portal-tg",
      "ecssd-examples-secrets-key",
      "ecssd-examples-username",
    ]);
    assert.equal(
      urns.get("ecssd:infra:ExamplesLoadBalancer::ecssd-examples"),
      "urn:pulumi:test::ecssd::ecssd:infra:ExampleServices$ecssd:infra:ExamplesLoadBalancer::ecssd-examples",
    );
    assert.equal(
      urns.get("ecssd:infra:ExampleSecrets::ecssd-examples"),
      "urn:pulumi:test::ecssd::ecssd:infra:ExampleServices$ecssd:infra:ExampleSecrets::ecssd-examples",
    );
  });
});

/** The parts of the engine's RegisterResourceRequest and its response this test reads. */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getAliasurnsList(): string[];
}
interface RegisterResponse {
  getUrn(): string;
}
