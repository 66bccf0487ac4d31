// The pager: every page, names canonical (Route53's `\ooo` escapes decoded), a start position, every
// request through the caller's wrapper, and an error instead of an endless loop when paging makes no
// progress. Against SDK doubles (to shape pages as Route53 does) and the local zone.
import assert from "node:assert/strict";
import {
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  Route53Client,
} from "@aws-sdk/client-route-53";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { type LocalZone, startLocalZone } from "../../local/zone";
import {
  listZoneRecordSets,
  type Route53Call,
  recordSetPages,
  route53Client,
  toRoute53,
  ZoneRecordsError,
} from "../../route53";

describe("route53 pager (SDK doubles)", () => {
  let r53Mock: AwsClientStub<Route53Client>;
  before(() => {
    r53Mock = mockClient(Route53Client);
  });
  afterEach(() => r53Mock.reset());
  after(() => r53Mock.restore());
  const client = () => new Route53Client({ region: "us-east-1" });

  it("decodes Route53's octal escapes and makes names canonical", async () => {
    r53Mock.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [
        { Name: "\\052.Wild.Z.Internal.", Type: "A", TTL: 60, ResourceRecords: [{ Value: "10.0.0.1" }] },
        {
          Name: "_Calc._tcp.z.internal.",
          Type: "SRV",
          TTL: 10,
          SetIdentifier: "ecssd1:h",
          Weight: 3,
          ResourceRecords: [{ Value: "1 1 80 h.z.internal." }],
        },
        {
          Name: "alias.z.internal.",
          Type: "A",
          AliasTarget: { HostedZoneId: "Z2", DNSName: "elb.example.", EvaluateTargetHealth: false },
        },
      ],
      IsTruncated: false,
    });
    const sets = await listZoneRecordSets(client(), "Z1");
    assert.deepEqual(
      sets.map((s) => [s.Name, s.Type, s.SetIdentifier]),
      [
        ["*.wild.z.internal", "A", ""],
        ["_calc._tcp.z.internal", "SRV", "ecssd1:h"],
        ["alias.z.internal", "A", ""],
      ],
    );
    assert.equal(sets[1]?.Weight, 3);
    assert.deepEqual(sets[2]?.ResourceRecords, []);
    // Back to Route53's shape exactly as read: an alias keeps its target and gets no TTL or values.
    assert.deepEqual(toRoute53(sets[2]!), {
      Name: "alias.z.internal",
      Type: "A",
      AliasTarget: { HostedZoneId: "Z2", DNSName: "elb.example.", EvaluateTargetHealth: false },
    });
  });

  it("stops with an error when a truncated page gives no new place to continue from", async () => {
    const one: ResourceRecordSet = {
      Name: "a.z.internal.",
      Type: "A",
      TTL: 1,
      ResourceRecords: [{ Value: "10.0.0.1" }],
    };
    r53Mock.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [one], IsTruncated: true });
    await assert.rejects(listZoneRecordSets(client(), "Z1"), ZoneRecordsError);

    r53Mock.reset();
    // A server that hands back the very place it was asked to start from.
    r53Mock.on(ListResourceRecordSetsCommand).callsFake((input) => ({
      ResourceRecordSets: [one],
      IsTruncated: true,
      NextRecordName: input.StartRecordName ?? "a.z.internal.",
      NextRecordType: input.StartRecordType ?? "A",
    }));
    await assert.rejects(
      listZoneRecordSets(client(), "Z1"),
      (err: Error) =>
        err instanceof ZoneRecordsError && /gave no new place to continue from/.test(err.message),
    );
  });

  it("starts where asked, sends every request through the caller's wrapper, and stops when the caller does", async () => {
    r53Mock.on(ListResourceRecordSetsCommand).callsFake((input) => ({
      ResourceRecordSets: [
        { Name: `${input.StartRecordName}.`, Type: "A", TTL: 1, ResourceRecords: [{ Value: "10.0.0.1" }] },
      ],
      IsTruncated: true,
      NextRecordName: `x${input.StartRecordName}`,
      NextRecordType: "A",
    }));
    const seen: string[] = [];
    const call: Route53Call = (operation, send) => {
      seen.push(operation);
      return send();
    };
    const names: string[] = [];
    for await (const rs of recordSetPages(client(), "Z1", { start: { name: "b.z.internal" }, call })) {
      names.push(rs.Name);
      if (names.length === 3) break;
    }
    assert.deepEqual(names, ["b.z.internal", "xb.z.internal", "xxb.z.internal"]);
    assert.deepEqual(seen, ["ListResourceRecordSets", "ListResourceRecordSets", "ListResourceRecordSets"]);
    assert.equal(
      r53Mock.commandCalls(ListResourceRecordSetsCommand)[0]?.args[0].input.StartRecordName,
      "b.z.internal",
    );

    const firstPageOnly: string[] = [];
    for await (const rs of recordSetPages(client(), "Z1", { start: { name: "c.z.internal" }, maxPages: 1 }))
      firstPageOnly.push(rs.Name);
    assert.deepEqual(firstPageOnly, ["c.z.internal"]);
  });
});

describe("route53 pager (local zone)", function () {
  this.timeout(30_000);
  let zone: LocalZone;
  before(async () => {
    zone = await startLocalZone();
  });
  after(async () => zone?.close());

  it("reads a zone of 650 record sets in pages of 300, foreign types included", async () => {
    const client = route53Client({ endpoint: zone.apiUrl });
    try {
      const sets = Array.from({ length: 650 }, (_, i) => ({
        Name: `h${i}.servicediscovery.internal`,
        Type: "A" as const,
        TTL: 60,
        SetIdentifier: `ecssd1:h${i}`,
        MultiValueAnswer: true,
        ResourceRecords: [{ Value: "10.0.0.1" }],
      }));
      for (let i = 0; i < sets.length; i += 300) {
        await client.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: zone.hostedZoneId,
            ChangeBatch: {
              Changes: sets
                .slice(i, i + 300)
                .map((s) => ({ Action: "CREATE", ResourceRecordSet: toRoute53(s) })),
            },
          }),
        );
      }
      let requests = 0;
      const read = await listZoneRecordSets(client, zone.hostedZoneId, {
        call: (_op, send) => {
          requests++;
          return send();
        },
      });
      assert.equal(read.length, 650 + 2); // + the zone's SOA and NS
      assert.deepEqual(read.filter((s) => s.Type === "SOA" || s.Type === "NS").length, 2);
      assert.equal(requests, Math.ceil(652 / 300));
      assert.ok(read.every((s) => s.Name === s.Name.toLowerCase() && !s.Name.endsWith(".")));
      assert.deepEqual(
        read.find((s) => s.Name === "h7.servicediscovery.internal"),
        sets[7],
      );
    } finally {
      client.destroy();
    }
  });
});
