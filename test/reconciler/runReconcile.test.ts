// The core over in-memory ports: the order it reads in, what a dry run and the safety valve hold back, what it
// asks the health checker, and the summary's shape (a public interface: the Lambda's result, the CLI's output).
import assert from "node:assert/strict";
import pino from "pino";
import { reconcilerConfig } from "../../reconciler";
import type { HealthCheckOptions, HealthResult, HealthTarget } from "../../reconciler/healthChecker";
import type { Inventory, InventorySnapshot } from "../../reconciler/inventory";
import { type ReconcilePorts, runReconcile } from "../../reconciler/reconcile";
import { availabilityZoneRecordSet, recordSetKey } from "../../records";
import { srvRecord } from "./support/ecsWorld";
import { MemoryZone, RecordingStopper } from "./support/memoryPorts";
import { hostA } from "./support/zoneFixtures";

const silent = pino({ level: "silent" });
const H1 = "i-0aaaaaaaaaaaaaaa1";
const H2 = "i-0aaaaaaaaaaaaaaa2";

describe("runReconcile over in-memory ports", () => {
  const a1 = hostA(H1, "127.0.0.1");
  const a2 = hostA(H2, "127.0.0.2");
  const t1 = srvRecord({ hostId: H1, container: 1, hostPort: 8001, taskId: "t1" });
  const onDead = srvRecord({ hostId: H2, container: 2, hostPort: 8002, taskId: "t2" });
  const snapshot: InventorySnapshot = {
    hosts: new Set([H1]),
    tasks: new Map([["t1", { taskId: "t1", taskArn: "arn:task/web/t1", cluster: "web", hostId: H1 }]]),
    counts: { clusters: 1, tasks: 1 },
  };

  function ports(zone: MemoryZone, overrides: Partial<ReconcilePorts> = {}) {
    const reads: string[] = [];
    const checked: { targets: readonly HealthTarget[]; options: HealthCheckOptions }[] = [];
    const listRecordSets = zone.listRecordSets.bind(zone);
    zone.listRecordSets = () => {
      reads.push("zone");
      return listRecordSets();
    };
    const inventory: Inventory = {
      kind: "ecs",
      snapshot: async () => {
        reads.push("inventory");
        return snapshot;
      },
    };
    const p: ReconcilePorts = {
      zone,
      inventory,
      healthChecker: async (targets, options) => {
        checked.push({ targets, options });
        return new Map<string, HealthResult>();
      },
      apiCalls: { total: 3, retries: 0, byOperation: { ListResourceRecordSets: 3 } },
      logger: silent,
      ...overrides,
    };
    return { p, reads, checked };
  }

  it("reads the zone before the inventory, deletes what is stale and reports it", async () => {
    const zone = new MemoryZone([a1, t1, a2, onDead]);
    const { p, reads } = ports(zone);
    const summary = await runReconcile(p, reconcilerConfig({ checkHealth: false }));
    assert.deepEqual(reads, ["zone", "inventory"]);
    assert.deepEqual([...zone.sets.keys()].sort(), [recordSetKey(a1), recordSetKey(t1)].sort());
    assert.deepEqual(summary.deleted.byReason, {
      "host-gone": 2,
      "task-gone": 0,
      "container-gone": 0,
      unhealthy: 0,
      "not-owned": 0,
      forged: 0,
    });
    assert.deepEqual(summary.inventory, { kind: "ecs", clusters: 1, tasks: 1 });
    assert.equal(summary.zone.id, "Z1");
  });

  it("keeps the summary's shape, key for key", async () => {
    const summary = await runReconcile(
      ports(new MemoryZone([a1, t1])).p,
      reconcilerConfig({ checkHealth: false }),
    );
    assert.deepEqual(Object.keys(summary), [
      "zone",
      "inventory",
      "dryRun",
      "records",
      "planned",
      "deleted",
      "health",
      "tasksStopped",
      "tasksStopFailed",
      "safetyValve",
      "apiCalls",
      "durationMs",
    ]);
    assert.deepEqual(Object.keys(summary.records), [
      "seen",
      "ours",
      "instances",
      "hosts",
      "tasks",
      "unverified",
      "unattributed",
      "foreign",
    ]);
    assert.deepEqual(Object.keys(summary.deleted), [
      "total",
      "vanished",
      "keptAfterChange",
      "failed",
      "byReason",
    ]);
    assert.deepEqual(Object.keys(summary.health), [
      "enabled",
      "checked",
      "healthy",
      "failed",
      "skipped",
      "failures",
      "verdicts",
      "agentChecked",
    ]);
    assert.deepEqual(Object.keys(summary.safetyValve), ["tripped", "share", "maxShare"]);
    assert.deepEqual(summary.apiCalls, { total: 3, retries: 0, byOperation: { ListResourceRecordSets: 3 } });
  });

  it("counts a host once, its AZ set beside its A set among our sets", async () => {
    const az = availabilityZoneRecordSet(a1, "use1-az4");
    assert.ok("recordSet" in az);
    const summary = await runReconcile(
      ports(new MemoryZone([a1, az.recordSet, t1])).p,
      reconcilerConfig({ checkHealth: false }),
    );
    assert.equal(summary.records.hosts, 1);
    assert.equal(summary.records.instances, 1);
    assert.equal(summary.records.ours, 3);
    assert.equal(summary.deleted.total, 0);
  });

  it("a dry run plans and deletes nothing", async () => {
    const zone = new MemoryZone([a1, t1, a2, onDead]);
    const summary = await runReconcile(ports(zone).p, reconcilerConfig({ checkHealth: false, dryRun: true }));
    assert.equal(summary.planned.total, 2);
    assert.equal(summary.deleted.total, 0);
    assert.deepEqual(zone.deleteRequests, []);
  });

  it("a tripped safety valve deletes nothing and says why", async () => {
    const zone = new MemoryZone([a1, t1, a2, onDead]);
    const summary = await runReconcile(
      ports(zone).p,
      reconcilerConfig({ checkHealth: false, maxDeleteShare: 0.2 }),
    );
    assert.equal(summary.safetyValve.tripped, true);
    assert.match(summary.safetyValve.reason ?? "", /would delete 2 of our 4 record sets/);
    assert.deepEqual(zone.deleteRequests, []);
  });

  it("asks the health checker about the survivors only, stopping 5 s short of the deadline", async () => {
    const zone = new MemoryZone([a1, t1, a2, onDead]);
    const deadline = Date.now() + 60_000;
    const { p, checked } = ports(zone, { deadline, stopper: new RecordingStopper() });
    const summary = await runReconcile(p, reconcilerConfig({ checkHealth: true }));
    assert.equal(checked.length, 1);
    assert.deepEqual(checked[0]?.targets, [{ address: "127.0.0.1", port: 8001 }]);
    assert.equal(checked[0]?.options.deadline, deadline - 5_000);
    assert.equal(summary.health.enabled, true);
  });

  it("asks nothing when health checks are off", async () => {
    const { p, checked } = ports(new MemoryZone([a1, t1]));
    const summary = await runReconcile(p, reconcilerConfig({ checkHealth: false }));
    assert.deepEqual(checked, []);
    assert.equal(summary.health.enabled, false);
  });
});
