// statusReport, the pure part of `ecssd status`: the health verdict the zone's markers give each instance, the
// registrar's instances, verdicts that hold an instance out, a task's age against the threshold, and whose
// record sets are shown. Zones are made with the record contract, as the writers make them.
import assert from "node:assert/strict";
import type { InventorySnapshot, LiveTask } from "../../reconciler/inventory";
import {
  agentCheckMarker,
  availabilityZoneRecordSet,
  parseServiceDeclarations,
  type RecordSet,
  taskAddressRecordSet,
  taskInstanceRecordSet,
  verdictMarker,
  type ZoneRecordSet,
} from "../../records";
import { type StatusInput, statusReport, type TaskOffer } from "../../status";
import { hostA, srvRecord, ZONE } from "../kit/recordFixtures";

const HOST = "i-0123456789abcdef0";
const NOW = new Date("2026-12-05T12:00:00Z");
const calc: TaskOffer = { awsvpc: false, ports: [{ srvName: "_calc._tcp", containerPort: 8080 }] };
const calcVpc: TaskOffer = { awsvpc: true, ports: [{ srvName: "_calc._tcp", containerPort: 8080 }] };

function task(taskId: string, extra: Partial<LiveTask> = {}): LiveTask {
  return { taskId, taskArn: `arn:aws:ecs:us-east-1:123456789012:task/c/${taskId}`, cluster: "c", ...extra };
}

function snapshot(tasks: LiveTask[], hosts: string[] = [HOST]): InventorySnapshot {
  return { hosts: new Set(hosts), tasks: new Map(tasks.map((t) => [t.taskId, t])), counts: {} };
}

function report(overrides: Partial<StatusInput> & Pick<StatusInput, "sets" | "snapshot">) {
  return statusReport({
    zone: { name: ZONE, id: "Z1" },
    offers: new Map(),
    scope: {},
    now: NOW,
    driftSeconds: 120,
    ...overrides,
  });
}

function ok<T>(r: { recordSet: T } | { problems: unknown }): T {
  if ("problems" in r) throw new Error(JSON.stringify(r.problems));
  return r.recordSet;
}

const calcDeclared = (() => {
  const declared = parseServiceDeclarations(["SERVICE_8080_NAME=_calc._tcp"], {}).services[0];
  if (!declared) throw new Error("_calc._tcp did not parse");
  return declared;
})();

describe("statusReport", () => {
  it("gives each instance the verdict its markers give, at the address of its target", () => {
    const checked = srvRecord({ hostId: HOST, container: 1, hostPort: 32001, taskId: "t1" });
    const plain = srvRecord({ hostId: HOST, container: 2, hostPort: 32002, taskId: "t2" });
    const leaving = srvRecord({ hostId: HOST, container: 3, hostPort: 32003, taskId: "t3" });
    const heldOut = srvRecord({ hostId: HOST, container: 4, hostPort: 32004, taskId: "t4" });
    const since = new Date("2026-12-05T11:58:00Z");
    const sets: ZoneRecordSet[] = [
      hostA(HOST, "10.0.0.5"),
      checked,
      agentCheckMarker(checked, "http"),
      plain,
      leaving,
      verdictMarker(leaving, { port: 32003, since, detail: "HTTP 500" }),
      // Only the marker: the reconciler took the instance out.
      verdictMarker(heldOut, { port: 32004, since, detail: "timed out after 2000 ms" }),
    ];
    const tasks = ["t1", "t2", "t3", "t4"].map((id) => task(id, { hostId: HOST }));
    const r = report({
      sets,
      snapshot: snapshot(tasks),
      offers: new Map(tasks.map((t) => [t.taskId, calc])),
    });
    const seen = (r.services[0]?.instances ?? []).map((i) => [i.taskId, i.address, i.health, i.inDns]);
    assert.deepEqual(seen, [
      ["t1", "10.0.0.5:32001", "agent-check", true],
      ["t2", "10.0.0.5:32002", "reconciler-check", true],
      ["t3", "10.0.0.5:32003", "unhealthy-leaving", true],
      ["t4", "10.0.0.5:32004", "unhealthy", false],
    ]);
    assert.match(
      r.services[0]?.instances[3]?.healthDetail ?? "",
      /since 2026-12-05T11:58:00.000Z: timed out/,
    );
    // A task its verdict holds out has a reason to be absent: no drift.
    assert.deepEqual(r.drift, []);
    assert.equal(r.driftFound, false);
  });

  it("shows the registrar's instances of an awsvpc task at the task's address, owned by the registrar", () => {
    const sets: ZoneRecordSet[] = [
      ok<RecordSet>(taskAddressRecordSet({ zone: ZONE, taskId: "v1", address: "10.1.0.7" })),
      ok<RecordSet>(taskInstanceRecordSet({ zone: ZONE, taskId: "v1", service: calcDeclared })),
    ];
    const r = report({
      sets,
      snapshot: snapshot([task("v1", { eniAddress: "10.1.0.7" })], []),
      offers: new Map([["v1", calcVpc]]),
    });
    assert.deepEqual(
      r.services[0]?.instances.map((i) => [i.address, i.owner, i.taskId, i.health]),
      [["10.1.0.7:8080", "registrar", "v1", "ecs-check"]],
    );
    assert.equal(r.driftFound, false);
  });

  it("counts a task without its record only once it has run past the threshold", () => {
    const young = task("young", { hostId: HOST, startedAt: new Date(NOW.getTime() - 30_000) });
    const old = task("old", { hostId: HOST, startedAt: new Date(NOW.getTime() - 600_000) });
    const vpc = task("vpc", { eniAddress: "10.1.0.8", startedAt: new Date(NOW.getTime() - 600_000) });
    const r = report({
      sets: [hostA(HOST, "10.0.0.5")],
      snapshot: snapshot([young, old, vpc]),
      offers: new Map([
        ["young", calc],
        ["old", calc],
        ["vpc", calcVpc],
      ]),
    });
    assert.deepEqual(
      r.drift.map((d) => [d.taskId, d.drift, d.ageSeconds, d.owner]),
      [
        ["young", false, 30, "agent"],
        ["old", true, 600, "agent"],
        ["vpc", true, 600, "registrar"],
      ],
    );
    // The awsvpc task is the registrar's: it says nothing about the host's agent.
    assert.deepEqual(
      r.hosts.map((h) => [h.hostId, h.stale, h.expected, h.missing]),
      [[HOST, true, 1, 1]],
    );
  });

  it("shows this deployment's record sets and leaves another deployment's alone", () => {
    const theirs = { ...srvRecord({ hostId: HOST, container: 9, hostPort: 32009, taskId: "gone" }) };
    theirs.SetIdentifier = theirs.SetIdentifier.replace(/^ecssd1:/, "ecssd2:other:");
    const r = report({ sets: [hostA(HOST, "10.0.0.5"), theirs], snapshot: snapshot([]) });
    assert.deepEqual(r.services, []);
    assert.deepEqual(r.drift, []);
    assert.deepEqual([r.recordSets.listed, r.recordSets.ours], [2, 1]);
  });

  it("shows a host's AZ, counts AZ sets as ours, and a gone host's or task's AZ set as drift", () => {
    const GONE = "i-0fedcba9876543210";
    const taskId = "0123456789abcdef0123456789abcdef";
    const a = hostA(HOST, "10.0.0.5");
    const goneA = hostA(GONE, "10.0.0.6");
    const taskA = ok(taskAddressRecordSet({ zone: ZONE, taskId, address: "10.0.1.9" }));
    const sets = [a, goneA, taskA].flatMap((set) => [set, ok(availabilityZoneRecordSet(set, "use1-az4"))]);
    const r = report({ sets, snapshot: snapshot([]) });
    assert.deepEqual([r.recordSets.listed, r.recordSets.ours], [6, 6]);
    assert.deepEqual(
      r.hosts.map((h) => [h.hostId, h.address, h.azId, h.inEcs]),
      [
        [HOST, "10.0.0.5", "use1-az4", true],
        [GONE, "10.0.0.6", "use1-az4", false],
      ],
    );
    assert.deepEqual(
      r.drift.map((d) => [d.kind, d.record?.type]),
      [
        ["record-without-host", "A"],
        ["record-without-host", "TXT"],
        ["record-without-task", "A"],
        ["record-without-task", "TXT"],
      ],
    );
  });

  it("says the quota could not be read rather than failing", () => {
    const r = report({ sets: [], snapshot: snapshot([], []), usage: { error: "AccessDenied: no" } });
    assert.equal(r.recordSets.quotaError, "AccessDenied: no");
    assert.equal(r.recordSets.used, undefined);
  });
});
