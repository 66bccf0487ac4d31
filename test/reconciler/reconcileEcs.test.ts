// reconcile() end to end against moto's server: ECS (clusters, container instances, tasks) is the truth and
// moto's Route53 holds the zone. Health checks are off here; healthChecks.test.ts covers them.
import assert from "node:assert/strict";
import type { ECSClient } from "@aws-sdk/client-ecs";
import type { ResourceRecordSet, Route53Client } from "@aws-sdk/client-route-53";
import pino from "pino";
import { reconcile, reconcilerConfig, ZoneNotFoundError } from "../../reconciler";
import { configFromEnv } from "../../reconciler/config";
import { recordSetKey } from "../../records";
import type { MotoServer } from "../support/moto";
import { EcsWorld, ecsClient, type Host, srvRecord, type Task } from "./support/ecsWorld";
import { sharedMoto } from "./support/sharedMoto";
import {
  createPrivateZone,
  createSets,
  foreignSets,
  hostA,
  readZone,
  route53Client,
  ZONE,
} from "./support/zoneFixtures";

const silent = pino({ level: "silent" });

/** The owners map as the reconciler reads it from ECSSD_SERVICE_OWNERS. */
function ownersOf(owners: Record<string, string[]>) {
  return configFromEnv({ ECSSD_SERVICE_OWNERS: JSON.stringify(owners) }).serviceOwners;
}

describe("reconcile with ECS as the truth (moto)", function () {
  this.timeout(60_000);
  let moto: MotoServer;
  let ecs: ECSClient;
  let route53: Route53Client;

  before(async () => {
    moto = await sharedMoto();
    ecs = ecsClient(moto.endpoint);
    route53 = route53Client(moto.endpoint);
  });
  after(async () => {
    ecs?.destroy();
    route53?.destroy();
  });

  describe("a zone with stale tasks, a dead host and foreign records", () => {
    let zoneId: string;
    let keep: ResourceRecordSet[];
    let expected: Map<string, string>; // key → reason
    let foreign: ResourceRecordSet[];

    before(async () => {
      await moto.reset();
      const world = new EcsWorld(ecs, moto.endpoint);
      await world.cluster("web");
      await world.cluster("batch");
      const h1 = await world.host("web");
      const h2 = await world.host("web");
      const h3 = await world.host("batch");
      const t1 = await world.tasks(h1, 10);
      const t2 = await world.tasks(h2, 2);
      const t3 = await world.tasks(h3, 2);
      const stopped = t1[0] as Task;
      await world.stop(stopped);
      await world.killHost(h2);

      let port = 30_000;
      const srvOf = (t: Task, n: number) =>
        srvRecord({ hostId: t.host.hostId, container: n, hostPort: port++, taskId: t.taskId });
      keep = [
        ...t1.slice(1).map((t, i) => srvOf(t, 100 + i)),
        ...t3.map((t, i) => srvOf(t, 300 + i)),
        // A container on a live host outside any task: ECS cannot judge it, so it stays.
        srvRecord({ hostId: h1.hostId, container: 199, hostPort: port++ }),
        hostA(h1.hostId),
        hostA(h3.hostId),
        // A host that is gone but that somebody's SRV still points at.
        hostA("i-0feed0000000000aa"),
      ];
      const stale: [ResourceRecordSet, string][] = [
        [srvOf(stopped, 99), "task-gone"],
        [
          srvRecord({
            hostId: h1.hostId,
            container: 98,
            hostPort: port++,
            taskId: "0123456789abcdef0123456789abcdef",
          }),
          "task-gone",
        ],
        ...t2.map((t, i): [ResourceRecordSet, string] => [srvOf(t, 200 + i), "host-gone"]),
        [srvRecord({ hostId: h2.hostId, container: 299, hostPort: port++ }), "host-gone"],
        [hostA(h2.hostId), "host-gone"],
        [hostA("i-0aaaabbbbccccdddd"), "host-gone"],
      ];
      foreign = [
        ...foreignSets(),
        {
          Name: `_admin._tcp.${ZONE}`,
          Type: "SRV",
          TTL: 60,
          ResourceRecords: [{ Value: `0 0 9000 i-0feed0000000000aa.${ZONE}` }],
        },
      ];
      expected = new Map(stale.map(([s, reason]) => [recordSetKey(s), reason]));
      zoneId = await createPrivateZone(route53);
      await createSets(route53, zoneId, [...keep, ...stale.map(([s]) => s), ...foreign]);
    });

    it("a dry run reports what it would delete and changes nothing", async () => {
      const before = await readZone(route53, zoneId);
      const summary = await reconcile(
        { route53, ecs, logger: silent },
        reconcilerConfig({ zoneId, checkHealth: false, dryRun: true }),
      );
      assert.equal(summary.dryRun, true);
      assert.equal(summary.planned.total, expected.size);
      assert.deepEqual(summary.planned.byReason, {
        "host-gone": 5,
        "task-gone": 2,
        "container-gone": 0,
        unhealthy: 0,
        "not-owned": 0,
        forged: 0,
      });
      assert.equal(summary.deleted.total, 0);
      assert.equal(summary.apiCalls.byOperation.ChangeResourceRecordSets, undefined);
      assert.deepEqual([...(await readZone(route53, zoneId)).keys()].sort(), [...before.keys()].sort());
    });

    it("deletes exactly the records whose task or host is gone, and leaves foreign records alone", async () => {
      const summary = await reconcile(
        { route53, ecs, logger: silent },
        reconcilerConfig({ zoneId, checkHealth: false }),
      );
      const after = await readZone(route53, zoneId);
      for (const key of expected.keys()) assert.ok(!after.has(key), `${key} should be deleted`);
      for (const s of [...keep, ...foreign])
        assert.ok(after.has(recordSetKey(s)), `${recordSetKey(s)} should stay`);
      assert.equal(summary.deleted.total, expected.size);
      assert.deepEqual(summary.deleted.byReason, {
        "host-gone": 5,
        "task-gone": 2,
        "container-gone": 0,
        unhealthy: 0,
        "not-owned": 0,
        forged: 0,
      });
      assert.equal(summary.records.ours, keep.length + expected.size);
      assert.equal(summary.records.foreign, foreign.length + 2); // + the zone's SOA and NS
      assert.equal(summary.safetyValve.tripped, false);
      assert.deepEqual(
        {
          clusters: summary.inventory.clusters,
          tasks: summary.inventory.tasks,
          activeHosts: summary.inventory.activeHosts,
        },
        // moto keeps the dead host's tasks listed as running: the host decides.
        { clusters: 2, tasks: 13, activeHosts: 2 },
      );
    });

    it("a second run finds nothing more to delete", async () => {
      const summary = await reconcile(
        { route53, ecs, logger: silent },
        reconcilerConfig({ zoneId, checkHealth: false }),
      );
      assert.equal(summary.planned.total, 0);
      assert.equal(summary.deleted.total, 0);
    });
  });

  it("describes more than 100 tasks in batches of 100 and keeps every running one", async () => {
    await moto.reset();
    const world = new EcsWorld(ecs, moto.endpoint);
    await world.cluster("big");
    await world.cluster("other"); // not configured: never read
    const host = await world.host("big");
    const tasks = await world.tasks(host, 150);
    const gone = tasks.slice(0, 3);
    for (const t of gone) await world.stop(t);
    const sets = [
      hostA(host.hostId),
      ...tasks.map((t, i) =>
        srvRecord({
          hostId: host.hostId,
          container: i,
          hostPort: 20_000 + i,
          taskId: t.taskId,
          service: `_svc${i % 5}._tcp`,
        }),
      ),
    ];
    const zoneId = await createPrivateZone(route53);
    await createSets(route53, zoneId, sets);

    const summary = await reconcile(
      { route53, ecs, logger: silent },
      reconcilerConfig({ zoneId, clusters: ["big"], checkHealth: false }),
    );

    assert.equal(summary.inventory.tasks, 147);
    assert.equal(summary.apiCalls.byOperation.DescribeTasks, 2); // 147 running tasks: 100 + 47
    assert.equal(summary.apiCalls.byOperation.ListClusters, undefined);
    assert.deepEqual(summary.deleted.byReason, {
      "host-gone": 0,
      "task-gone": 3,
      "container-gone": 0,
      unhealthy: 0,
      "not-owned": 0,
      forged: 0,
    });
    const after = await readZone(route53, zoneId);
    assert.equal([...after.values()].filter((s) => s.Type === "SRV").length, 147);
  });

  it("trips the safety valve when a run would delete more than the allowed share, and deletes nothing", async () => {
    await moto.reset();
    const world = new EcsWorld(ecs, moto.endpoint);
    await world.cluster("web");
    const live: Host = await world.host("web");
    const [task] = await world.tasks(live, 1);
    // Every other record names a host ECS does not know: what a wrong region or a glitch would look like.
    const sets = [
      hostA(live.hostId),
      srvRecord({ hostId: live.hostId, container: 1, hostPort: 31_000, taskId: task!.taskId }),
      hostA("i-0000000000000dead"),
      ...[2, 3, 4].map((n) =>
        srvRecord({ hostId: "i-0000000000000dead", container: n, hostPort: 31_000 + n, taskId: `task${n}` }),
      ),
    ];
    const zoneId = await createPrivateZone(route53);
    await createSets(route53, zoneId, sets);

    const summary = await reconcile(
      { route53, ecs, logger: silent },
      reconcilerConfig({ zoneId, checkHealth: false }),
    );

    assert.equal(summary.safetyValve.tripped, true);
    assert.equal(summary.safetyValve.share, 0.6667);
    assert.match(
      summary.safetyValve.reason ?? "",
      /would delete 4 of our 6 record sets .*ECSSD_MAX_DELETE_SHARE/,
    );
    assert.equal(summary.planned.total, 4);
    assert.equal(summary.deleted.total, 0);
    assert.equal((await readZone(route53, zoneId)).size, sets.length + 2);

    // Raised for one run, the same deletions go through.
    const again = await reconcile(
      { route53, ecs, logger: silent },
      reconcilerConfig({ zoneId, checkHealth: false, maxDeleteShare: 0.7 }),
    );
    assert.equal(again.safetyValve.tripped, false);
    assert.equal(again.deleted.total, 4);
  });

  it("removes records of a listed name whose task's family may not offer it (ECSSD_SERVICE_OWNERS)", async () => {
    await moto.reset();
    const world = new EcsWorld(ecs, moto.endpoint);
    await world.cluster("web");
    const host: Host = await world.host("web");
    const [calc, other] = await world.tasks(host, 2);
    // moto's tasks are of family "calc" (EcsWorld's definition): owners that name another family for
    // _calc._tcp make both of its records violators; an unlisted name stays.
    const owned = srvRecord({ hostId: host.hostId, container: 1, hostPort: 31_001, taskId: calc!.taskId });
    const open = srvRecord({
      hostId: host.hostId,
      container: 2,
      hostPort: 31_002,
      taskId: other!.taskId,
      service: "_open._tcp",
    });
    const zoneId = await createPrivateZone(route53);
    await createSets(route53, zoneId, [hostA(host.hostId), owned, open]);

    const allowed = await reconcile(
      { route53, ecs, logger: silent },
      reconcilerConfig({
        zoneId,
        checkHealth: false,
        serviceOwners: new Map([["_calc._tcp", new Set(["calc"])]]),
      }),
    );
    assert.equal(allowed.planned.total, 0, "the owning family keeps its record");

    const summary = await reconcile(
      { route53, ecs, logger: silent },
      reconcilerConfig({
        zoneId,
        checkHealth: false,
        maxDeleteShare: 1,
        serviceOwners: new Map([["_calc._tcp", new Set(["payments"])]]),
      }),
    );
    assert.equal(summary.deleted.byReason["not-owned"], 1);
    const after = await readZone(route53, zoneId);
    assert.ok(!after.has(recordSetKey(owned)));
    assert.ok(after.has(recordSetKey(open)), "names not in the map are open to every family");
  });

  it("removes records of a name the owners do not list as not-owned when the namespace is closed, and keeps them when open (ECSSD_SERVICE_OWNERS_CLOSED)", async () => {
    await moto.reset();
    const world = new EcsWorld(ecs, moto.endpoint);
    await world.cluster("web");
    const host: Host = await world.host("web");
    const [calc, other] = await world.tasks(host, 2);
    // Both tasks are of family "calc": one offers its listed name, the other a name the map does not list.
    const owned = srvRecord({ hostId: host.hostId, container: 1, hostPort: 31_001, taskId: calc!.taskId });
    const unlisted = srvRecord({
      hostId: host.hostId,
      container: 2,
      hostPort: 31_002,
      taskId: other!.taskId,
      service: "_unlisted._tcp",
    });
    const zoneId = await createPrivateZone(route53);
    await createSets(route53, zoneId, [hostA(host.hostId), owned, unlisted]);
    const owners = {
      zoneId,
      checkHealth: false,
      maxDeleteShare: 1,
      serviceOwners: ownersOf({ "_calc._tcp": ["calc"] }),
    };

    const open = await reconcile({ route53, ecs, logger: silent }, reconcilerConfig(owners));
    assert.equal(open.planned.total, 0, "an open namespace keeps names the map does not list");

    const closed = await reconcile(
      { route53, ecs, logger: silent },
      reconcilerConfig({ ...owners, serviceOwnersClosed: true }),
    );
    assert.equal(closed.deleted.byReason["not-owned"], 1);
    assert.equal(closed.deleted.total, 1);
    const after = await readZone(route53, zoneId);
    assert.ok(!after.has(recordSetKey(unlisted)), "the unlisted name's record is gone");
    assert.ok(after.has(recordSetKey(owned)), "the listed name's owner keeps its record");
  });

  it("finds the private zone by name, and says so plainly when there is none", async () => {
    await moto.reset();
    await new EcsWorld(ecs, moto.endpoint).cluster("web");
    const zoneId = await createPrivateZone(route53);
    const summary = await reconcile(
      { route53, ecs, logger: silent },
      reconcilerConfig({ checkHealth: false }),
    );
    assert.equal(summary.zone.id, zoneId);

    await assert.rejects(
      reconcile(
        { route53, ecs, logger: silent },
        reconcilerConfig({ zoneName: "missing.internal", checkHealth: false }),
      ),
      (err: Error) =>
        err instanceof ZoneNotFoundError &&
        /no private hosted zone named "missing.internal"/.test(err.message),
    );
  });

  it("fails without deleting anything when a configured cluster does not exist", async () => {
    await moto.reset();
    const zoneId = await createPrivateZone(route53);
    await createSets(route53, zoneId, [hostA("i-0000000000000beef")]);
    await assert.rejects(
      reconcile(
        { route53, ecs, logger: silent },
        reconcilerConfig({ zoneId, clusters: ["nope"], checkHealth: false }),
      ),
      /ECS cluster "nope" does not exist|nope/,
    );
    assert.ok((await readZone(route53, zoneId)).has(recordSetKey(hostA("i-0000000000000beef"))));
  });
});
