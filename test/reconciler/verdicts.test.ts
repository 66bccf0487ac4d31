// The reconciler's health verdicts: an instance taken out for failing carries a TXT verdict marker, written in
// a request of TXT UPSERTs alone before the instance is deleted in a request of DELETEs alone; the marker is
// lifted after a pass and cleared when the instance is gone; ports with an agent check are never checked
// here. The two requests are proven against moto and the local zone alike.
import assert from "node:assert/strict";
import type { Route53Client } from "@aws-sdk/client-route-53";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { ApiCalls } from "../../reconciler/apiCalls";
import type { HealthResult } from "../../reconciler/healthChecker";
import type { InventorySnapshot } from "../../reconciler/inventory";
import { healthTargets, planReconcile, planStale, verdictTargets } from "../../reconciler/reconcilePlan";
import { deleteRecordSets, listRecordSets, upsertMarkers } from "../../reconciler/zoneRecords";
import {
  agentCheckMarker,
  instanceKey,
  parseHealthMarker,
  type RecordSet,
  recordSetKey,
  verdictMarker,
} from "../../records";
import { recordChangeRequests } from "./support/changeRequests";
import { containerIdFor, srvRecord } from "./support/ecsWorld";
import { sharedMoto } from "./support/sharedMoto";
import { createPrivateZone, createSets, hostA, readZone, route53Client, ZONE } from "./support/zoneFixtures";

const H1 = "h1";
const since = new Date("2026-01-02T03:04:05.000Z");

describe("reconciler: health verdicts", () => {
  const plain = srvRecord({ hostId: H1, container: 1, hostPort: 30001 });
  const checked = srvRecord({ hostId: H1, container: 2, hostPort: 30002 });
  const checkedMarker = agentCheckMarker(checked, "http");
  const held = srvRecord({ hostId: H1, container: 3, hostPort: 30003 });
  const heldVerdict = verdictMarker(held, { port: 30003, since, detail: "HTTP 500" });
  const goneVerdict = verdictMarker(srvRecord({ hostId: H1, container: 4, hostPort: 30004 }), {
    port: 30004,
    since,
    detail: "ECONNREFUSED",
  });
  const sets: RecordSet[] = [hostA(H1), plain, checked, checkedMarker, heldVerdict, goneVerdict];
  const snapshot: InventorySnapshot = {
    hosts: new Set([H1]),
    containers: new Set([1, 2, 3].map(containerIdFor)),
    counts: {},
  };
  const result = (verdict: HealthResult["verdict"], port: number): HealthResult => ({
    verdict,
    url: `http://127.0.0.1:${port}/health`,
    attempts: 3,
    detail: verdict === "healthy" ? "HTTP 200" : "HTTP 503",
  });
  const settings = { zoneName: ZONE, maxDeleteShare: 1, stopUnhealthyTasks: false };

  it("reads markers back as written, and refuses look-alikes", () => {
    assert.deepEqual(parseHealthMarker(checkedMarker), { kind: "agent-check", check: "http" });
    assert.deepEqual(parseHealthMarker(heldVerdict), {
      kind: "verdict",
      port: 30003,
      since: since.toISOString(),
      detail: "HTTP 500",
    });
    assert.equal(instanceKey(heldVerdict), instanceKey(held));
    assert.equal(heldVerdict.MultiValueAnswer, true);
    const evil = verdictMarker(held, { port: 1, since, detail: 'a "quoted" \\ detail\n' });
    assert.equal(parseHealthMarker(evil)?.kind, "verdict", "details are made safe to quote");
    for (const value of [
      '"ecssd1 verdict=healthy port=1 since=x"',
      '"hello"',
      "ecssd1 check=agent kind=http",
    ]) {
      assert.equal(
        parseHealthMarker({ ...heldVerdict, ResourceRecords: [{ Value: value }] }),
        undefined,
        value,
      );
    }
    assert.equal(parseHealthMarker({ ...checkedMarker, SetIdentifier: "someone-else" }), undefined);
  });

  it("never checks a port with an agent check, and checks held instances at their verdict's port", () => {
    const stale = planStale(sets, snapshot, ZONE);
    const { targets } = healthTargets(stale.toCheck, stale.view.addresses);
    assert.deepEqual([...targets.values()], [{ address: "127.0.0.1", port: 30001 }]);
    assert.deepEqual(
      [...verdictTargets(stale.liveVerdicts, stale.view.addresses, ZONE).values()],
      [{ address: "127.0.0.1", port: 30003 }],
    );
    assert.equal(stale.view.agentChecked.has(instanceKey(checked)), true);
  });

  it("takes a failing instance out with its verdict, lifts a verdict after a pass, clears one whose instance is gone", () => {
    const health = new Map([
      ["127.0.0.1:30001", result("unhealthy", 30001)],
      ["127.0.0.1:30003", result("healthy", 30003)],
      // Even a failing answer from the agent-checked port would not count: it is never asked.
      ["127.0.0.1:30002", result("unhealthy", 30002)],
    ]);
    const plan = planReconcile(planStale(sets, snapshot, ZONE), snapshot, health, settings, since);
    assert.deepEqual(
      plan.deletes.map((d) => [d.key, d.reason]),
      [[recordSetKey(plain), "unhealthy"]],
    );
    const marker = plan.deletes[0]?.marker;
    assert.ok(marker);
    assert.deepEqual(parseHealthMarker(marker), {
      kind: "verdict",
      port: 30001,
      since: since.toISOString(),
      detail: "HTTP 503",
    });
    assert.deepEqual(
      plan.markerDeletes.map((d) => [d.key, d.reason]),
      [
        [recordSetKey(goneVerdict), "container-gone"],
        [recordSetKey(heldVerdict), "recovered"],
      ],
    );
    assert.equal(plan.verdictsHeld, 0);
  });

  it("holds a verdict while its instance still fails, or when checks are off", () => {
    const failing = new Map([["127.0.0.1:30003", result("unhealthy", 30003)]]);
    for (const health of [failing, undefined]) {
      const plan = planReconcile(planStale(sets, snapshot, ZONE), snapshot, health, settings, since);
      assert.deepEqual(
        plan.markerDeletes.map((d) => d.reason),
        ["container-gone"],
      );
      assert.equal(plan.verdictsHeld, 1);
    }
  });

  for (const server of ["moto", "the local zone"] as const) {
    describe(`the verdict requests against ${server}`, function () {
      this.timeout(60_000);
      let route53: Route53Client;
      let zoneId: string;
      let local: LocalZone | undefined;

      before(async () => {
        if (server === "moto") {
          const moto = await sharedMoto();
          await moto.reset();
          route53 = route53Client(moto.endpoint);
          zoneId = await createPrivateZone(route53);
        } else {
          local = await startLocalZone();
          route53 = route53Client(local.apiUrl);
          zoneId = local.hostedZoneId;
        }
      });
      after(async () => {
        route53?.destroy();
        await local?.close();
      });

      it("writes the verdict alone, then deletes the instance alone, beside another instance's agent marker; then lifts it", async () => {
        await createSets(route53, zoneId, [hostA(H1), plain, checked, checkedMarker]);
        const calls = new ApiCalls();
        const requests = recordChangeRequests(route53);
        const marker = verdictMarker(plain, { port: 30001, since, detail: "HTTP 503" });
        const markers = await upsertMarkers(route53, zoneId, [marker], calls);
        assert.deepEqual(markers.written.map(recordSetKey), [recordSetKey(marker)]);
        const outcome = await deleteRecordSets(route53, zoneId, [plain], calls);
        assert.deepEqual(outcome.deleted.map(recordSetKey), [recordSetKey(plain)]);
        // What IAM sees: a TXT UPSERT alone, then an SRV DELETE alone.
        assert.deepEqual(requests, [
          { actions: ["UPSERT"], types: ["TXT"], names: [`_calc._tcp.${ZONE}`] },
          { actions: ["DELETE"], types: ["SRV"], names: [`_calc._tcp.${ZONE}`] },
        ]);
        assert.equal(calls.byOperation.ChangeResourceRecordSets, 2);
        const zone = await readZone(route53, zoneId);
        assert.equal(zone.has(recordSetKey(plain)), false);
        // moto (5.2, route53/models.py delete_rrset_by_id) deletes every set with the SetIdentifier, whatever its
        // type, so the SRV set's DELETE takes the marker beside it too; Route53 deletes the set of that name, type
        // and identifier only. moto proves the two requests are accepted; the local zone proves what is left.
        if (server === "moto") return;
        const written = (await listRecordSets(route53, zoneId, calls)).find(
          (s) => recordSetKey(s) === recordSetKey(marker),
        );
        assert.ok(written, "the verdict is in the zone");
        assert.deepEqual(parseHealthMarker(written), parseHealthMarker(marker));
        assert.ok(zone.has(recordSetKey(checkedMarker)));

        const lifted = await deleteRecordSets(route53, zoneId, [written], calls);
        assert.equal(lifted.deleted.length, 1);
        assert.equal((await readZone(route53, zoneId)).has(recordSetKey(marker)), false);
      });
    });
  }
});
