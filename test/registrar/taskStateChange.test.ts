// Reading ECS Task State Change events: AWS's shape in, what the registrar needs out, and a specific error
// naming the field for anything else.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { isStopping, parseTaskStateChange, TaskEventError } from "../../registrar/taskStateChange";

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", name), "utf8"));

function withDetail(patch: Record<string, unknown>): Record<string, unknown> {
  const event = fixture("fargate-running.json");
  return { ...event, detail: { ...(event.detail as object), ...patch } };
}

function fieldAtFault(event: unknown): string {
  try {
    parseTaskStateChange(event);
  } catch (err) {
    assert.ok(err instanceof TaskEventError, String(err));
    return err.field;
  }
  return assert.fail("expected a TaskEventError");
}

describe("parseTaskStateChange", () => {
  it("reads a Fargate task's RUNNING event as AWS documents it", () => {
    const change = parseTaskStateChange(fixture("fargate-running.json"));
    assert.deepEqual(change, {
      eventId: "3317b2af-7005-947d-b652-f55e762e571a",
      clusterArn: "arn:aws:ecs:us-east-1:111122223333:cluster/ecssd-cluster",
      taskArn: "arn:aws:ecs:us-east-1:111122223333:task/ecssd-cluster/8f1f4bbd5c3e4a6e9c0b7a2d3e4f5a6b",
      taskId: "8f1f4bbd5c3e4a6e9c0b7a2d3e4f5a6b",
      taskDefinitionArn: "arn:aws:ecs:us-east-1:111122223333:task-definition/ecssd-time-fargate:3",
      family: "ecssd-time-fargate",
      version: 3,
      lastStatus: "RUNNING",
      desiredStatus: "RUNNING",
      launchType: "FARGATE",
      eniAddress: "10.0.1.23",
      availabilityZone: "us-east-1b",
      containers: [{ name: "time", lastStatus: "RUNNING" }],
      containerOverrides: [{ name: "time", environment: new Map() }],
    });
    assert.equal(isStopping(change), false);
  });

  it("reads environment overrides and container health", () => {
    const change = parseTaskStateChange(
      withDetail({
        healthStatus: "HEALTHY",
        containers: [{ name: "time", lastStatus: "RUNNING", healthStatus: "HEALTHY" }],
        overrides: {
          containerOverrides: [{ name: "time", environment: [{ name: "SERVICE_8080_WEIGHT", value: "5" }] }],
        },
      }),
    );
    assert.equal(change.healthStatus, "HEALTHY");
    assert.deepEqual(change.containers, [{ name: "time", lastStatus: "RUNNING", healthStatus: "HEALTHY" }]);
    assert.deepEqual(change.containerOverrides[0]?.environment, new Map([["SERVICE_8080_WEIGHT", "5"]]));
  });

  it("has no address before the ENI is attached, and none for a task without one (bridge or host mode)", () => {
    assert.equal(parseTaskStateChange(withDetail({ attachments: [] })).eniAddress, undefined);
    const { attachments: _, ...bridge } = fixture("fargate-running.json").detail as Record<string, unknown>;
    assert.equal(
      parseTaskStateChange({ ...fixture("fargate-running.json"), detail: bridge }).eniAddress,
      undefined,
    );
  });

  it("tells a stopping task by its desired status, before it has stopped", () => {
    assert.equal(isStopping(parseTaskStateChange(withDetail({ desiredStatus: "STOPPED" }))), true);
    assert.equal(
      isStopping(parseTaskStateChange(withDetail({ lastStatus: "STOPPED", desiredStatus: "STOPPED" }))),
      true,
    );
    assert.equal(isStopping(parseTaskStateChange(withDetail({ lastStatus: "PENDING" }))), false);
  });

  it("names the field at fault for anything else", () => {
    const cases: [unknown, string][] = [
      ["not an event", "event"],
      [
        { ...fixture("fargate-running.json"), "detail-type": "ECS Container Instance State Change" },
        "detail-type",
      ],
      [{ ...fixture("fargate-running.json"), detail: "x" }, "event.detail"],
      [withDetail({ version: "3" }), "detail.version"],
      [withDetail({ version: -1 }), "detail.version"],
      [withDetail({ taskArn: "arn:aws:ecs:us-east-1:111122223333:task/../x y" }), "detail.taskArn"],
      [withDetail({ clusterArn: undefined }), "detail.clusterArn"],
      [withDetail({ taskDefinitionArn: "ecssd-time-fargate" }), "detail.taskDefinitionArn"],
      [withDetail({ lastStatus: "SLEEPING" }), "detail.lastStatus"],
      [withDetail({ containers: [{ lastStatus: "RUNNING" }] }), "detail.containers[0].name"],
      [
        withDetail({
          attachments: [{ type: "eni", details: [{ name: "privateIPv4Address", value: "10.0.1.300" }] }],
        }),
        "detail.attachments[0].details.privateIPv4Address",
      ],
      [
        withDetail({ overrides: { containerOverrides: [{ name: "time", environment: [{ name: "A" }] }] } }),
        "detail.overrides.containerOverrides[0].environment[0]",
      ],
    ];
    for (const [event, field] of cases)
      assert.equal(fieldAtFault(event), field, JSON.stringify(event).slice(0, 120));
  });

  it("keeps error messages short whatever the input's size", () => {
    const err = (() => {
      try {
        parseTaskStateChange(withDetail({ lastStatus: "X".repeat(100_000) }));
      } catch (e) {
        return e as Error;
      }
      return assert.fail("expected an error");
    })();
    assert.ok(err.message.length < 200, `${err.message.length} characters`);
  });
});
