// One reconcile run against moto (ECS the truth, Route53 the zone), and the EMF line the handler writes for it:
// each deletion under its reason, a safety-valve trip counted, the zone's record sets, the cluster as dimension.
import assert from "node:assert/strict";
import type { ECSClient } from "@aws-sdk/client-ecs";
import type { Route53Client } from "@aws-sdk/client-route-53";
import pino from "pino";
import { reconcile, reconcilerConfig } from "../../reconciler";
import { runMetricsWriter } from "../../reconciler/handler";
import { putRunMetrics, type ReconcileSummary } from "../../reconciler/runSummary";
import type { MotoServer } from "../kit/moto";
import { EcsWorld, ecsClient, srvRecord, type Task } from "../reconciler/support/ecsWorld";
import { sharedMoto } from "../reconciler/support/sharedMoto";
import { createPrivateZone, createSets, hostA, route53Client } from "../reconciler/support/zoneFixtures";
import { type EmfDocument, emfSink } from "./emfLines";

const silent = pino({ level: "silent" });

function lineOf(summary: ReconcileSummary, clusters: string[]): EmfDocument {
  const sink = emfSink();
  const writer = runMetricsWriter({ clusters }, sink.write);
  putRunMetrics(writer, summary);
  writer.flush();
  assert.equal(sink.docs.length, 1);
  return sink.docs[0] as EmfDocument;
}

describe("metrics: the reconciler's EMF line (moto)", function () {
  this.timeout(60_000);
  let moto: MotoServer;
  let ecs: ECSClient;
  let route53: Route53Client;

  before(async () => {
    moto = await sharedMoto();
    ecs = ecsClient(moto.endpoint);
    route53 = route53Client(moto.endpoint);
  });
  after(() => {
    ecs?.destroy();
    route53?.destroy();
  });

  it("counts each deletion under its reason", async () => {
    await moto.reset();
    const world = new EcsWorld(ecs, moto.endpoint);
    await world.cluster("web");
    const live = await world.host("web");
    const gone = await world.host("web");
    const tasks = await world.tasks(live, 4);
    const stopped = tasks[0] as Task;
    await world.stop(stopped);
    await world.killHost(gone);
    const srv = (t: Task, n: number) =>
      srvRecord({ hostId: t.host.hostId, container: n, hostPort: 30_000 + n, taskId: t.taskId });
    const sets = [
      hostA(live.hostId),
      ...tasks.map((t, i) => srv(t, i)),
      hostA(gone.hostId),
      srvRecord({ hostId: gone.hostId, container: 9, hostPort: 30_009 }),
    ];
    const zoneId = await createPrivateZone(route53);
    await createSets(route53, zoneId, sets);

    const summary = await reconcile(
      { route53, ecs, logger: silent },
      reconcilerConfig({ zoneId, clusters: ["web"], checkHealth: false, maxDeleteShare: 0.5 }),
    );
    const line = lineOf(summary, ["arn:aws:ecs:us-east-1:123456789012:cluster/web"]);

    assert.equal(line.Cluster, "web");
    assert.equal(line.ReconcilerDeletedTaskGone, 1);
    assert.equal(line.ReconcilerDeletedHostGone, 2);
    for (const other of ["ContainerGone", "Unhealthy", "NotOwned", "Forged"])
      assert.equal(line[`ReconcilerDeleted${other}`], 0, other);
    assert.equal(line.ReconcilerSafetyValveTrips, 0);
    assert.equal(line.ReconcilerErrors, 0);
    // Ours, and the zone's SOA and NS.
    assert.equal(line.ReconcilerZoneRecordSets, sets.length + 2);
    assert.equal(line.ReconcilerZoneRecordSetsLimit, undefined, "not asked when nothing was refused");
  });

  it("counts a safety-valve trip, with nothing deleted", async () => {
    await moto.reset();
    const world = new EcsWorld(ecs, moto.endpoint);
    await world.cluster("web");
    const live = await world.host("web");
    const [task] = await world.tasks(live, 1);
    const sets = [
      hostA(live.hostId),
      srvRecord({ hostId: live.hostId, container: 1, hostPort: 31_000, taskId: (task as Task).taskId }),
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
    const line = lineOf(summary, []);

    assert.equal(summary.safetyValve.tripped, true);
    assert.equal(line.ReconcilerSafetyValveTrips, 1);
    assert.equal(line.ReconcilerDeletedHostGone, 0, "planned, not deleted");
    assert.equal(line.Cluster, undefined, "every cluster read: no cluster dimension");
    assert.deepEqual(line._aws.CloudWatchMetrics[0]?.Dimensions, [["service"]]);
  });
});
