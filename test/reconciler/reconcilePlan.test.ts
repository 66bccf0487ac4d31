// The reconciler's plan as tables: which records are ours, which the inventory proves stale, which fail
// their health checks, which host records nothing uses any more, which tasks to stop, and when the safety
// valve holds everything back. Pure: no zone, no ECS, no HTTP.
import assert from "node:assert/strict";
import type { HealthResult } from "../../reconciler/healthChecker";
import type { InventorySnapshot, LiveTask, PublishedPorts } from "../../reconciler/inventory";
import {
  healthTargets,
  type PlanSettings,
  planReconcile,
  planStale,
  staleInstances,
  unusedHostRecords,
  viewZone,
} from "../../reconciler/reconcilePlan";
import {
  availabilityZoneRecordSet,
  parseServiceDeclarations,
  type RecordSet,
  recordSetKey,
  taskAddressRecordSet,
  taskInstanceRecordSet,
  type ZoneRecordSet,
} from "../../records";
import { containerIdFor, srvRecord } from "./support/ecsWorld";
import { foreignSets, hostA, ZONE } from "./support/zoneFixtures";

/** Foreign sets as the zone lists them: types and identifiers we never write, read through our record model. */
const listed = (sets: readonly object[]) => sets as ZoneRecordSet[];

const H1 = "i-0aaaaaaaaaaaaaaa1";
const H2 = "i-0aaaaaaaaaaaaaaa2";

function ecsSnapshot(hosts: string[], tasks: LiveTask[]): InventorySnapshot {
  return { hosts: new Set(hosts), tasks: new Map(tasks.map((t) => [t.taskId, t])), counts: {} };
}
/** What ECS says containers publish: [container number, container port 8080/tcp's host port]. */
function publishing(...list: [number, number][]): Map<string, PublishedPorts> {
  return new Map(
    list.map(([container, hostPort]) => [
      containerIdFor(container),
      { bindings: new Map([["8080/tcp", new Set([hostPort])]]), ranges: [], hostNetwork: false },
    ]),
  );
}
const task = (taskId: string, extra: Partial<LiveTask> = {}): LiveTask => ({
  taskId,
  taskArn: `arn:aws:ecs:us-east-1:123456789012:task/web/${taskId}`,
  cluster: "web",
  ...extra,
});

describe("reconciler judgement of record sets", () => {
  it("counts as ours only our SetIdentifiers on the types we write, under the names we write", () => {
    const misnamedHost: RecordSet = { ...hostA(H1), Name: `elsewhere.${ZONE}` };
    const view = viewZone(
      [
        srvRecord({ hostId: H1, container: 1, hostPort: 1 }),
        hostA(H1),
        misnamedHost,
        ...listed(foreignSets()),
      ],
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
    set: RecordSet;
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
    const [theirs] = listed([
      { Name: `_x._tcp.${ZONE}`, Type: "SRV", TTL: 5, ResourceRecords: [{ Value: `0 0 1 ${H1}.${ZONE}.` }] },
    ]);
    const view = viewZone([hostA(H1), hostA(H2), ours, theirs as ZoneRecordSet], ZONE);
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

describe("reconciler backstop for the registrar's awsvpc task records", () => {
  const service = parseServiceDeclarations(["SERVICE_8080_NAME=_time._tcp"], {}).services[0]!;
  const built = (taskId: string) => {
    const a = taskAddressRecordSet({ zone: ZONE, taskId, address: "10.0.1.23" });
    const srv = taskInstanceRecordSet({ zone: ZONE, taskId, service });
    if ("problems" in a || "problems" in srv) throw new Error("bad fixture");
    return [a.recordSet, srv.recordSet];
  };
  const live = "0123456789abcdef0123456789abcdef";
  const gone = "fedcba9876543210fedcba9876543210";

  it("deletes the A and SRV record of a task ECS no longer runs (a missed stop event), and keeps a live one's", () => {
    const sets = [...built(live), ...built(gone), hostA(H1)];
    const plan = planStale(sets, ecsSnapshot([H1], [task(live)]), ZONE);
    assert.equal(plan.view.taskRecords.length, 4);
    assert.deepEqual(
      plan.stale.map((d) => [d.set.Type, d.set.SetIdentifier, d.reason]),
      [
        ["A", `ecssd1task:${gone}`, "task-gone"],
        ["SRV", `ecssd1task:${gone}:8080`, "task-gone"],
      ],
    );
    assert.equal(plan.toCheck.length, 0, "the registrar's instances are not health-checked here");
  });

  it("deletes a gone task's AZ set with its A record, never judges it forged, and keeps a live one's", () => {
    const withAz = (taskId: string) => {
      const [a, srv] = built(taskId) as [RecordSet, RecordSet];
      const az = availabilityZoneRecordSet(a, "use1-az4");
      if ("problems" in az) throw new Error("bad fixture");
      return [a, az.recordSet, srv];
    };
    const sets = [...withAz(live), ...withAz(gone)];
    const running = task(live, { eniAddress: "10.0.1.23" });
    const plan = planStale(sets, ecsSnapshot([H1], [running]), ZONE);
    assert.equal(plan.view.taskRecords.length, 6);
    assert.deepEqual(
      plan.stale.map((d) => [d.set.Type, d.set.SetIdentifier, d.reason]),
      [
        ["A", `ecssd1task:${gone}`, "task-gone"],
        ["TXT", `ecssd1task:${gone}`, "task-gone"],
        ["SRV", `ecssd1task:${gone}:8080`, "task-gone"],
      ],
    );
  });

  it("keeps task records when the inventory has no notion of tasks (Docker)", () => {
    const plan = planStale(built(gone), { hosts: new Set([H1]), containers: new Set(), counts: {} }, ZONE);
    assert.deepEqual(plan.stale, []);
  });
});

describe("reconciler backstop for service ownership (ECSSD_SERVICE_OWNERS)", () => {
  const owners = new Map([["_calc._tcp", new Set(["calc"])]]);
  const mine = srvRecord({ hostId: H1, container: 1, hostPort: 8001, taskId: "t-calc" });
  const theirs = srvRecord({ hostId: H1, container: 2, hostPort: 8002, taskId: "t-evil" });
  const noTask = srvRecord({ hostId: H1, container: 3, hostPort: 8003 });
  const elsewhere = srvRecord({
    hostId: H1,
    container: 4,
    hostPort: 8004,
    taskId: "t-evil",
    service: "_other._tcp",
  });
  const snapshot = ecsSnapshot(
    [H1],
    [task("t-calc", { hostId: H1, family: "calc" }), task("t-evil", { hostId: H1, family: "evil" })],
  );

  it("deletes a listed name's records whose task family may not offer it, and nothing else", () => {
    const plan = planStale([hostA(H1), mine, theirs, noTask, elsewhere], snapshot, ZONE, owners);
    assert.deepEqual(
      plan.stale.map((d) => [d.key, d.reason]),
      [
        [recordSetKey(theirs), "not-owned"],
        [recordSetKey(noTask), "not-owned"],
      ],
    );
    assert.ok(
      !plan.survivors.some((r) => r.key === recordSetKey(theirs)),
      "a violator is not health-checked",
    );
  });

  it("judges nothing without owners, or without a task inventory (Docker)", () => {
    assert.deepEqual(planStale([hostA(H1), theirs], snapshot, ZONE).stale, []);
    const docker: InventorySnapshot = {
      hosts: new Set([H1]),
      containers: new Set([containerIdFor(2)]),
      counts: {},
    };
    assert.deepEqual(planStale([hostA(H1), theirs], docker, ZONE, owners).stale, []);
  });
});

describe("reconciler plan: zone + inventory + health checks in, deletions and stops with reasons out", () => {
  // One live host H1 (127.0.0.1) running t1 (port 8001) and t2 (port 8002); a dead host H2 with one instance.
  const a1 = hostA(H1, "127.0.0.1");
  const a2 = hostA(H2, "127.0.0.2");
  const t1 = srvRecord({ hostId: H1, container: 1, hostPort: 8001, taskId: "t1" });
  const t2 = srvRecord({ hostId: H1, container: 2, hostPort: 8002, taskId: "t2" });
  const onDead = srvRecord({ hostId: H2, container: 3, hostPort: 8003, taskId: "t3" });
  const noTask = srvRecord({ hostId: H1, container: 4, hostPort: 8004 });
  const azOf = (a: RecordSet, azId: string): RecordSet => {
    const built = availabilityZoneRecordSet(a, azId);
    if ("problems" in built) throw new Error("bad fixture");
    return built.recordSet;
  };
  const az1 = azOf(a1, "use1-az1");
  const az2 = azOf(a2, "use1-az2");
  const live: InventorySnapshot = {
    ...ecsSnapshot([H1], [task("t1", { hostId: H1 }), task("t2", { hostId: H1 })]),
    published: publishing([1, 8001], [2, 8002]),
  };
  const result = (verdict: HealthResult["verdict"], port: number): HealthResult => ({
    verdict,
    url: `http://127.0.0.1:${port}/health`,
    attempts: verdict === "skipped" ? 0 : 3,
    detail: verdict === "healthy" ? "HTTP 200" : verdict === "skipped" ? "out of time" : "HTTP 500",
  });
  const settings: PlanSettings = { zoneName: ZONE, maxDeleteShare: 1, stopUnhealthyTasks: false };

  const cases: {
    name: string;
    zone: ZoneRecordSet[];
    snapshot: InventorySnapshot;
    /** Health results by endpoint; undefined when checks are off. */
    health?: Record<string, HealthResult>;
    settings?: Partial<PlanSettings>;
    deletes: [RecordSet, string][];
    stops?: string[];
    tripped?: boolean;
  }[] = [
    {
      name: "an empty zone plans nothing",
      zone: [],
      snapshot: live,
      deletes: [],
    },
    {
      name: "a zone that matches the inventory plans nothing, foreign sets included",
      zone: [a1, t1, t2, ...listed(foreignSets())],
      snapshot: live,
      deletes: [],
    },
    {
      name: "a dead host loses its instances, then its A record, SRV first",
      zone: [a2, onDead, a1, t1],
      snapshot: live,
      deletes: [
        [onDead, "host-gone"],
        [a2, "host-gone"],
      ],
    },
    {
      name: "a dead host's AZ set goes with its A record, after its instances; a live host keeps both",
      zone: [a2, az2, onDead, a1, az1, t1],
      snapshot: live,
      deletes: [
        [onDead, "host-gone"],
        [a2, "host-gone"],
        [az2, "host-gone"],
      ],
    },
    {
      name: "a dead host's AZ set stays while its A record does: an SRV set still points at it",
      zone: [a2, az2, { ...onDead, SetIdentifier: "not ours" }],
      snapshot: live,
      deletes: [],
    },
    {
      name: "a dead host's AZ set goes even when its A record is gone already",
      zone: [az2, a1, t1],
      snapshot: live,
      deletes: [[az2, "host-gone"]],
    },
    {
      name: "a stopped task loses its record, its host keeps its A record",
      zone: [a1, t1, t2],
      snapshot: ecsSnapshot([H1], [task("t1", { hostId: H1 })]),
      deletes: [[t2, "task-gone"]],
    },
    {
      name: "an instance that fails its health check goes as unhealthy; the healthy one and the skipped one stay",
      zone: [a1, t1, t2, noTask],
      snapshot: live,
      health: {
        "127.0.0.1:8001": result("unhealthy", 8001),
        "127.0.0.1:8002": result("healthy", 8002),
        "127.0.0.1:8004": result("skipped", 8004),
      },
      deletes: [[t1, "unhealthy"]],
    },
    {
      name: "an instance whose host has no A record is not checked, so never unhealthy",
      zone: [t1],
      snapshot: live,
      health: {},
      deletes: [],
    },
    {
      name: "an unhealthy instance's task is stopped when configured",
      zone: [a1, t1, t2],
      snapshot: live,
      health: { "127.0.0.1:8001": result("unhealthy", 8001), "127.0.0.1:8002": result("healthy", 8002) },
      settings: { stopUnhealthyTasks: true },
      deletes: [[t1, "unhealthy"]],
      stops: ["t1"],
    },
    {
      name: "a container outside any task is deleted when unhealthy, but there is no task to stop",
      zone: [a1, noTask],
      snapshot: live,
      health: { "127.0.0.1:8004": result("unhealthy", 8004) },
      settings: { stopUnhealthyTasks: true },
      deletes: [[noTask, "unhealthy"]],
      stops: [],
    },
    {
      name: "stale instances (in the zone's order), then unhealthy ones, then host records",
      zone: [a2, t1, onDead, a1, t2],
      snapshot: ecsSnapshot([H1], [task("t1", { hostId: H1 })]),
      health: { "127.0.0.1:8001": result("unhealthy", 8001) },
      deletes: [
        [onDead, "host-gone"],
        [t2, "task-gone"],
        [t1, "unhealthy"],
        [a2, "host-gone"],
      ],
    },
    {
      name: "the safety valve trips above the allowed share, and still says what it would delete",
      zone: [a2, onDead, a1, t1],
      snapshot: live,
      settings: { maxDeleteShare: 0.4 },
      deletes: [
        [onDead, "host-gone"],
        [a2, "host-gone"],
      ],
      tripped: true,
    },
    {
      name: "the safety valve holds at exactly the allowed share",
      zone: [a2, onDead, a1, t1],
      snapshot: live,
      settings: { maxDeleteShare: 0.5 },
      deletes: [
        [onDead, "host-gone"],
        [a2, "host-gone"],
      ],
      tripped: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const stale = planStale(c.zone, c.snapshot, ZONE);
      const health = c.health && new Map(Object.entries(c.health));
      const plan = planReconcile(stale, c.snapshot, health, { ...settings, ...c.settings });
      assert.deepEqual(
        plan.deletes.map((d) => [d.key, d.reason]),
        c.deletes.map(([set, reason]) => [recordSetKey(set), reason]),
      );
      assert.deepEqual(
        plan.stops.map((s) => s.task.taskId),
        c.stops ?? [],
      );
      assert.equal(plan.safetyValve.tripped, c.tripped ?? false);
    });
  }

  describe("a record set forged with a victim's SetIdentifier", () => {
    const evil = `evil.${ZONE}`;
    const evilA = {
      Name: evil,
      Type: "A",
      TTL: 60,
      SetIdentifier: "",
      ResourceRecords: [{ Value: "203.0.113.9" }],
    } as RecordSet;
    // t1's identity (host H1, task t1), but its SRV value points at the forger's name.
    const forged: RecordSet = {
      ...t1,
      ResourceRecords: [{ Value: `1 1 8001 ${evil}` }],
    };

    it("is never checked at the forger's address, nor the cause of a StopTask", () => {
      const stale = planStale([a1, evilA, forged], live, ZONE);
      assert.deepEqual(stale.toCheck, []);
      assert.equal(stale.unverified.length, 1);
      const { targets } = healthTargets(stale.toCheck, stale.view.addresses);
      assert.equal(targets.size, 0);
      const plan = planReconcile(stale, live, new Map([["203.0.113.9:8001", result("unhealthy", 8001)]]), {
        ...settings,
        stopUnhealthyTasks: true,
      });
      assert.deepEqual([plan.deletes, plan.stops, plan.unverifiedCount], [[], [], 1]);
    });

    it("an A record beside our host's, written by someone else, is never an address we check", () => {
      const shadow = { ...evilA, Name: `${H1.toLowerCase()}.${ZONE}` } as RecordSet;
      const stale = planStale([shadow, t1], live, ZONE);
      assert.equal(stale.view.addresses.size, 0, "only our hosts' own A records are believed");
      assert.equal(healthTargets(stale.toCheck, stale.view.addresses).targets.size, 0);
    });

    it("stops a task only when ECS runs it on the host whose endpoint was checked", () => {
      const elsewhere = ecsSnapshot([H1, H2], [task("t1", { hostId: H2 }), task("t2", { hostId: H1 })]);
      const stale = planStale([a1, t1], ecsSnapshot([H1, H2], [task("t1"), task("t2")]), ZONE);
      const plan = planReconcile(stale, elsewhere, new Map([["127.0.0.1:8001", result("unhealthy", 8001)]]), {
        ...settings,
        stopUnhealthyTasks: true,
      });
      assert.deepEqual(plan.stops, []);
    });
  });

  it("reports the failing URL and detail, and gives a stopped task a reason people can read", () => {
    const stale = planStale([a1, t1], live, ZONE);
    const plan = planReconcile(stale, live, new Map([["127.0.0.1:8001", result("unhealthy", 8001)]]), {
      ...settings,
      stopUnhealthyTasks: true,
    });
    assert.deepEqual(plan.failures, [
      { record: recordSetKey(t1), url: "http://127.0.0.1:8001/health", detail: "HTTP 500" },
    ]);
    assert.equal(
      plan.stops[0]?.reason,
      "ecssd reconciler: health check http://127.0.0.1:8001/health failed 3 times (HTTP 500)",
    );
  });

  it("an unhealthy set goes only as it was checked; a stale one goes whatever changed", () => {
    const stale = planStale([a1, t1, t2], ecsSnapshot([H1], [task("t1", { hostId: H1 })]), ZONE);
    const plan = planReconcile(
      stale,
      live,
      new Map([["127.0.0.1:8001", result("unhealthy", 8001)]]),
      settings,
    );
    assert.deepEqual(
      plan.deletes.map((d) => [d.reason, d.onlyAsRead]),
      [
        ["task-gone", false],
        ["unhealthy", true],
      ],
    );
  });

  it("explains a tripped safety valve with the numbers and the setting to change", () => {
    const stale = planStale([a2, onDead, a1, t1], live, ZONE);
    const plan = planReconcile(stale, live, undefined, { ...settings, maxDeleteShare: 0.4 });
    assert.equal(plan.safetyValve.share, 0.5);
    assert.match(
      plan.safetyValve.reason ?? "",
      /^this run would delete 2 of our 4 record sets \(50%\), more than the allowed 40% \(ECSSD_MAX_DELETE_SHARE\); deleted nothing/,
    );
  });
});
