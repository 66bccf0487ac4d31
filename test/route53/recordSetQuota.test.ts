// The record-set quota as every writer meets it: Route53's refusal of a batch that would overfill the zone is
// told apart from every other refusal (on the local zone's real answer through the real SDK, and on Route53's
// wording), the zone's usage is read with GetHostedZoneLimit, and the warning says which zone is full and
// what to do, at most once a minute per zone.
import assert from "node:assert/strict";
import { ChangeResourceRecordSetsCommand, type Route53Client } from "@aws-sdk/client-route-53";
import { type LocalZone, startLocalZone } from "../../local/zone";
import {
  hostedZoneRecordSetUsage,
  InvalidChangeBatchError,
  isRecordSetQuotaError,
  QuotaWarning,
  type RecordSetUsage,
  route53Client,
  translateError,
  ZoneBusyError,
} from "../../route53";

const ZONE = "quota.internal";

function aSet(n: number, name = `h${n}.${ZONE}`) {
  return { Name: name, Type: "A" as const, TTL: 60, ResourceRecords: [{ Value: `10.0.0.${n % 250}` }] };
}

async function send(
  client: Route53Client,
  zoneId: string,
  changes: { Action: "CREATE" | "DELETE"; set: object }[],
) {
  await client.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: {
        Changes: changes.map((c) => ({
          Action: c.Action,
          ResourceRecordSet: c.set as ReturnType<typeof aSet>,
        })),
      },
    }),
  );
}

async function refusal(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail("the zone accepted the batch");
}

describe("route53 edge: the record-set quota", () => {
  let zone: LocalZone;
  let client: Route53Client;

  before(async () => {
    // The apex SOA and NS count: 2 sets, and room for 3 more.
    zone = await startLocalZone({ zoneName: ZONE, faults: { maxRecordSetsPerZone: 5 } });
    client = route53Client({ endpoint: zone.apiUrl });
  });
  after(async () => {
    client.destroy();
    await zone.close();
  });

  it("recognises the local zone's refusal of a batch that would exceed the quota, raw and translated", async () => {
    await send(
      client,
      zone.hostedZoneId,
      [1, 2, 3].map((n) => ({ Action: "CREATE", set: aSet(n) })),
    );
    const err = await refusal(send(client, zone.hostedZoneId, [{ Action: "CREATE", set: aSet(4) }]));
    assert.equal((err as Error).name, "InvalidChangeBatch");
    assert.ok(isRecordSetQuotaError(err), (err as Error).message);
    const translated = translateError(err);
    assert.ok(translated instanceof InvalidChangeBatchError);
    assert.ok(isRecordSetQuotaError(translated));
    // Deletes still go through: a batch that adds nothing is never refused.
    await send(client, zone.hostedZoneId, [{ Action: "DELETE", set: aSet(3) }]);
    await send(client, zone.hostedZoneId, [{ Action: "CREATE", set: aSet(4) }]);
  });

  it("does not take the zone's other refusals for the quota", async () => {
    const missing = await refusal(send(client, zone.hostedZoneId, [{ Action: "DELETE", set: aSet(99) }]));
    assert.equal((missing as Error).name, "InvalidChangeBatch");
    assert.equal(isRecordSetQuotaError(missing), false);
    const tooBig = await refusal(
      send(client, zone.hostedZoneId, [
        {
          Action: "CREATE",
          set: {
            ...aSet(5),
            ResourceRecords: Array.from({ length: 1001 }, (_, i) => ({ Value: `10.1.${i >> 8}.${i & 255}` })),
          },
        },
      ]),
    );
    assert.equal(isRecordSetQuotaError(tooBig), false, (tooBig as Error).message);
  });

  it("recognises Route53's wording, and none of its other limits", () => {
    const icb = (message: string, messages?: string[]) =>
      Object.assign(new Error(message), {
        name: "InvalidChangeBatch",
        $fault: "client",
        ...(messages && { messages }),
      });
    const quota = [
      icb("[Exceeded limit on number of RRSets in this zone.]"),
      icb("[Exceeded limit on number of resource record sets in this hosted zone.]"),
      icb("[RRSet ...]", ["Exceeded limit on number of RRSets in this zone."]),
      icb("The hosted zone has reached its limit (MAX_RRSETS_BY_ZONE)"),
      icb('Request a higher "Records per hosted zone" quota'),
      new InvalidChangeBatchError("Exceeded limit on number of RRSets in this zone.", { cause: icb("x") }),
    ];
    for (const err of quota) assert.ok(isRecordSetQuotaError(err), err.message);
    const others = [
      // The per-name limit (airbnb/zonify#16) and the per-request one (DNSControl/dnscontrol#1114).
      icb("Exceeded limit on number of weighted RRSets for default.sg.msphere.co., type CNAME in this zone."),
      icb("[Number of records limit of 1000 exceeded.]"),
      icb("[Tried to delete resource record set [name='a.zone.', type='A'] but it was not found]"),
      // Not a refused batch, whatever it says.
      Object.assign(new Error("Exceeded limit on number of RRSets in this zone"), { name: "Throttling" }),
      new ZoneBusyError("Exceeded limit on number of RRSets in this zone", true),
      "Exceeded limit on number of RRSets in this zone",
      undefined,
    ];
    for (const err of others)
      assert.equal(isRecordSetQuotaError(err), false, String((err as Error)?.message ?? err));
  });

  it("reads the zone's record sets against its quota with GetHostedZoneLimit", async () => {
    assert.deepEqual(await hostedZoneRecordSetUsage(client, zone.hostedZoneId), { used: 5, limit: 5 });
    zone.setFaults({ maxRecordSetsPerZone: 20 });
    assert.deepEqual(await hostedZoneRecordSetUsage(client, zone.hostedZoneId), { used: 5, limit: 20 });
    zone.setFaults({});
    // Nothing enforced: Route53's default, 10,000.
    assert.deepEqual(await hostedZoneRecordSetUsage(client, zone.hostedZoneId), { used: 5, limit: 10_000 });
  });
});

describe("route53 edge: QuotaWarning", () => {
  function recording() {
    const lines: { obj: Record<string, unknown>; msg: string }[] = [];
    return { lines, log: { warn: (obj: object, msg: string) => void lines.push({ obj: { ...obj }, msg }) } };
  }
  const zoneA = { name: "a.internal.", id: "ZA" };

  it("says which zone is full, how full, and what to do, at most once a minute per zone", async () => {
    let now = 0;
    let asked = 0;
    const usage = async (): Promise<RecordSetUsage> => {
      asked++;
      return { used: 10_000, limit: 10_000 };
    };
    const r = recording();
    const warning = new QuotaWarning(r.log, { now: () => now });
    assert.ok(await warning.report(zoneA, usage));
    for (now = 1_000; now < 60_000; now += 10_000)
      assert.equal(await warning.report(zoneA, usage), undefined);
    assert.ok(await warning.report({ name: "b.internal.", id: "ZB" }), "another zone has its own minute");
    now = 60_000;
    assert.ok(await warning.report(zoneA, usage));
    assert.equal(asked, 2, "GetHostedZoneLimit is asked only for a line that is logged");
    assert.deepEqual(
      r.lines.map((l) => l.msg),
      [
        'zone a.internal. (ZA) is full: 10000 of 10000 record sets; raise the "Records per hosted zone" quota of the zone (Service Quotas or AWS Support) or remove record sets',
        'zone b.internal. (ZB) is full; raise the "Records per hosted zone" quota of the zone (Service Quotas or AWS Support) or remove record sets',
        'zone a.internal. (ZA) is full: 10000 of 10000 record sets; raise the "Records per hosted zone" quota of the zone (Service Quotas or AWS Support) or remove record sets',
      ],
    );
    assert.deepEqual(r.lines[0]?.obj, {
      action: "record-set-quota",
      zone: "a.internal.",
      zoneId: "ZA",
      used: 10_000,
      limit: 10_000,
    });
    assert.equal(r.lines[2]?.obj.suppressed, 6, "the refusals between two lines are counted");
  });

  it("leaves the figures out when GetHostedZoneLimit cannot be asked", async () => {
    const r = recording();
    const denied = Object.assign(new Error("not authorized to perform route53:GetHostedZoneLimit"), {
      name: "AccessDenied",
    });
    assert.deepEqual(await new QuotaWarning(r.log).report(zoneA, () => Promise.reject(denied)), {});
    assert.deepEqual(r.lines[0]?.obj, { action: "record-set-quota", zone: "a.internal.", zoneId: "ZA" });
    assert.match(r.lines[0]?.msg ?? "", /^zone a\.internal\. \(ZA\) is full; raise/);
  });
});
