// A task registered before deployments had names, registered again by a registrar with a deployment, then
// stopped: its stop removes the unattributed sets too, so no A record is left pointing at an address ECS may
// hand to another task. Through the registrar's event handling, against the local zone.
import assert from "node:assert/strict";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { parseSetIdentifier } from "../../records";
import { applyTaskEvent, type TaskSource } from "../../registrar/registrar";
import { Route53TaskZone } from "../../registrar/route53TaskZone";
import type { DescribedTask } from "../../registrar/taskAction";
import { AwsCall, listZoneRecordSets, route53Client } from "../../route53";

const CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/apps";
const TASK_ID = "0123456789abcdef0123456789abcdef";
const TASK_ARN = `arn:aws:ecs:us-east-1:123456789012:task/apps/${TASK_ID}`;
const DEFINITION = "arn:aws:ecs:us-east-1:123456789012:task-definition/time:1";
const ADDRESS = "10.1.0.7";

function event(version: number, stopping: boolean): unknown {
  return {
    version: "0",
    id: `e-${version}`,
    "detail-type": "ECS Task State Change",
    source: "aws.ecs",
    detail: {
      clusterArn: CLUSTER,
      taskArn: TASK_ARN,
      taskDefinitionArn: DEFINITION,
      version,
      lastStatus: stopping ? "STOPPED" : "RUNNING",
      desiredStatus: stopping ? "STOPPED" : "RUNNING",
      launchType: "FARGATE",
      attachments: [{ type: "eni", details: [{ name: "privateIPv4Address", value: ADDRESS }] }],
      containers: [{ name: "time", lastStatus: stopping ? "STOPPED" : "RUNNING" }],
    },
  };
}

describe("registrar: a stop removes the task's sets written before deployments had names", () => {
  let zone: LocalZone;
  let version = 3;
  let stopped = false;
  const tasks: TaskSource = {
    async describeTask(): Promise<DescribedTask> {
      const task = { taskDefinitionArn: DEFINITION, containerOverrides: [], eniAddress: ADDRESS };
      return stopped
        ? { ...task, version, lastStatus: "STOPPED", desiredStatus: "STOPPED" }
        : { ...task, version, lastStatus: "RUNNING", desiredStatus: "RUNNING" };
    },
    taskDefinition: async () => ({
      family: "time",
      networkMode: "awsvpc",
      containerDefinitions: [
        { name: "time", environment: [{ name: "SERVICE_8080_NAME", value: "_time._tcp" }] },
      ],
    }),
  };

  before(async () => {
    zone = await startLocalZone();
  });
  after(async () => {
    await zone.close();
  });

  it("leaves neither the marked nor the unattributed sets behind", async () => {
    const route53 = route53Client({ endpoint: zone.apiUrl });
    const calls = new AwsCall();
    const registrar = (deployment?: string) => {
      const taskZone = new Route53TaskZone(route53, async () => zone.hostedZoneId, calls.call, deployment);
      const settings = {
        zone: zone.zoneName,
        srvTtl: 10,
        routing: "multivalue" as const,
        clusters: [CLUSTER],
        ...(deployment !== undefined && { deployment }),
      };
      return (e: unknown) => applyTaskEvent(e, { tasks, zone: taskZone }, settings);
    };
    const ours = async () =>
      (await listZoneRecordSets(route53, zone.hostedZoneId))
        .map((rs) => parseSetIdentifier(rs.SetIdentifier))
        .filter((id) => id !== undefined)
        .map((id) => id?.deployment ?? "unattributed");

    // Before the upgrade: registered unattributed. After it: registered again, marked.
    assert.equal((await registrar()(event(version, false))).outcome, "registered");
    version = 4;
    assert.equal((await registrar("apps")(event(version, false))).outcome, "registered");
    assert.deepEqual((await ours()).sort(), ["apps", "apps", "unattributed", "unattributed"]);

    stopped = true;
    version = 5;
    const stop = await registrar("apps")(event(version, true));
    assert.equal(stop.outcome, "deregistered");
    assert.equal(stop.records, 4);
    assert.deepEqual(await ours(), []);
    route53.destroy();
  });
});
