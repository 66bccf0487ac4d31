// One table: what each combination of event and described task does to the zone.
import assert from "node:assert/strict";
import { type DescribedTask, taskAction } from "../../registrar/taskAction";
import type { TaskStatus } from "../../registrar/taskStateChange";

const at = (version: number, lastStatus: TaskStatus, desiredStatus: TaskStatus, extra = {}) => ({
  version,
  lastStatus,
  desiredStatus,
  eniAddress: "10.0.1.23",
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

  it("registers at the address either view gives, with the newer version", () => {
    assert.deepEqual(
      taskAction(at(3, "RUNNING", "RUNNING"), at(4, "RUNNING", "RUNNING", { eniAddress: undefined }), false),
      {
        action: "register",
        address: "10.0.1.23",
        version: 4,
      },
    );
  });
});
