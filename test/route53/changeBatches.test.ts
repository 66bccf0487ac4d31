// Route53's per-request limits: 1,000 values, 32,000 value characters, an UPSERT counting twice.
import assert from "node:assert/strict";
import type { RecordSet } from "../../records";
import { CHANGE_BATCH_LIMITS, type ChangeAction, firstBatch, splitIntoBatches } from "../../route53";

function srv(i: number, value = `1 1 ${1000 + i} h.servicediscovery.internal`, values = 1): RecordSet {
  return {
    Name: "_calc._tcp.servicediscovery.internal",
    Type: "SRV",
    TTL: 10,
    SetIdentifier: `ecssd1:h:${i.toString(16).padStart(24, "0")}:8081`,
    MultiValueAnswer: true,
    ResourceRecords: Array.from({ length: values }, () => ({ Value: value })),
  };
}
const changes = (action: ChangeAction, n: number, make: (i: number) => RecordSet = srv) =>
  Array.from({ length: n }, (_, i) => ({ action, recordSet: make(i) }));

describe("route53 change batches", () => {
  it("cuts batches at 1,000 changes, and UPSERTs count twice toward the record limit", () => {
    const short = (i: number): RecordSet => srv(i, "1 1 80 h.x");
    assert.equal(firstBatch(changes("CREATE", 2500, short)).length, 1000);
    assert.equal(firstBatch(changes("UPSERT", 2500, short)).length, 500);
  });

  it("cuts batches at 32,000 characters of values", () => {
    const creates = changes("CREATE", 2000);
    const batch = firstBatch(creates);
    const chars = batch.reduce((n, c) => n + (c.recordSet.ResourceRecords[0]?.Value.length ?? 0), 0);
    assert.ok(chars <= 32000 && chars + 36 > 32000, `${chars} characters in ${batch.length} changes`);
    assert.equal(firstBatch(creates, 7).length, 7);
    assert.equal(firstBatch([]).length, 0);
  });

  // Each row: the changes, and the sizes of the batches they are cut into.
  const rows: [string, ReturnType<typeof changes>, number[]][] = [
    ["nothing", [], []],
    ["1,000 one-value deletes fit one request", changes("DELETE", 1000, (i) => srv(i, "1 1 80 h.x")), [1000]],
    ["1,001 deletes need two", changes("DELETE", 1001, (i) => srv(i, "1 1 80 h.x")), [1000, 1]],
    ["500 UPSERTs are 1,000 values", changes("UPSERT", 501, (i) => srv(i, "1 1 80 h.x")), [500, 1]],
    [
      "sets of 10 values: 100 per request",
      changes("CREATE", 250, (i) => srv(i, "1 1 80 h.x", 10)),
      [100, 100, 50],
    ],
    [
      "UPSERTs of 10 values: 50 per request",
      changes("UPSERT", 120, (i) => srv(i, "1 1 80 h.x", 10)),
      [50, 50, 20],
    ],
    // 3,200 characters each: 10 fit 32,000 exactly; as UPSERTs, 5.
    ["10 creates of 3,200 characters", changes("CREATE", 21, (i) => srv(i, "x".repeat(3200))), [10, 10, 1]],
    ["5 UPSERTs of 3,200 characters", changes("UPSERT", 11, (i) => srv(i, "x".repeat(3200))), [5, 5, 1]],
    // A set over the limits on its own still goes, alone: Route53 is the judge of it.
    [
      "an oversized set goes alone",
      [...changes("CREATE", 1), ...changes("CREATE", 1, (i) => srv(i, "x".repeat(40_000)))],
      [1, 1],
    ],
  ];
  for (const [name, input, sizes] of rows) {
    it(`splits: ${name}`, () => {
      const batches = splitIntoBatches(input);
      assert.deepEqual(
        batches.map((b) => b.length),
        sizes,
      );
      assert.deepEqual(batches.flat(), input, "every change once, in order");
      for (const b of batches.filter((x) => x.length > 1)) {
        const weight = (c: (typeof input)[number]) => (c.action === "UPSERT" ? 2 : 1);
        const records = b.reduce((n, c) => n + c.recordSet.ResourceRecords.length * weight(c), 0);
        const chars = b.reduce(
          (n, c) => n + c.recordSet.ResourceRecords.reduce((m, r) => m + r.Value.length, 0) * weight(c),
          0,
        );
        assert.ok(
          records <= CHANGE_BATCH_LIMITS.resourceRecords && chars <= CHANGE_BATCH_LIMITS.valueCharacters,
        );
      }
    });
  }
});
