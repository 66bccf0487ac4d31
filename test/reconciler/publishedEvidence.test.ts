// The reconciler believes the inventory, not the zone, before it acts on a task: a record set whose
// SetIdentifier ECS (or Docker) contradicts is deleted as forged and never checked; a task is stopped only for
// a port ECS says it publishes on that host; nothing is judged on evidence that is missing. Pure tables.
import assert from "node:assert/strict";
import type { HealthResult } from "../../reconciler/healthChecker";
import type { InventorySnapshot, LiveTask, PublishedPorts } from "../../reconciler/inventory";
import { instanceEvidence, protocolOf } from "../../reconciler/publishedEvidence";
import { type PlanSettings, planReconcile, planStale } from "../../reconciler/reconcilePlan";
import {
  agentCheckMarker,
  parseServiceDeclarations,
  parseSetIdentifier,
  type RecordSet,
  recordSetKey,
  taskAddressRecordSet,
  taskInstanceRecordSet,
} from "../../records";
import { containerIdFor, srvRecord } from "./support/ecsWorld";
import { hostA, ZONE } from "./support/zoneFixtures";

const H1 = "i-0aaaaaaaaaaaaaaa1";
const a1 = hostA(H1, "127.0.0.1");
const bindings = (
  entries: Record<string, number[]>,
  hostNetwork = false,
  ranges: PublishedPorts["ranges"] = [],
): PublishedPorts => ({
  bindings: new Map(Object.entries(entries).map(([k, v]) => [k, new Set(v)])),
  ranges,
  hostNetwork,
});
/** ECS's containerPortRange 8000-8099 bound to host ports 40000-40099. */
const range = [{ container: [8000, 8099], host: [40_000, 40_099], protocol: "tcp" }] as const;
const task = (taskId: string, extra: Partial<LiveTask> = {}): LiveTask => ({
  taskId,
  taskArn: `arn:aws:ecs:us-east-1:123456789012:task/web/${taskId}`,
  cluster: "web",
  hostId: H1,
  ...extra,
});
/** ECS: host H1 runs the victim's task, whose container 1 publishes 8080/tcp on host port 32768. */
const ecs = (extra: Partial<InventorySnapshot> = {}, victim: Partial<LiveTask> = {}): InventorySnapshot => ({
  hosts: new Set([H1]),
  tasks: new Map([["victim", task("victim", { family: "calc", ...victim })]]),
  published: new Map([[containerIdFor(1), bindings({ "8080/tcp": [32768] })]]),
  counts: {},
  ...extra,
});
const genuine = srvRecord({ hostId: H1, container: 1, hostPort: 32768, taskId: "victim" });
/** The victim's SetIdentifier copied under another name, at a port of the forger's choosing. */
const copy = (port: number, service = "_evil._tcp") =>
  srvRecord({ hostId: H1, container: 1, hostPort: port, taskId: "victim", service });
const failing = (port: number): [string, HealthResult] => [
  `127.0.0.1:${port}`,
  { verdict: "unhealthy", url: `http://127.0.0.1:${port}/health`, attempts: 3, detail: "ECONNREFUSED" },
];
const settings: PlanSettings = { zoneName: ZONE, maxDeleteShare: 1, stopUnhealthyTasks: true };

function plan(
  zone: RecordSet[],
  snapshot: InventorySnapshot,
  failingPorts: number[],
  owners?: Map<string, Set<string>>,
) {
  const stale = planStale(zone, snapshot, ZONE, owners);
  return { stale, plan: planReconcile(stale, snapshot, new Map(failingPorts.map(failing)), settings) };
}
const reasons = (p: { deletes: readonly { key: string; reason: string }[] }) =>
  p.deletes.map((d) => [d.key, d.reason]);

describe("reconciler: ECS's word, not the zone's, before it acts on a task", () => {
  it("deletes a copy of a victim's SetIdentifier at a closed port as forged: never checked, no task stopped", () => {
    const forged = copy(9);
    const { stale, plan: p } = plan([a1, genuine, forged], ecs(), [9]);
    assert.deepEqual(
      stale.toCheck.map((r) => r.key),
      [recordSetKey(genuine)],
      "the forged set is not checked",
    );
    assert.deepEqual(reasons(p), [[recordSetKey(forged), "forged"]]);
    assert.deepEqual(p.stops, []);
    assert.equal(
      p.deletes[0]?.onlyAsRead,
      true,
      "forged as read: a set that changed meanwhile is judged again",
    );
  });

  it("stops the task when the failing port is the one ECS says it publishes there", () => {
    const { plan: p } = plan([a1, genuine], ecs(), [32768]);
    assert.deepEqual(reasons(p), [[recordSetKey(genuine), "unhealthy"]]);
    assert.deepEqual(
      p.stops.map((s) => s.task.taskId),
      ["victim"],
    );
  });

  it("a copy at the right port under another name leaves it unclear whose check failed: no stop", () => {
    const { plan: p } = plan([a1, genuine, copy(32768)], ecs(), [32768]);
    assert.equal(p.deletes.length, 2, "both fail their check and leave DNS");
    assert.deepEqual(p.stops, []);
  });

  it("a port whose agent check is declared under any name is the agent's: no stop", () => {
    const marker = agentCheckMarker({ ...genuine, Name: `_other._tcp.${ZONE}` }, "http");
    const { plan: p } = plan([a1, genuine, marker], ecs(), [32768]);
    assert.deepEqual(p.stops, []);
  });

  it("without ECS's bindings of the container, an unhealthy record leaves DNS but stops nothing", () => {
    const { plan: p } = plan([a1, genuine], ecs({ published: new Map() }), [32768]);
    assert.deepEqual(reasons(p), [[recordSetKey(genuine), "unhealthy"]]);
    assert.deepEqual(p.stops, []);
  });

  it("an agent record naming an awsvpc task (the registrar's, on its own ENI) is forged", () => {
    const { plan: p } = plan([a1, genuine], ecs({}, { eniAddress: "10.0.1.9" }), []);
    assert.deepEqual(reasons(p), [[recordSetKey(genuine), "forged"]]);
  });

  it("a task ECS listed but did not describe is missing evidence: its records stay, nothing is stopped", () => {
    const undescribed = ecs(
      { published: new Map() },
      { undescribed: true, family: undefined, hostId: undefined },
    );
    const owners = new Map([["_calc._tcp", new Set(["calc"])]]);
    const { plan: p } = plan([a1, genuine, copy(9, "_calc._tcp")], undescribed, [32768, 9], owners);
    assert.deepEqual(
      p.deletes.map((d) => d.reason),
      ["unhealthy", "unhealthy"],
      "not-owned and forged need a described task",
    );
    assert.deepEqual(p.stops, []);
  });

  it("judges the registrar's sets by the task's ENI address and container port", () => {
    const service = parseServiceDeclarations(["SERVICE_8080_NAME=_time._tcp"], {}).services[0]!;
    const built = (address: string) => {
      const a = taskAddressRecordSet({ zone: ZONE, taskId: "vpc", address });
      const srv = taskInstanceRecordSet({ zone: ZONE, taskId: "vpc", service });
      if ("problems" in a || "problems" in srv) throw new Error("bad fixture");
      return [a.recordSet, srv.recordSet] as const;
    };
    const [a, srv] = built("10.0.1.9");
    const [wrongA] = built("203.0.113.9");
    const wrongPort = {
      ...srv,
      Name: `_time2._tcp.${ZONE}`,
      ResourceRecords: [{ Value: `1 1 22 vpc.${ZONE}` }],
    };
    const snapshot: InventorySnapshot = {
      hosts: new Set([H1]),
      tasks: new Map([["vpc", task("vpc", { eniAddress: "10.0.1.9", hostId: undefined })]]),
      counts: {},
    };
    assert.deepEqual(planStale([a, srv, wrongPort], snapshot, ZONE).stale, [
      { key: recordSetKey(wrongPort), set: wrongPort, reason: "forged", onlyAsRead: true },
    ]);
    assert.deepEqual(
      planStale([wrongA], snapshot, ZONE).stale.map((d) => d.reason),
      ["forged"],
    );
  });

  describe("instanceEvidence", () => {
    const identity = parseSetIdentifier(genuine.SetIdentifier);
    if (identity?.kind !== "instance") throw new Error("bad fixture");
    const cases: [string, Partial<InventorySnapshot>, RecordSet, number, string][] = [
      ["the bound host port", {}, genuine, 32768, "confirmed"],
      ["another port", {}, genuine, 9, "forged"],
      [
        "a udp record where only tcp is bound",
        {},
        { ...genuine, Name: `_calc._udp.${ZONE}` },
        32768,
        "forged",
      ],
      ["a container ECS does not report", { published: new Map() }, genuine, 9, "unknown"],
      [
        "a container that binds nothing, at its container port (a host-mode task without port mappings)",
        { published: new Map([[containerIdFor(1), bindings({})]]) },
        genuine,
        8080,
        "unknown",
      ],
      [
        "host network mode (Docker says so), at the container port",
        { published: new Map([[containerIdFor(1), bindings({}, true)]]) },
        genuine,
        8080,
        "confirmed",
      ],
      [
        "a port range, at a host port of the bound range",
        { published: new Map([[containerIdFor(1), bindings({}, false, range)]]) },
        genuine,
        40_050,
        "confirmed",
      ],
      [
        "a port range, outside the bound range",
        { published: new Map([[containerIdFor(1), bindings({}, false, range)]]) },
        genuine,
        9,
        "forged",
      ],
      [
        "host network mode, at another port",
        { published: new Map([[containerIdFor(1), bindings({}, true)]]) },
        genuine,
        9,
        "forged",
      ],
    ];
    for (const [name, extra, set, port, expected] of cases) {
      it(`${name}: ${expected}`, () => {
        assert.equal(instanceEvidence(identity, set, port, ecs(extra)), expected);
      });
    }
    it("reads the protocol from the service name", () => {
      assert.deepEqual([`_a._tcp.${ZONE}`, `_a._udp.${ZONE}.`, `a.${ZONE}`].map(protocolOf), [
        "tcp",
        "udp",
        undefined,
      ]);
    });
  });
});
