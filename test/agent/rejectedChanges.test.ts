// The memory of changes the zone refuses on their own: bounded by a cap (oldest forgotten first) and by
// what is still pending.
import assert from "node:assert/strict";
import { RejectedChanges } from "../../agent/rejectedChanges";
import type { RecordChange } from "../../agent/zoneWriter";

function change(port: number): RecordChange {
  return {
    action: "UPSERT",
    recordSet: {
      Name: "_calc._tcp.servicediscovery.internal",
      Type: "SRV",
      TTL: 10,
      SetIdentifier: `ecssd1:h1:${"ab".repeat(12)}:8080`,
      MultiValueAnswer: true,
      ResourceRecords: [{ Value: `1 1 ${port} h1.servicediscovery.internal` }],
    },
  };
}

/** The default cap, as agent/README.md documents it. */
const DOCUMENTED_CAP = 1_000;

describe("agent rejected changes", () => {
  it("remembers a change by what it does, and evicts the oldest beyond the cap", () => {
    const rejected = new RejectedChanges(2);
    assert.equal(rejected.remember(change(1)), false);
    assert.ok(rejected.has(change(1)), "an equal change is the same rejection");
    assert.ok(!rejected.has(change(2)));
    assert.equal(rejected.remember(change(2)), false);
    assert.equal(rejected.remember(change(3)), true, "the third pushes the first out");
    assert.deepEqual(
      [1, 2, 3].map((p) => rejected.has(change(p))),
      [false, true, true],
    );
    assert.equal(rejected.size, 2);
  });

  it("keeps at most 1,000 by default", () => {
    const rejected = new RejectedChanges();
    for (let p = 1; p <= DOCUMENTED_CAP; p++) assert.equal(rejected.remember(change(p)), false);
    assert.equal(rejected.remember(change(DOCUMENTED_CAP + 1)), true);
    assert.equal(rejected.size, DOCUMENTED_CAP);
  });

  it("forgets what is no longer pending, and computes nothing while it remembers nothing", () => {
    const rejected = new RejectedChanges();
    let computed = 0;
    rejected.keepPending(() => {
      computed++;
      return [];
    });
    assert.equal(computed, 0);
    rejected.remember(change(1));
    rejected.remember(change(2));
    rejected.keepPending(() => [change(2), change(3)]);
    assert.deepEqual(
      [1, 2, 3].map((p) => rejected.has(change(p))),
      [false, true, false],
    );
  });
});
