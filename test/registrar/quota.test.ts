// The registrar in a zone too full for a task's sets (the local zone's record-set quota, through the real SDK;
// the task from moto's ECS): the invocation fails, so Lambda retries the event, after a warning that says
// which zone is full and what to do, at most once a minute; once the quota is raised the retry registers it.
import assert from "node:assert/strict";
import type { Route53Client } from "@aws-sdk/client-route-53";
import pino from "pino";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { registrarConfigFromEnv } from "../../registrar/config";
import { applyLogged } from "../../registrar/handler";
import { Registrar } from "../../registrar/registrarWithClients";
import { isRecordSetQuotaError, QuotaWarning, route53Client } from "../../route53";
import { ecsClient } from "../reconciler/support/ecsWorld";
import { sharedMoto } from "../reconciler/support/sharedMoto";
import type { MotoServer } from "../support/moto";
import { AwsvpcWorld, holdTaskStates, taskEvent } from "./support/awsvpcWorld";

const ZONE = "full.internal";

describe("registrar: a zone too full for the task's record sets", function () {
  this.timeout(60_000);
  let moto: MotoServer;
  let zone: LocalZone;
  let route53: Route53Client;

  before(async () => {
    // The apex SOA and NS only: the zone is full before the first task.
    [moto, zone] = await Promise.all([
      sharedMoto(),
      startLocalZone({ zoneName: ZONE, faults: { maxRecordSetsPerZone: 2 } }),
    ]);
    await moto.reset();
    await holdTaskStates(moto.endpoint, true);
    route53 = route53Client({ endpoint: zone.apiUrl });
  });

  after(async () => {
    await holdTaskStates(moto.endpoint, false);
    route53.destroy();
    await zone.close();
  });

  it("fails the invocation after a warning a minute, and registers the task once the quota is raised", async () => {
    const world = new AwsvpcWorld(ecsClient(moto.endpoint), moto.endpoint);
    const cluster = await world.cluster("apps");
    const def = await world.definition("time-fargate", [
      { name: "time", environment: { SERVICE_8080_NAME: "_time._tcp" } },
    ]);
    const taskArn = await world.run(cluster, def);
    const task = await world.describe(cluster, taskArn);
    const running = () => taskEvent(task, { version: 3, lastStatus: "RUNNING", desiredStatus: "RUNNING" });
    const registrar = new Registrar(
      { route53, ecs: world.ecs },
      registrarConfigFromEnv({
        ECSSD_ZONE_NAME: ZONE,
        ECSSD_ZONE_ID: zone.hostedZoneId,
        ECSSD_CLUSTERS: "apps",
      }),
    );
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    let now = 0;
    const warning = new QuotaWarning(log, { now: () => now });
    const quotaLines = () => lines.filter((l) => l.action === "record-set-quota");

    for (let attempt = 0; attempt < 3; attempt++) {
      await assert.rejects(applyLogged(registrar, running(), log, warning), (err) =>
        isRecordSetQuotaError(err),
      );
    }
    assert.equal(quotaLines().length, 1, "one line within the minute, however many invocations fail");
    assert.equal(lines.filter((l) => l.msg === "event failed; it will be retried").length, 3);
    const [line] = quotaLines();
    assert.equal(line?.level, 40, "a warning");
    assert.deepEqual(
      { zone: line?.zone, zoneId: line?.zoneId, used: line?.used, limit: line?.limit },
      { zone: ZONE, zoneId: zone.hostedZoneId, used: 2, limit: 2 },
    );
    assert.equal(
      line?.msg,
      `zone ${ZONE} (${zone.hostedZoneId}) is full: 2 of 2 record sets; raise the "Records per hosted zone" quota of the zone (Service Quotas or AWS Support) or remove record sets`,
    );
    now = 60_000;
    await assert.rejects(applyLogged(registrar, running(), log, warning));
    assert.equal(quotaLines().length, 2, "a minute later, one more");
    assert.equal(quotaLines()[1]?.suppressed, 2);

    zone.setFaults({ maxRecordSetsPerZone: 10 });
    const done = await applyLogged(registrar, running(), log, warning);
    assert.equal(done.outcome, "registered");
    assert.equal(quotaLines().length, 2);
  });
});
