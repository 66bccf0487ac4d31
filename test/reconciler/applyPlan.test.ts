// applyPlan through in-memory ports: what it deletes, what it keeps after a change, which tasks it stops, and
// how a verdict's two requests (the marker, then the delete) leave every failure between them.
// The zone and the stopper are fakes of the core's own ports (support/memoryPorts.ts): no Route53, no ECS.
import assert from "node:assert/strict";
import pino from "pino";
import { applyPlan } from "../../reconciler/applyPlan";
import type { HealthResult } from "../../reconciler/healthChecker";
import type { InventorySnapshot, LiveTask } from "../../reconciler/inventory";
import { planReconcile, planStale } from "../../reconciler/reconcilePlan";
import { type RecordSet, recordSetKey, verdictMarker } from "../../records";
import { containerIdFor, srvRecord } from "./support/ecsWorld";
import { MemoryZone, RecordingStopper } from "./support/memoryPorts";
import { hostA, ZONE } from "./support/zoneFixtures";

const silent = pino({ level: "silent" });
const markers = (zone: MemoryZone) => [...zone.sets.values()].filter((s) => s.Type === "TXT");
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
    // The verdict marker alone first, then the stale set and the unhealthy one in one request of DELETEs.
    assert.deepEqual(zone.requests, [
      { action: "UPSERT", types: ["TXT"], sets: 1 },
      { action: "DELETE", types: ["SRV"], sets: 2 },
    ]);
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
    // The verdict was on the endpoint checked: its marker, written first, is taken back.
    assert.deepEqual(
      [...zone.sets.values()].filter((s) => s.Type === "TXT"),
      [],
    );
    assert.equal(outcome.verdicts.written, 0);
    assert.deepEqual(
      zone.requests.map((r) => `${r.action} ${r.types}`),
      ["UPSERT TXT", "DELETE SRV", "DELETE TXT"],
    );
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
    // The marker stays beside the instance: its agent takes the instance out at its next read of the zone, and
    // the next run deletes it or lifts the verdict (see "the run after").
    assert.ok(zone.sets.has(recordSetKey(t1)));
    assert.equal(markers(zone).length, 1);
    assert.equal(outcome.verdicts.written, 0);
  });

  it("deletes no instance whose verdict could not be written, and goes on with the rest", async () => {
    const planned = plan([a1, t1, t2, gone], [8001, 8002]);
    const t1Marker = planned.deletes.find((d) => d.key === recordSetKey(t1))?.marker as RecordSet;
    const zone = new MemoryZone([a1, t1, t2, gone], new Set(), new Set([recordSetKey(t1Marker)]));
    const stopper = new RecordingStopper();
    const outcome = await applyPlan(planned, { zone, stopper }, silent);
    // Out of DNS without its verdict, t1 would be written back by its agent: it stays, and so does its task.
    assert.ok(zone.sets.has(recordSetKey(t1)));
    assert.ok(!zone.sets.has(recordSetKey(t2)));
    assert.ok(!zone.sets.has(recordSetKey(gone)));
    assert.deepEqual(
      markers(zone).map((m) => m.SetIdentifier),
      [t2.SetIdentifier],
    );
    assert.deepEqual(
      stopper.stopped.map((s) => s.taskId),
      ["t2"],
    );
    assert.deepEqual(
      { failed: outcome.deleted.failed, total: outcome.deleted.total, written: outcome.verdicts.written },
      { failed: 1, total: 2, written: 1 },
    );
  });

  it("counts a verdict as written when its instance was gone before the delete (its agent saw the marker)", async () => {
    const zone = new MemoryZone([a1, t1]);
    const planned = plan([a1, t1], [8001]);
    zone.sets.delete(recordSetKey(t1));
    const outcome = await applyPlan(planned, { zone }, silent);
    assert.equal(outcome.deleted.vanished, 1);
    assert.equal(outcome.verdicts.written, 1);
    assert.equal(markers(zone).length, 1, "the verdict holds the instance out");
  });

  it("writes many verdicts in one TXT request and deletes everything in one more, lifts included", async () => {
    const failing = Array.from({ length: 40 }, (_, i) =>
      srvRecord({ hostId: H1, container: 100 + i, hostPort: 9000 + i }),
    );
    const recovered = srvRecord({ hostId: H1, container: 99, hostPort: 8999 });
    const heldMarker = verdictMarker(recovered, { port: 8999, since: new Date(0), detail: "HTTP 500" });
    const sets = [a1, t1, gone, ...failing, heldMarker];
    const inventory: InventorySnapshot = {
      ...snapshot,
      containers: new Set([99, ...failing.map((_, i) => 100 + i)].map(containerIdFor)),
    };
    const health = new Map<string, HealthResult>([
      ...failing.map((_, i) => [`127.0.0.1:${9000 + i}`, unhealthy(9000 + i)] as const),
      ["127.0.0.1:8999", { verdict: "healthy", url: "", attempts: 1, detail: "HTTP 200" }],
    ]);
    const planned = planReconcile(planStale(sets, inventory, ZONE), inventory, health, {
      zoneName: ZONE,
      maxDeleteShare: 1,
      stopUnhealthyTasks: false,
    });
    const zone = new MemoryZone(sets);
    const outcome = await applyPlan(planned, { zone }, silent);
    assert.deepEqual(zone.requests, [
      { action: "UPSERT", types: ["TXT"], sets: 40 },
      { action: "DELETE", types: ["SRV", "TXT"], sets: 42 },
    ]);
    assert.deepEqual(outcome.verdicts, { written: 40, lifted: 1, cleared: 0 });
    assert.equal(outcome.deleted.total, 41);
  });

  describe("the run after a verdict whose instance could not be deleted", () => {
    const t1Marker = verdictMarker(t1, { port: 8001, since: new Date(0), detail: "HTTP 500" });
    const healthy: HealthResult = { verdict: "healthy", url: "", attempts: 1, detail: "HTTP 200" };

    it("deletes the instance when it still fails, and keeps its verdict", async () => {
      const zone = new MemoryZone([a1, t1, t1Marker]);
      const planned = plan([a1, t1, t1Marker], [8001]);
      assert.deepEqual(planned.markerDeletes, [], "a failing instance's verdict is not lifted");
      const outcome = await applyPlan(planned, { zone }, silent);
      assert.ok(!zone.sets.has(recordSetKey(t1)));
      assert.equal(markers(zone).length, 1);
      assert.equal(outcome.verdicts.written, 1);
    });

    it("lifts the verdict when the instance passes, and leaves the instance in", async () => {
      const zone = new MemoryZone([a1, t1, t1Marker]);
      const planned = planReconcile(
        planStale([a1, t1, t1Marker], snapshot, ZONE),
        snapshot,
        new Map([["127.0.0.1:8001", healthy]]),
        { zoneName: ZONE, maxDeleteShare: 1, stopUnhealthyTasks: true },
      );
      const outcome = await applyPlan(planned, { zone }, silent);
      assert.ok(zone.sets.has(recordSetKey(t1)));
      assert.deepEqual(markers(zone), []);
      assert.equal(outcome.verdicts.lifted, 1);
    });

    it("lifts it when the instance in the zone passes at a port other than the verdict's", async () => {
      // The container was restarted onto another host port: the marker's port has nothing behind it.
      const stalePort = verdictMarker(t1, { port: 7001, since: new Date(0), detail: "ECONNREFUSED" });
      const planned = planReconcile(
        planStale([a1, t1, stalePort], snapshot, ZONE),
        snapshot,
        new Map([
          ["127.0.0.1:8001", healthy],
          ["127.0.0.1:7001", unhealthy(7001)],
        ]),
        { zoneName: ZONE, maxDeleteShare: 1, stopUnhealthyTasks: true },
      );
      assert.deepEqual(
        planned.markerDeletes.map((d) => d.reason),
        ["recovered"],
      );
      assert.deepEqual(planned.deletes, []);
    });
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
