// The component used from a separate program (test/infra/userProgram/), under the same mocks as ours.
import { strict as assert } from "node:assert";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { promiseOf } from "./support/outputs";
import { BROUGHT, ProgramMocks, REGION } from "./support/programMocks";
import { waitForRegistrations } from "./support/runProgram";

const PROGRAM = path.join(__dirname, "userProgram", "index.ts");
const IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/platform/ecssd-agent@sha256:" + "cd".repeat(32);
const COALESCER_IMAGE =
  "123456789012.dkr.ecr.eu-west-1.amazonaws.com/platform/ecssd-coalescer@sha256:" + "ef".repeat(32);

describe("ServiceDiscovery from a user's own program", function () {
  this.timeout(60_000);
  let mocks: ProgramMocks;
  let program: typeof import("./userProgram/index");

  before(async () => {
    mocks = new ProgramMocks();
    pulumi.runtime.setAllConfig({
      "aws:region": REGION,
      "platform:vpcId": BROUGHT.vpcId,
      "platform:privateSubnetIds": JSON.stringify(BROUGHT.privateSubnetIds),
      "platform:clusterArn": BROUGHT.clusterArn,
      "platform:agentImage": IMAGE,
      "platform:coalescerImage": COALESCER_IMAGE,
    });
    await pulumi.runtime.setMocks(mocks, "platform", "prod", false);
    delete require.cache[require.resolve(PROGRAM)];
    program = require(PROGRAM);
    await promiseOf(program.resolverSettings);
    await waitForRegistrations();
  });

  it("creates its zone in the user's VPC and hands out the resolver settings", async () => {
    assert.equal(await promiseOf(program.zoneName), "sd.platform.internal");
    assert.deepEqual(mocks.named("sd-zone-zone").inputs.vpcs, [{ vpcId: BROUGHT.vpcId, vpcRegion: REGION }]);
    assert.deepEqual(await promiseOf(program.resolverSettings), {
      zoneName: "sd.platform.internal",
      servers: ["169.254.169.253:53"],
    });
  });

  it("adds the agent and the coalescer to the user's cluster with the user's images, and builds no image of its own", async () => {
    const service = mocks.named("sd-agent-service");
    assert.equal(service.inputs.cluster, BROUGHT.clusterArn);
    const [agent] = JSON.parse(mocks.named("sd-agent-task").inputs.containerDefinitions);
    assert.equal(agent.image, IMAGE);
    assert.equal(mocks.named("sd-coalescer-service").inputs.cluster, BROUGHT.clusterArn);
    const [coalescer] = JSON.parse(mocks.named("sd-coalescer-task").inputs.containerDefinitions);
    assert.equal(coalescer.image, COALESCER_IMAGE);
    assert.deepEqual(mocks.ofType("aws:ecr/repository:Repository"), []);
    assert.match((await promiseOf(program.coalescerUrl)) ?? "", /^http:\/\/sd-coalescer-lb-.*:8053$/);
  });

  it("lets the user's VPC range reach the coalescer when it names no instance group", () => {
    const fromAgents = mocks.named("sd-coalescer-lb-from-agents").inputs;
    assert.equal(fromAgents.cidrIpv4, BROUGHT.vpcCidr);
    assert.equal(mocks.calls.filter((c) => c.token === "aws:ec2/getVpc:getVpc").length, 1, "read once");
  });

  it("runs the reconciler in the user's subnets against the user's cluster and VPC range", () => {
    const fn = mocks.named("sd-reconciler-function");
    assert.deepEqual(fn.inputs.vpcConfig.subnetIds, BROUGHT.privateSubnetIds);
    assert.equal(fn.inputs.environment.variables.ECSSD_CLUSTERS, BROUGHT.clusterName);
    assert.ok(mocks.calls.some((c) => c.token === "aws:ec2/getVpc:getVpc" && c.inputs.id === BROUGHT.vpcId));
    assert.ok(
      mocks
        .ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
        .some((r) => r.inputs.cidrIpv4 === BROUGHT.vpcCidr),
    );
  });
});
