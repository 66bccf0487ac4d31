import assert from "node:assert/strict";
import { diffRecordSets, firstBatch, sameRecordSet } from "../../agent/recordSetDiff";
import type { RecordChange } from "../../agent/zoneWriter";
import type { RecordSet } from "../../records";
import { recordSetKey } from "../../records";

function srv(i: number, port = 1000 + i): RecordSet {
  return {
    Name: "_calc._tcp.servicediscovery.internal",
    Type: "SRV",
    TTL: 10,
    SetIdentifier: `ecssd1:h:${i.toString(16).padStart(24, "0")}:8081`,
    MultiValueAnswer: true,
    ResourceRecords: [{ Value: `1 1 ${port} h.servicediscovery.internal` }],
  };
}
const byKey = (sets: RecordSet[]) => new Map(sets.map((s) => [recordSetKey(s), s]));

describe("agent record set diff", () => {
  it("creates what is missing, updates what differs, deletes what is extra — deletions first", () => {
    const changes = diffRecordSets(byKey([srv(1), srv(2, 5), srv(4)]), byKey([srv(2), srv(3), srv(4)]));
    assert.deepEqual(
      changes.map((c) => [c.action, c.recordSet.SetIdentifier.split(":")[2]?.slice(-1)]),
      [
        ["DELETE", "3"],
        ["CREATE", "1"],
        ["UPSERT", "2"],
      ],
    );
  });

  it("treats a trailing dot and case in SRV targets as the same record", () => {
    const a = srv(1);
    const b = {
      ...srv(1),
      Name: "_CALC._tcp.servicediscovery.internal.",
      ResourceRecords: [{ Value: "1 1 1001 H.servicediscovery.internal." }],
    };
    assert.ok(sameRecordSet(a, b));
    assert.ok(!sameRecordSet(a, { ...a, TTL: 60 }));
  });

  it("cuts batches at 1,000 changes, and UPSERTs count twice toward the record limit", () => {
    const short = (i: number): RecordSet => ({ ...srv(i), ResourceRecords: [{ Value: "1 1 80 h.x" }] });
    const creates: RecordChange[] = Array.from({ length: 2500 }, (_, i) => ({
      action: "CREATE",
      recordSet: short(i),
    }));
    assert.equal(firstBatch(creates).length, 1000);
    const upserts: RecordChange[] = creates.map((c) => ({ ...c, action: "UPSERT" }));
    assert.equal(firstBatch(upserts).length, 500);
  });

  it("cuts batches at 32,000 characters of values", () => {
    const creates: RecordChange[] = Array.from({ length: 2000 }, (_, i) => ({
      action: "CREATE",
      recordSet: srv(i),
    }));
    const batch = firstBatch(creates);
    const chars = batch.reduce((n, c) => n + (c.recordSet.ResourceRecords[0]?.Value.length ?? 0), 0);
    assert.ok(chars <= 32000 && chars + 36 > 32000, `${chars} characters in ${batch.length} changes`);
    assert.equal(firstBatch(creates, 7).length, 7);
    assert.equal(firstBatch([]).length, 0);
  });
});
