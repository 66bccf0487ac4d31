// The coalescer's EMF line, made from its status: what its counters added since the line before, and what it
// holds now. The core runs against the local zone with a record-set quota low enough to refuse a submission.
import assert from "node:assert/strict";
import { startStatusMetrics } from "../../coalescer/statusMetrics";
import { startLocalZone } from "../../local/zone";
import { localCoalescer } from "../kit/localCoalescer";
import { srvRecord } from "../kit/recordFixtures";
import { type EmfDocument, emfSink } from "./emfLines";

describe("metrics: the coalescer's EMF lines", function () {
  this.timeout(30_000);
  it("counts batches, changes, requests and refusals once each, and shows the zone against its quota", async () => {
    const zone = await startLocalZone({ faults: { maxRecordSetsPerZone: 4 } });
    const coalescer = localCoalescer(zone, { windowMs: 10 });
    const sink = emfSink();
    const lines = startStatusMetrics(() => coalescer.status(), {
      write: sink.write,
      enabled: true,
      everyMs: 3_600_000,
    });
    try {
      await coalescer.start();
      const set = (n: number) =>
        srvRecord({ hostId: "i-0c", container: n, hostPort: 32000 + n, zone: zone.zoneName });
      // SOA and NS are two of the four.
      await coalescer.submit("i-0c", [
        { action: "CREATE", recordSet: set(1) },
        { action: "CREATE", recordSet: set(2) },
      ]);
      await assert.rejects(coalescer.submit("i-0c", [{ action: "CREATE", recordSet: set(3) }]));
      const status = coalescer.status();
      lines.flushNow();
      lines.flushNow();
      assert.equal(sink.docs.length, 2);
      const [first, second] = sink.docs as [EmfDocument, EmfDocument];
      assert.equal(first.CoalescerBatches, 1);
      assert.equal(first.CoalescerChanges, 2);
      assert.equal(first.CoalescerRefused, status.refused);
      assert.ok(status.refused >= 1);
      assert.equal(
        first.CoalescerRoute53Requests,
        Object.values(status.requests).reduce((a, b) => a + b, 0),
      );
      assert.equal(first.CoalescerRoute53Throttled, 0);
      assert.equal(first.CoalescerQueued, 0);
      assert.equal(first.CoalescerZoneRecordSets, 4);
      assert.equal(first.CoalescerZoneRecordSetsLimit, status.recordSetLimit);
      assert.equal(first.zone, zone.zoneName);
      // Nothing happened in between: the counters add nothing, the gauges read the same.
      for (const name of [
        "CoalescerBatches",
        "CoalescerChanges",
        "CoalescerRefused",
        "CoalescerRoute53Requests",
      ])
        assert.equal(second[name], 0, name);
      assert.equal(second.CoalescerZoneRecordSets, 4);
    } finally {
      lines.stop();
      await coalescer.stop(0);
      await zone.close();
    }
  });
});
