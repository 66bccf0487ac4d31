// The reconciler in a zone too full for its verdict markers (the local zone's record-set quota, through the
// real SDK; a real HTTP instance that fails its check): the run says which zone is full and what to do, in its
// log and its summary, leaves the failing instance where it is (it leaves DNS only with its verdict), and
// takes it out at the first run after the quota is raised.
import assert from "node:assert/strict";
import type { Route53Client } from "@aws-sdk/client-route-53";
import pino from "pino";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { reconcilerConfig } from "../../reconciler";
import type { Inventory } from "../../reconciler/inventory";
import { reconcile } from "../../reconciler/reconcileWithClients";
import { changeRecordSets, route53Client } from "../../route53";
import { hostA, srvRecord } from "../kit/recordFixtures";
import { type HealthServer, startHealthServer } from "./support/healthServers";

const ZONE = "verdicts.internal";
const HOST = "i-0bbbbbbbbbbbbbbb1";

describe("reconciler: a zone too full for its verdict markers", function () {
  this.timeout(60_000);
  let zone: LocalZone;
  let route53: Route53Client;
  let sick: HealthServer;

  before(async () => {
    [zone, sick] = await Promise.all([startLocalZone({ zoneName: ZONE }), startHealthServer("error")]);
    route53 = route53Client({ endpoint: zone.apiUrl });
  });
  after(async () => {
    route53.destroy();
    await Promise.all([zone.close(), sick.close()]);
  });

  it("warns in its log and summary, keeps the instance, and takes it out once the quota is raised", async () => {
    const instance = srvRecord({ hostId: HOST, container: 1, hostPort: sick.port, taskId: "t1", zone: ZONE });
    await changeRecordSets(
      route53,
      zone.hostedZoneId,
      [hostA(HOST, "127.0.0.1", ZONE), instance].map((recordSet) => ({
        action: "CREATE" as const,
        recordSet,
      })),
      "test",
    );
    // SOA, NS, the host's A record and the instance: no room for a verdict marker.
    zone.setFaults({ maxRecordSetsPerZone: 4 });
    const inventory: Inventory = {
      kind: "ecs",
      snapshot: async () => ({
        hosts: new Set([HOST]),
        tasks: new Map([
          [
            "t1",
            { taskId: "t1", taskArn: "arn:aws:ecs:us-east-1:1:task/web/t1", cluster: "web", hostId: HOST },
          ],
        ]),
        counts: { tasks: 1 },
      }),
    };
    const config = reconcilerConfig({
      zoneName: ZONE,
      zoneId: zone.hostedZoneId,
      healthAttempts: 1,
      healthTimeoutMs: 2_000,
      maxDeleteShare: 1,
    });
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });

    const full = await reconcile({ route53, inventory, logger }, config);
    const warning = `zone ${ZONE} (${zone.hostedZoneId}) is full: 4 of 4 record sets; raise the "Records per hosted zone" quota of the zone (Service Quotas or AWS Support) or remove record sets`;
    assert.deepEqual(full.zoneFull, { used: 4, limit: 4, warning });
    assert.equal(full.health.failed, 1);
    assert.equal(full.deleted.total, 0, "the failing instance leaves DNS only with its verdict");
    assert.equal(full.deleted.failed, 1);
    const logged = lines.filter((l) => l.action === "record-set-quota");
    assert.equal(logged.length, 1);
    assert.deepEqual(
      { level: logged[0]?.level, msg: logged[0]?.msg, zone: logged[0]?.zone, zoneId: logged[0]?.zoneId },
      { level: 40, msg: warning, zone: ZONE, zoneId: zone.hostedZoneId },
    );

    zone.setFaults({ maxRecordSetsPerZone: 10 });
    const raised = await reconcile({ route53, inventory, logger }, config);
    assert.equal(raised.zoneFull, undefined);
    assert.equal(raised.health.verdicts.written, 1);
    assert.equal(raised.deleted.total, 1);
  });
});
