// applyPlan through in-memory ports: what it deletes, what it keeps after a change, which tasks it stops.
// The zone and the stopper are fakes of the core's own ports (support/memoryPorts.ts): no Route53, no ECS.
import assert from "node:assert/strict";
import pino from "pino";
import { applyPlan } from "../../reconciler/applyPlan";
import type { HealthResult } from "../../reconciler/healthChecker";
import type { InventorySnapshot, LiveTask } from "../../reconciler/inventory";
import { planReconcile, planStale } from "../../reconciler/reconcilePlan";
import { type RecordSet, recordSetKey } from "../../records";
import { containerIdFor, srvRecord } from "./support/ecsWorld";
import { MemoryZone, RecordingStopper } from "./support/memoryPorts";
import { hostA, ZONE } from "./support/zoneFixtures";

const silent = pino({ level: "silent" });
const H1 = "i-0aaaaaaaaaaaaaaa1";

describe("applyPlan through the core's ports", () => {
  const a1 = hostA(H1, "127.0.0.1");
  const t1 = srvRecord({ hostId: H1, container: 1, hostPort: 8001, taskId: "t1" });
  const t2 = srvRecord({ hostId: H1, container: 2, hostPort: 8002, taskId: "t2" });
  const gone = srvRecord({ hostId: H1, container: 3, hostPort: 8003, taskId: "t3" });
  const task = (taskId: string): LiveTask => ({
    taskId,
    taskArn: `arn:task/web/${taskId}`,
    cluster: "web",
    hostId: H1,
  });
  const snapshot: InventorySnapshot = {
    hosts: new Set([H1]),
    tasks: new Map([task("t1"), task("t2")].map((t) => [t.taskId, t])),
    // ECS: each task's container publishes 8080/tcp on the host port its record says.
    published: new Map(
      [
        [1, 8001],
        [2, 8002],
      ].map(([n, port]) => [
        containerIdFor(n as number),
        { bindings: new Map([["8080/tcp", new Set([port as number])]]), ranges: [], hostNetwork: false },
      ]),
    ),
    counts: {},
  };
  const unhealthy = (port: number): HealthResult => ({
    verdict: "unhealthy",
    url: `http://127.0.0.1:${port}/health`,
    attempts: 3,
    detail: "HTTP 500",
  });
  const plan = (sets: RecordSet[], failing: number[]) =>
    planReconcile(
      planStale(sets, snapshot, ZONE),
      snapshot,
      new Map(failing.map((p) => [`127.0.0.1:${p}`, unhealthy(p)])),
      { zoneName: ZONE, maxDeleteShare: 1, stopUnhealthyTasks: true },
    );

  it("deletes every planned set, the unhealthy one with its verdict, counts them by reason, and stops the unhealthy task", async () => {
    const zone = new MemoryZone([a1, t1, t2, gone]);
    const stopper = new RecordingStopper();
    const outcome = await applyPlan(plan([a1, t1, t2, gone], [8001]), { zone, stopper }, silent);
    // The stale set in one request; the unhealthy one in another, with its verdict marker beside it.
    assert.deepEqual(zone.deleteRequests, [1, 1]);
    const marker = [...zone.sets.values()].find((s) => s.Type === "TXT");
    assert.equal(marker?.SetIdentifier, t1.SetIdentifier);
    assert.deepEqual(
      [...zone.sets.keys()].sort(),
      [recordSetKey(a1), recordSetKey(t2), recordSetKey(marker as RecordSet)].sort(),
    );
    assert.equal(outcome.verdicts.written, 1);
    assert.equal(outcome.deleted.total, 2);
    assert.equal(outcome.deleted.byReason["task-gone"], 1);
    assert.equal(outcome.deleted.byReason.unhealthy, 1);
    assert.deepEqual(
      stopper.stopped.map((s) => s.taskId),
      ["t1"],
    );
    assert.equal(outcome.tasksStopped, 1);
  });

  it("keeps an unhealthy set that changed since it was checked, and then leaves its task running", async () => {
    const zone = new MemoryZone([a1, t1, gone]);
    const moved: RecordSet = { ...t1, ResourceRecords: [{ Value: `1 1 9001 ${H1}.${ZONE}` }] };
    const planned = plan([a1, t1, gone], [8001]);
    zone.sets.set(recordSetKey(t1), moved);
    const stopper = new RecordingStopper();
    const outcome = await applyPlan(planned, { zone, stopper }, silent);
    assert.equal(outcome.deleted.keptAfterChange, 1);
    assert.equal(outcome.deleted.total, 1);
    assert.equal(zone.sets.get(recordSetKey(t1)), moved);
    assert.deepEqual(stopper.stopped, []);
    assert.equal(outcome.tasksStopped, 0);
  });

  it("still deletes a stale set that changed meanwhile: its task is gone whatever it says", async () => {
    const zone = new MemoryZone([a1, gone]);
    const planned = plan([a1, gone], []);
    zone.sets.set(recordSetKey(gone), { ...gone, TTL: 60 });
    const outcome = await applyPlan(planned, { zone }, silent);
    assert.equal(outcome.deleted.total, 1);
    assert.equal(outcome.deleted.byReason["task-gone"], 1);
  });

  it("does not stop a task whose failing record could not be deleted, and reports the failure", async () => {
    const zone = new MemoryZone([a1, t1], new Set([recordSetKey(t1)]));
    const stopper = new RecordingStopper();
    const outcome = await applyPlan(plan([a1, t1], [8001]), { zone, stopper }, silent);
    assert.equal(outcome.deleted.failed, 1);
    assert.equal(outcome.deleted.total, 0);
    assert.deepEqual(stopper.stopped, []);
  });

  it("counts a set someone else deleted first as vanished, not deleted", async () => {
    const zone = new MemoryZone([a1]);
    const outcome = await applyPlan(plan([a1, gone], []), { zone }, silent);
    assert.equal(outcome.deleted.vanished, 1);
    assert.equal(outcome.deleted.total, 0);
  });

  it("sends no request for an empty plan", async () => {
    const zone = new MemoryZone([a1, t1]);
    const outcome = await applyPlan(plan([a1, t1], []), { zone }, silent);
    assert.deepEqual(zone.deleteRequests, []);
    assert.equal(outcome.deleted.total, 0);
  });
});
