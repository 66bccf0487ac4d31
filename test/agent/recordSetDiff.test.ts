import assert from "node:assert/strict";
import { diffRecordSets, sameRecordSet } from "../../agent/recordSetDiff";
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
});
