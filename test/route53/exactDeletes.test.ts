// deleteExactly, the one "delete exactly these sets" of the tree: requests of DELETEs alone within Route53's
// limits, a rejected batch either settled (the sets that no longer match re-read and deleted as they are now)
// or reported, and other errors reported or thrown, as each caller asks. Against SDK doubles that reject a
// DELETE whose values differ from the stored set's, as Route53 does.
import assert from "node:assert/strict";
import {
  type Change,
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from "@aws-sdk/client-route-53";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { recordSetKey, type ZoneRecordSet } from "../../records";
import { deleteExactly, exactDeleteBatches } from "../../route53";

const srv = (i: number, port = 1000 + i): ZoneRecordSet => ({
  Name: "_svc._tcp.z.internal",
  Type: "SRV",
  SetIdentifier: `ecssd1:i-0123456789abcdef0:${i.toString(16).padStart(24, "0")}:80`,
  TTL: 10,
  MultiValueAnswer: true,
  ResourceRecords: [{ Value: `1 1 ${port} h.z.internal` }],
});
describe("route53 exact deletes (SDK doubles)", () => {
  let r53Mock: AwsClientStub<Route53Client>;
  /** The stored sets, by SetIdentifier; a DELETE that does not match one is rejected, naming it. */
  let zone: Map<string, ZoneRecordSet>;
  let requests: Change[][];
  let failWith: Error | undefined;
  before(() => {
    r53Mock = mockClient(Route53Client);
  });
  beforeEach(() => {
    requests = [];
    failWith = undefined;
    r53Mock.reset();
    r53Mock.on(ChangeResourceRecordSetsCommand).callsFake((input) => {
      const changes = input.ChangeBatch.Changes as Change[];
      requests.push(changes);
      if (failWith) throw failWith;
      for (const c of changes) {
        const s = c.ResourceRecordSet!;
        const stored = zone.get(s.SetIdentifier!);
        if (
          c.Action === "DELETE" &&
          JSON.stringify(stored?.ResourceRecords) !== JSON.stringify(s.ResourceRecords)
        ) {
          throw Object.assign(
            new Error(
              `[Tried to delete resource record set [name='${s.Name}.', type='${s.Type}', set-identifier='${s.SetIdentifier}'] but the values provided do not match the current values]`,
            ),
            { name: "InvalidChangeBatch" },
          );
        }
      }
      for (const c of changes) {
        const s = c.ResourceRecordSet as ZoneRecordSet;
        if (c.Action === "DELETE") zone.delete(s.SetIdentifier);
        else zone.set(s.SetIdentifier, s);
      }
      return { ChangeInfo: { Id: "c", Status: "PENDING", SubmittedAt: new Date() } };
    });
    r53Mock.on(ListResourceRecordSetsCommand).callsFake((input) => ({
      ResourceRecordSets: [...zone.values()].filter((s) => s.SetIdentifier === input.StartRecordIdentifier),
      IsTruncated: false,
    }));
  });
  after(() => r53Mock.restore());
  const client = () => new Route53Client({ region: "us-east-1" });
  const reads = () => r53Mock.commandCalls(ListResourceRecordSetsCommand).length;

  it("settles a rejected batch: the named set is re-read and deleted as it is now, the rest sent again", async () => {
    const sets = [0, 1, 2, 3].map((i) => srv(i));
    zone = new Map(sets.map((s) => [s.SetIdentifier, s]));
    const moved = srv(2, 4242);
    zone.set(moved.SetIdentifier, moved);

    const outcome = await deleteExactly(
      client(),
      "Z1",
      sets.map((set) => ({ set })),
      { comment: "t", stillDelete: () => true },
    );

    assert.deepEqual(
      outcome.deleted.map((s) => s.ResourceRecords[0]?.Value),
      ["1 1 4242 h.z.internal", "1 1 1000 h.z.internal", "1 1 1001 h.z.internal", "1 1 1003 h.z.internal"],
    );
    assert.deepEqual(outcome.failed, []);
    assert.deepEqual([...zone.keys()], [], "every set is out");
    // The rejected batch, the changed set alone, and the rest of the batch: DELETEs alone, every one.
    assert.equal(requests.length, 3);
    assert.deepEqual(
      requests.map((r) => r.length),
      [4, 1, 3],
    );
    for (const r of requests) assert.deepEqual([...new Set(r.map((c) => c.Action))], ["DELETE"]);
    assert.equal(reads(), 1);
  });

  it("keeps a changed set when stillDelete says so, and counts one already gone as vanished", async () => {
    const sets = [0, 1, 2].map((i) => srv(i));
    zone = new Map(sets.map((s) => [s.SetIdentifier, s]));
    zone.set(sets[0]!.SetIdentifier, srv(0, 5555));
    zone.delete(sets[1]!.SetIdentifier);

    const outcome = await deleteExactly(
      client(),
      "Z1",
      sets.map((set) => ({ set })),
      { comment: "t", stillDelete: () => false },
    );

    assert.deepEqual(outcome.keptAfterChange.map(recordSetKey), [recordSetKey(sets[0]!)]);
    assert.deepEqual(outcome.vanished.map(recordSetKey), [recordSetKey(sets[1]!)]);
    assert.deepEqual(outcome.deleted.map(recordSetKey), [recordSetKey(sets[2]!)]);
  });

  it("without stillDelete, reports the sets of a rejected batch and sends nothing more", async () => {
    const sets = [0, 1].map((i) => srv(i));
    zone = new Map([[sets[0]!.SetIdentifier, sets[0]!]]);

    const outcome = await deleteExactly(
      client(),
      "Z1",
      sets.map((set) => ({ set })),
      { comment: "t" },
    );

    assert.deepEqual(
      outcome.failed.map((f) => recordSetKey(f.set)),
      sets.map(recordSetKey),
    );
    assert.equal((outcome.failed[0]?.cause as Error | undefined)?.name, "InvalidChangeBatch");
    assert.match(outcome.failed[0]?.error ?? "", /^InvalidChangeBatch: /);
    assert.deepEqual(outcome.deleted, []);
    assert.equal(requests.length, 1);
    assert.equal(reads(), 0);
  });

  it("throws any other error, unless asked to report it and go on with the next batch", async () => {
    const sets = [0, 1].map((i) => srv(i));
    zone = new Map(sets.map((s) => [s.SetIdentifier, s]));
    failWith = Object.assign(new Error("Rate exceeded"), { name: "AccessDenied" });
    const deletes = sets.map((set) => ({ set }));
    await assert.rejects(deleteExactly(client(), "Z1", deletes, { comment: "t" }), /Rate exceeded/);

    const outcome = await deleteExactly(client(), "Z1", deletes, {
      comment: "t",
      perBatch: 1,
      reportFailures: true,
    });
    assert.equal(outcome.failed.length, 2, "both batches were tried");
    assert.equal(requests.length, 3);
  });

  it("cuts deletes into batches within the limits and perBatch", () => {
    const deletes = Array.from({ length: 120 }, (_, i) => ({ set: srv(i) }));
    assert.deepEqual(
      exactDeleteBatches(deletes, 50).map((b) => b.length),
      [50, 50, 20],
    );
    // 1,000 changes at most.
    const many = Array.from({ length: 1_200 }, (_, i) => ({ set: srv(i) }));
    assert.deepEqual(
      exactDeleteBatches(many).map((b) => b.length),
      [1_000, 200],
    );
    assert.deepEqual(exactDeleteBatches([]), []);
  });
});
