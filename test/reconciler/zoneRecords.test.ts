// The reconciler's zone access against the local zone, which pages and rejects batches as Route53 documents:
// every page read, deletes within Route53's request limits, sets that changed meanwhile, throttling.
import assert from "node:assert/strict";
import { ChangeResourceRecordSetsCommand, type Route53Client } from "@aws-sdk/client-route-53";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { ApiCalls } from "../../reconciler/apiCalls";
import {
  CHANGE_BATCH_LIMITS,
  changeBatches,
  deleteRecordSets,
  listRecordSets,
  readRecordSet,
  upsertMarkers,
} from "../../reconciler/zoneRecords";
import {
  canonicalName,
  type RecordSet,
  recordSetKey,
  verdictMarker,
  type ZoneRecordSet,
} from "../../records";
import { srvRecord } from "./support/ecsWorld";
import { createSets, deleteSets, foreignSets, hostA, readZone, route53Client } from "./support/zoneFixtures";

/** `n` SRV sets of one host, spread over service names (Route53 allows 100 multivalue sets per name). */
function manySets(n: number, hostId = "i-0123456789abcdef0"): RecordSet[] {
  return Array.from({ length: n }, (_, i) =>
    srvRecord({
      hostId,
      container: i,
      hostPort: 10_000 + i,
      taskId: `task-${i}`,
      service: `_svc${Math.floor(i / 90)}._tcp`,
    }),
  );
}

describe("reconciler zone records (local zone)", function () {
  this.timeout(60_000);
  let zone: LocalZone;
  let route53: Route53Client;

  before(async () => {
    zone = await startLocalZone();
    route53 = route53Client(zone.apiUrl);
  });
  after(async () => {
    route53?.destroy();
    await zone?.close();
  });
  afterEach(async () => {
    zone.setFaults({});
    const left = [...(await readZone(route53, zone.hostedZoneId)).values()].filter(
      (s) => s.Type !== "SOA" && s.Type !== "NS",
    );
    await deleteSets(route53, zone.hostedZoneId, left);
  });

  it("reads every page of a zone of more than 300 record sets", async () => {
    const sets = [...manySets(700), hostA("i-0123456789abcdef0"), ...foreignSets()];
    await createSets(route53, zone.hostedZoneId, sets);
    const calls = new ApiCalls();

    const read = await listRecordSets(route53, zone.hostedZoneId, calls);

    const keys = new Set(read.map((s) => recordSetKey(s)));
    assert.equal(read.length, sets.length + 2); // + SOA and NS
    assert.equal(keys.size, read.length, "no set is read twice");
    for (const s of sets) assert.ok(keys.has(recordSetKey(s)), `${recordSetKey(s)} was read`);
    assert.equal(calls.byOperation.ListResourceRecordSets, Math.ceil((sets.length + 2) / 300));
  });

  it("splits deletions by Route53's limits on changes and value characters", () => {
    const sets = manySets(2_500);
    const batches = changeBatches(sets);
    assert.equal(batches.flat().length, 2_500);
    for (const b of batches) {
      const chars = b.reduce(
        (n, s) => n + (s.ResourceRecords ?? []).reduce((m, r) => m + (r.Value ?? "").length, 0),
        0,
      );
      assert.ok(b.length <= CHANGE_BATCH_LIMITS.changes && chars <= CHANGE_BATCH_LIMITS.valueCharacters);
    }
    // SRV values of ~60 characters: the 32,000-character limit binds before the 1,000-change one.
    assert.ok(batches.length > 2_500 / 1_000);
    assert.deepEqual(changeBatches([]), []);
  });

  it("deletes 1,500 record sets in as few requests as the limits allow", async () => {
    const sets = manySets(1_500);
    await createSets(route53, zone.hostedZoneId, sets);
    const calls = new ApiCalls();
    const read = (await listRecordSets(route53, zone.hostedZoneId, calls)).filter((s) => s.Type === "SRV");

    const outcome = await deleteRecordSets(route53, zone.hostedZoneId, read, calls);

    assert.equal(outcome.deleted.length, 1_500);
    assert.equal(calls.byOperation.ChangeResourceRecordSets, changeBatches(read).length);
    assert.equal((await readZone(route53, zone.hostedZoneId)).size, 2);
  });

  it("retries alone, as it is now, a set that changed meanwhile, and skips one already gone", async () => {
    const sets = manySets(50);
    await createSets(route53, zone.hostedZoneId, sets);
    const calls = new ApiCalls();
    const read = await listRecordSets(route53, zone.hostedZoneId, calls);
    const ours = read.filter((s) => s.Type === "SRV");
    // Meanwhile, the agent moves one instance to another port and removes another.
    const moved = ours[7] as ZoneRecordSet;
    const removed = ours[20] as ZoneRecordSet;
    const movedNow = {
      ...moved,
      ResourceRecords: [{ Value: "1 1 45678 i-0123456789abcdef0.servicediscovery.internal" }],
    };
    await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone.hostedZoneId,
        ChangeBatch: {
          Changes: [
            { Action: "UPSERT", ResourceRecordSet: movedNow },
            { Action: "DELETE", ResourceRecordSet: removed },
          ],
        },
      }),
    );

    const outcome = await deleteRecordSets(route53, zone.hostedZoneId, ours, calls);

    assert.equal(outcome.deleted.length, 49);
    assert.deepEqual(
      outcome.deleted.find((s) => recordSetKey(s) === recordSetKey(moved))?.ResourceRecords,
      movedNow.ResourceRecords,
    );
    assert.deepEqual(outcome.vanished.map(recordSetKey), [recordSetKey(removed)]);
    assert.deepEqual(outcome.failed, []);
    assert.equal((await readZone(route53, zone.hostedZoneId)).size, 2);
    // One rejected batch, the rest of it, and one retry of the changed set alone (after re-reading both).
    assert.equal(calls.byOperation.ChangeResourceRecordSets, 3);
  });

  it("keeps a changed set when the caller says the change saves it", async () => {
    const [set] = manySets(1);
    await createSets(route53, zone.hostedZoneId, [set!]);
    const now = {
      ...set!,
      ResourceRecords: [{ Value: "1 1 40000 i-0123456789abcdef0.servicediscovery.internal" }],
    };
    await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone.hostedZoneId,
        ChangeBatch: { Changes: [{ Action: "UPSERT", ResourceRecordSet: now }] },
      }),
    );
    const outcome = await deleteRecordSets(route53, zone.hostedZoneId, [set!], new ApiCalls(), {
      stillDelete: (current, original) =>
        current.ResourceRecords?.[0]?.Value === original.ResourceRecords?.[0]?.Value,
    });
    assert.deepEqual(outcome.keptAfterChange.map(recordSetKey), [recordSetKey(set!)]);
    assert.ok(await readRecordSet(route53, zone.hostedZoneId, set!, new ApiCalls()));
  });

  it("backs off and completes under throttling, PriorRequestNotComplete and 5xx", async () => {
    const sets = manySets(700);
    await createSets(route53, zone.hostedZoneId, sets);
    const read = (await listRecordSets(route53, zone.hostedZoneId, new ApiCalls())).filter(
      (s) => s.Type === "SRV",
    );
    // One request a second: every request after the first in a second is throttled at least once.
    zone.setFaults({ throttleRps: 1, priorRequestNotCompleteRate: 0.3, serverErrorRate: 0.2 });
    // Back-off that can reach past the one-second refill, as the production policy's does: with delays
    // capped below it, most attempts land before a token is back and a request can run out of attempts.
    const calls = new ApiCalls({ maxAttempts: 30, baseDelayMs: 50, maxDelayMs: 2_000 });

    const outcome = await deleteRecordSets(route53, zone.hostedZoneId, read, calls);
    const listed = await listRecordSets(route53, zone.hostedZoneId, calls);

    assert.deepEqual(
      outcome.failed.slice(0, 2).map((f) => f.error),
      [],
    );
    assert.deepEqual(
      { deleted: outcome.deleted.length, vanished: outcome.vanished.length },
      { deleted: 700, vanished: 0 },
    );
    assert.equal(listed.length, 2);
    assert.ok(calls.retries > 0, "some requests were retried");
  });

  describe("verdict markers", () => {
    // One service name each, so that one name's trouble is one marker's.
    const instances = Array.from({ length: 6 }, (_, i) =>
      srvRecord({
        hostId: "i-0123456789abcdef0",
        container: i,
        hostPort: 10_000 + i,
        service: `_m${i}._tcp`,
      }),
    );
    const markers = instances.map((set, i) =>
      verdictMarker(set, { port: 10_000 + i, since: new Date(0), detail: "HTTP 500" }),
    );

    it("writes many in one request of TXT UPSERTs alone", async () => {
      const calls = new ApiCalls();
      const outcome = await upsertMarkers(route53, zone.hostedZoneId, markers, calls);
      assert.equal(outcome.written.length, 6);
      assert.equal(calls.byOperation.ChangeResourceRecordSets, 1);
      const zoneNow = await readZone(route53, zone.hostedZoneId);
      for (const m of markers) assert.ok(zoneNow.has(recordSetKey(m)));
    });

    it("fails only the marker the zone refuses, and writes the rest", async () => {
      // A customer's simple TXT set at one service name: Route53 allows one routing policy per name and type,
      // so a multivalue marker there is refused.
      const poisoned = canonicalName(markers[4]?.Name ?? "");
      const foreign = {
        Name: poisoned,
        Type: "TXT" as const,
        TTL: 60,
        ResourceRecords: [{ Value: '"v=1"' }],
      };
      const others = [...markers.slice(0, 4), ...markers.slice(5)];
      assert.ok(
        others.every((m) => canonicalName(m.Name) !== poisoned),
        "one name is poisoned",
      );
      const poisonedMarkers = markers.filter((m) => canonicalName(m.Name) === poisoned);
      await createSets(route53, zone.hostedZoneId, [foreign]);
      const calls = new ApiCalls();
      const outcome = await upsertMarkers(route53, zone.hostedZoneId, markers, calls);
      assert.deepEqual(outcome.written.map(recordSetKey).sort(), others.map(recordSetKey).sort());
      assert.deepEqual(
        outcome.failed.map((f) => recordSetKey(f.set)),
        poisonedMarkers.map(recordSetKey),
      );
      assert.match(outcome.failed[0]?.error ?? "", /^InvalidChangeBatch: /);
    });

    it("reports markers it could not write under throttling past every retry", async () => {
      // A change bucket that never holds the two changes an UPSERT counts.
      zone.setFaults({ changesPerSecond: 0.001, changeBurst: 1 });
      const calls = new ApiCalls({ maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 });
      const outcome = await upsertMarkers(route53, zone.hostedZoneId, markers.slice(0, 2), calls);
      assert.deepEqual(outcome.written, []);
      assert.equal(outcome.failed.length, 2);
      assert.equal(calls.byOperation.ChangeResourceRecordSets, 2, "one request, tried twice");
    });
  });
});
