// The registrar's EMF line per event, as the handler writes it: events built from moto's ECS, applied by the
// real registrar to the local zone; each outcome counted once, under the event's cluster, with its task id
// beside it (never a dimension).
import assert from "node:assert/strict";
import type { Route53Client } from "@aws-sdk/client-route-53";
import pino from "pino";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { registrarConfigFromEnv } from "../../registrar/config";
import { applyLogged, outcomeWriter } from "../../registrar/handler";
import { Registrar } from "../../registrar/registrarWithClients";
import { route53Client } from "../../route53";
import { ecsClient } from "../reconciler/support/ecsWorld";
import { sharedMoto } from "../reconciler/support/sharedMoto";
import { AwsvpcWorld, holdTaskStates, taskEvent } from "../registrar/support/awsvpcWorld";
import type { MotoServer } from "../support/moto";
import { type EmfDocument, emfSink, metricNames } from "./emfLines";

const ZONE = "servicediscovery.internal";
const silent = pino({ level: "silent" });

describe("metrics: the registrar's EMF lines (moto ECS, local zone)", function () {
  this.timeout(60_000);
  let moto: MotoServer;
  let zone: LocalZone;
  let route53: Route53Client;
  let world: AwsvpcWorld;
  let cluster: string;
  let registrar: Registrar;

  before(async () => {
    [moto, zone] = await Promise.all([sharedMoto(), startLocalZone({ zoneName: ZONE })]);
    await moto.reset();
    await holdTaskStates(moto.endpoint, true);
    route53 = route53Client({ endpoint: zone.apiUrl });
    const ecs = ecsClient(moto.endpoint);
    world = new AwsvpcWorld(ecs, moto.endpoint);
    cluster = await world.cluster("apps");
    const config = registrarConfigFromEnv({
      ECSSD_ZONE_NAME: ZONE,
      ECSSD_ZONE_ID: zone.hostedZoneId,
      ECSSD_CLUSTERS: "apps",
    });
    registrar = new Registrar({ route53, ecs }, config);
  });

  after(async () => {
    await holdTaskStates(moto.endpoint, false);
    route53.destroy();
    await zone.close();
  });

  /** Applies one event as the handler does; returns its one line. */
  async function applied(event: unknown): Promise<EmfDocument> {
    const sink = emfSink();
    await applyLogged(registrar, event, silent, undefined, outcomeWriter(event, sink.write)).catch(() => {});
    assert.equal(sink.docs.length, 1, "one line per event");
    return sink.docs[0] as EmfDocument;
  }

  it("counts a registration, a deregistration and a rejected event, each once", async () => {
    const def = await world.definition("time-fargate", [
      { name: "time", environment: { SERVICE_8080_NAME: "_time._tcp" } },
    ]);
    const taskArn = await world.run(cluster, def);
    const task = await world.describe(cluster, taskArn);
    const taskId = taskArn.split("/").pop() as string;

    const up = await applied(
      taskEvent(task, { version: 3, lastStatus: "RUNNING", desiredStatus: "RUNNING" }),
    );
    assert.deepEqual(metricNames(up), ["RegistrarRegistered"]);
    assert.equal(up.RegistrarRegistered, 1);
    assert.equal(up.Cluster, "apps");
    assert.equal(up.taskId, taskId);
    assert.deepEqual(up._aws.CloudWatchMetrics[0]?.Dimensions, [["service", "Cluster"]]);

    await world.stop(cluster, taskArn);
    const down = await applied(
      taskEvent(task, { version: 4, lastStatus: "RUNNING", desiredStatus: "STOPPED" }),
    );
    assert.deepEqual(metricNames(down), ["RegistrarDeregistered"]);

    const bad = await applied({ "detail-type": "ECS Task State Change", detail: { taskArn: 7 } });
    assert.deepEqual(metricNames(bad), ["RegistrarRejected"]);
    assert.equal(bad.Cluster, undefined);
  });

  it("counts an event whose write failed as failed (it goes back for a retry)", async () => {
    const def = await world.definition("calc-fargate", [
      { name: "calc", environment: { SERVICE_9090_NAME: "_calc._tcp" } },
    ]);
    const taskArn = await world.run(cluster, def);
    const task = await world.describe(cluster, taskArn);
    // The zone is full (its record-set quota at 1): the event fails, to be retried, then dead-lettered.
    zone.setFaults({ maxRecordSetsPerZone: 1 });
    try {
      const line = await applied(
        taskEvent(task, { version: 3, lastStatus: "RUNNING", desiredStatus: "RUNNING" }),
      );
      assert.deepEqual(metricNames(line), ["RegistrarFailed"]);
      assert.equal(line.RegistrarFailed, 1);
    } finally {
      zone.setFaults({});
    }
  });
});
