// One table: what each combination of event and described task does to the zone.
import assert from "node:assert/strict";
import { type DescribedTask, taskAction } from "../../registrar/taskAction";
import type { TaskStatus } from "../../registrar/taskStateChange";

const at = (version: number, lastStatus: TaskStatus, desiredStatus: TaskStatus, extra = {}) => ({
  version,
  lastStatus,
  desiredStatus,
  eniAddress: "10.0.1.23",
  taskDefinitionArn: "arn:aws:ecs:us-east-1:123456789012:task-definition/time:1",
  containerOverrides: [],
  ...extra,
});

describe("taskAction", () => {
  const cases: [string, ReturnType<typeof at>, DescribedTask, boolean, string][] = [
    [
      "RUNNING, described RUNNING",
      at(3, "RUNNING", "RUNNING"),
      at(3, "RUNNING", "RUNNING"),
      false,
      "register",
    ],
    ["PENDING", at(2, "PENDING", "RUNNING"), at(2, "PENDING", "RUNNING"), false, "none"],
    [
      "a stale RUNNING after the task was told to stop",
      at(3, "RUNNING", "RUNNING"),
      at(5, "RUNNING", "STOPPED"),
      false,
      "deregister",
    ],
    ["a stale RUNNING for a task ECS forgot", at(3, "RUNNING", "RUNNING"), "missing", false, "deregister"],
    [
      "desired STOPPED, still RUNNING",
      at(5, "RUNNING", "STOPPED"),
      at(5, "RUNNING", "STOPPED"),
      false,
      "deregister",
    ],
    [
      "an event newer than the description (describe lags)",
      at(6, "STOPPED", "STOPPED"),
      at(5, "RUNNING", "RUNNING"),
      false,
      "deregister",
    ],
    [
      "a RUNNING event newer than the description (describe lags): asks again later",
      at(4, "RUNNING", "RUNNING"),
      at(3, "PENDING", "RUNNING"),
      false,
      "retry",
    ],
    [
      "an event that says RUNNING for a task ECS describes as told to stop",
      at(9, "RUNNING", "RUNNING"),
      at(5, "RUNNING", "STOPPED"),
      false,
      "deregister",
    ],
    [
      "a HEALTHY event for a task ECS describes as not yet HEALTHY",
      at(4, "RUNNING", "RUNNING", { healthStatus: "HEALTHY" }),
      at(4, "RUNNING", "RUNNING", { healthStatus: "UNKNOWN" }),
      true,
      "none",
    ],
    [
      "health-checked, RUNNING, not yet HEALTHY",
      at(3, "RUNNING", "RUNNING", { healthStatus: "UNKNOWN" }),
      at(3, "RUNNING", "RUNNING", { healthStatus: "UNKNOWN" }),
      true,
      "none",
    ],
    [
      "health-checked, HEALTHY",
      at(4, "RUNNING", "RUNNING", { healthStatus: "HEALTHY" }),
      at(4, "RUNNING", "RUNNING", { healthStatus: "HEALTHY" }),
      true,
      "register",
    ],
    [
      "health-checked, UNHEALTHY",
      at(5, "RUNNING", "RUNNING", { healthStatus: "UNHEALTHY" }),
      at(5, "RUNNING", "RUNNING", { healthStatus: "UNHEALTHY" }),
      true,
      "deregister",
    ],
    [
      "RUNNING without an ENI address",
      at(3, "RUNNING", "RUNNING", { eniAddress: undefined }),
      at(3, "RUNNING", "RUNNING", { eniAddress: undefined }),
      false,
      "none",
    ],
  ];
  for (const [name, event, described, healthChecked, expected] of cases) {
    it(`${name}: ${expected}`, () => {
      assert.equal(taskAction(event, described, healthChecked).action, expected);
    });
  }

  it("registers at the address DescribeTasks gives, never the event's", () => {
    const event = at(9, "RUNNING", "RUNNING", { eniAddress: "203.0.113.9" });
    assert.deepEqual(taskAction(event, at(9, "RUNNING", "RUNNING"), false), {
      action: "register",
      address: "10.0.1.23",
      version: 9,
    });
    assert.deepEqual(taskAction(event, at(9, "RUNNING", "RUNNING", { eniAddress: undefined }), false), {
      action: "none",
      reason: "the task has no ENI address yet",
    });
  });
});
