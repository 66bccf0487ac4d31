import assert from "node:assert/strict";
import fc from "fast-check";
import { Route53Error } from "../../../local/zone/route53Errors";
import type { StoredRecordSet } from "../../../local/zone/route53Records";
import { type ChangeAction, ZoneStore } from "../../../local/zone/zoneStore";

const ZONE = "servicediscovery.internal.";

/** Plain A sets on three names with two possible values: small enough for collisions to be common. */
const arbChange = fc.record({
  action: fc.constantFrom<ChangeAction>("CREATE", "UPSERT", "DELETE"),
  host: fc.constantFrom("a", "b", "c"),
  value: fc.constantFrom("10.0.0.1", "10.0.0.2"),
});

function setOf(host: string, value: string): StoredRecordSet {
  return { name: `${host}.${ZONE}`, type: "A", ttl: 60, values: [value] };
}

function contents(store: ZoneStore, id: string): string[] {
  return store
    .listResourceRecordSets(id, { maxItems: 300 })
    .sets.filter((s) => s.type === "A")
    .map((s) => `${s.name}=${s.values.join(",")}`);
}

describe("local zone change batches (fast-check against a model)", () => {
  it("applies a batch all or nothing, exactly as Route53's sequential rules say", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(arbChange, { minLength: 1, maxLength: 5 }), { maxLength: 12 }),
        (batches) => {
          const store = new ZoneStore(5);
          const { zone } = store.createHostedZone({ name: ZONE, callerReference: "model" });
          const model = new Map<string, string>();
          for (const batch of batches) {
            // The model: each change checked against the state the earlier changes of the batch made.
            const next = new Map(model);
            let problems = 0;
            for (const { action, host, value } of batch) {
              const current = next.get(host);
              if (action === "CREATE" && current !== undefined) problems++;
              else if (action === "DELETE" && current !== value) problems++;
              else if (action === "DELETE") next.delete(host);
              else next.set(host, value);
            }
            const before = contents(store, zone.id);
            try {
              store.changeResourceRecordSets(
                zone.id,
                batch.map(({ action, host, value }) => ({ action, set: setOf(host, value) })),
              );
              assert.equal(problems, 0, "a batch the model rejects must fail");
              model.clear();
              for (const [k, v] of next) model.set(k, v);
            } catch (err) {
              if (!(err instanceof Route53Error)) throw err;
              assert.equal(err.code, "InvalidChangeBatch");
              assert.equal(err.messages?.length, problems, "one message per failing change");
              assert.deepEqual(contents(store, zone.id), before, "a failed batch changes nothing");
            }
            const expected = [...model].map(([h, v]) => `${h}.${ZONE}=${v}`).sort();
            assert.deepEqual([...contents(store, zone.id)].sort(), expected);
          }
        },
      ),
      { numRuns: 300, seed: 20261125 },
    );
  });
});
