// The reconciler's judgement as a table: which records are ours, which the inventory proves stale, and
// which host records nothing uses any more.
import assert from "node:assert/strict";
import type { ResourceRecordSet } from "@aws-sdk/client-route-53";
import type { InventorySnapshot, LiveTask } from "../../reconciler/inventory";
import { staleInstances, unusedHostRecords, viewZone } from "../../reconciler/staleRecords";
import { recordSetKey } from "../../records";
import { containerIdFor, srvRecord } from "./support/ecsWorld";
import { foreignSets, hostA, ZONE } from "./support/zoneFixtures";

const H1 = "i-0aaaaaaaaaaaaaaa1";
const H2 = "i-0aaaaaaaaaaaaaaa2";

function ecsSnapshot(hosts: string[], tasks: LiveTask[]): InventorySnapshot {
  return { hosts: new Set(hosts), tasks: new Map(tasks.map((t) => [t.taskId, t])), counts: {} };
}
const task = (taskId: string, extra: Partial<LiveTask> = {}): LiveTask => ({
  taskId,
  taskArn: `arn:aws:ecs:us-east-1:123456789012:task/web/${taskId}`,
  cluster: "web",
  ...extra,
});

describe("reconciler judgement of record sets", () => {
  it("counts as ours only our SetIdentifiers on the types we write, under the names we write", () => {
    const misnamedHost: ResourceRecordSet = { ...hostA(H1), Name: `elsewhere.${ZONE}` };
    const view = viewZone(
      [srvRecord({ hostId: H1, container: 1, hostPort: 1 }), hostA(H1), misnamedHost, ...foreignSets()],
      ZONE,
    );
    assert.equal(view.instances.length, 1);
    assert.deepEqual(
      view.hosts.map((h) => h.hostId),
      [H1],
    );
    assert.equal(view.seen, 7);
  });

  const cases: {
    name: string;
    set: ResourceRecordSet;
    snapshot: InventorySnapshot;
    reason: string | undefined;
  }[] = [
    {
      name: "a task that runs on the record's host is kept",
      set: srvRecord({ hostId: H1, container: 1, hostPort: 1, taskId: "t1" }),
      snapshot: ecsSnapshot([H1], [task("t1", { hostId: H1 })]),
      reason: undefined,
    },
    {
      name: "a task that no longer runs goes",
      set: srvRecord({ hostId: H1, container: 1, hostPort: 1, taskId: "t1" }),
      snapshot: ecsSnapshot([H1], []),
      reason: "task-gone",
    },
    {
      name: "a host that is no longer an active container instance takes its records, task running or not",
      set: srvRecord({ hostId: H2, container: 1, hostPort: 1, taskId: "t1" }),
      snapshot: ecsSnapshot([H1], [task("t1")]),
      reason: "host-gone",
    },
    {
      name: "a task that runs on another host than the record says goes",
      set: srvRecord({ hostId: H1, container: 1, hostPort: 1, taskId: "t1" }),
      snapshot: ecsSnapshot([H1, H2], [task("t1", { hostId: H2 })]),
      reason: "container-gone",
    },
    {
      name: "a container the task no longer runs (restarted) goes",
      set: srvRecord({ hostId: H1, container: 1, hostPort: 1, taskId: "t1" }),
      snapshot: ecsSnapshot([H1], [task("t1", { hostId: H1, containerIds: [containerIdFor(2)] })]),
      reason: "container-gone",
    },
    {
      name: "a container the task still runs is kept",
      set: srvRecord({ hostId: H1, container: 1, hostPort: 1, taskId: "t1" }),
      snapshot: ecsSnapshot(
        [H1],
        [task("t1", { hostId: H1, containerIds: [containerIdFor(2), containerIdFor(1)] })],
      ),
      reason: undefined,
    },
    {
      name: "on ECS, a container outside any task lives as long as its host",
      set: srvRecord({ hostId: H1, container: 1, hostPort: 1 }),
      snapshot: ecsSnapshot([H1], []),
      reason: undefined,
    },
    {
      name: "on Docker, a record with a task id is judged by its container",
      set: srvRecord({ hostId: H1, container: 1, hostPort: 1, taskId: "t1" }),
      snapshot: { hosts: new Set([H1]), containers: new Set([containerIdFor(1)]), counts: {} },
      reason: undefined,
    },
    {
      name: "on Docker, a container that is not running goes",
      set: srvRecord({ hostId: H1, container: 1, hostPort: 1 }),
      snapshot: { hosts: new Set([H1]), containers: new Set([containerIdFor(3)]), counts: {} },
      reason: "container-gone",
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { stale, survivors } = staleInstances(viewZone([c.set], ZONE), c.snapshot);
      assert.equal(stale[0]?.reason, c.reason);
      assert.equal(survivors.length, c.reason === undefined ? 1 : 0);
    });
  }

  it("deletes a dead host's A record only when no SRV set left in the zone points at it", () => {
    const ours = srvRecord({ hostId: H2, container: 1, hostPort: 1, taskId: "t1" });
    const theirs: ResourceRecordSet = {
      Name: `_x._tcp.${ZONE}`,
      Type: "SRV",
      TTL: 5,
      ResourceRecords: [{ Value: `0 0 1 ${H1}.${ZONE}.` }],
    };
    const view = viewZone([hostA(H1), hostA(H2), ours, theirs], ZONE);
    const snapshot = ecsSnapshot([], []);
    // H2's own SRV set is being deleted in the same run; somebody else's SRV set still names H1.
    const unused = unusedHostRecords(view, snapshot, ZONE, new Set([recordSetKey(ours)]));
    assert.deepEqual(
      unused.map((u) => u.key),
      [recordSetKey(hostA(H2))],
    );
    // Were H2's SRV set to stay, its A record would stay with it.
    assert.deepEqual(unusedHostRecords(view, snapshot, ZONE, new Set()), []);
  });
});
