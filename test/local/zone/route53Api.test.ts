import assert from "node:assert/strict";
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  type ResourceRecordSet,
  type Route53Client,
} from "@aws-sdk/client-route-53";
import { type LocalZone, startLocalZone } from "../../../local/zone";
import { aSet, change, fqdn, rejection, route53For, srvSet } from "./localZoneHarness";

async function listAll(client: Route53Client, zone: LocalZone): Promise<ResourceRecordSet[]> {
  const out: ResourceRecordSet[] = [];
  let start: { name?: string; type?: string; id?: string } = {};
  for (let page = 0; page < 100; page++) {
    const r = await client.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: zone.hostedZoneId,
        StartRecordName: start.name,
        StartRecordType: start.type as never,
        StartRecordIdentifier: start.id,
      }),
    );
    out.push(...(r.ResourceRecordSets ?? []));
    if (!r.IsTruncated) return out;
    start = { name: r.NextRecordName, type: r.NextRecordType, id: r.NextRecordIdentifier };
  }
  throw new Error("more than 100 pages");
}

describe("local zone Route53 API (through @aws-sdk/client-route-53)", () => {
  let zone: LocalZone;
  let client: Route53Client;

  beforeEach(async () => {
    zone = await startLocalZone();
    client = route53For(zone);
  });
  afterEach(async () => {
    client.destroy();
    await zone.close();
  });

  it("starts with a private hosted zone holding its SOA and NS record sets", async () => {
    const got = await client.send(new GetHostedZoneCommand({ Id: `/hostedzone/${zone.hostedZoneId}` }));
    assert.equal(got.HostedZone?.Id, `/hostedzone/${zone.hostedZoneId}`);
    assert.equal(got.HostedZone?.Name, "servicediscovery.internal.");
    assert.equal(got.HostedZone?.Config?.PrivateZone, true);
    assert.match(zone.hostedZoneId, /^Z[0-9A-Z]+$/);
    const sets = await listAll(client, zone);
    assert.deepEqual(
      sets.map((s) => [s.Name, s.Type]),
      [
        ["servicediscovery.internal.", "NS"],
        ["servicediscovery.internal.", "SOA"],
      ],
    );
  });

  it("creates, upserts and deletes record sets, returning names with a trailing dot", async () => {
    const name = fqdn(zone, "Host1").replace(/\.$/, "");
    await change(client, zone, [{ Action: "CREATE", ResourceRecordSet: aSet(name, "10.0.0.1") }]);
    await change(client, zone, [{ Action: "UPSERT", ResourceRecordSet: aSet(name, "10.0.0.2", 30) }]);
    let sets = await listAll(client, zone);
    const host = sets.find((s) => s.Type === "A");
    assert.deepEqual(host, {
      Name: "host1.servicediscovery.internal.",
      Type: "A",
      TTL: 30,
      ResourceRecords: [{ Value: "10.0.0.2" }],
    });
    await change(client, zone, [{ Action: "DELETE", ResourceRecordSet: aSet(name, "10.0.0.2", 30) }]);
    sets = await listAll(client, zone);
    assert.equal(sets.filter((s) => s.Type === "A").length, 0);
  });

  it("reports every problem of a failed batch and applies none of its changes", async () => {
    await change(client, zone, [
      { Action: "CREATE", ResourceRecordSet: aSet(fqdn(zone, "taken"), "10.0.0.1") },
    ]);
    const err = await rejection(
      change(client, zone, [
        { Action: "CREATE", ResourceRecordSet: aSet(fqdn(zone, "fresh"), "10.0.0.9") },
        { Action: "CREATE", ResourceRecordSet: aSet(fqdn(zone, "taken"), "10.0.0.2") },
        { Action: "DELETE", ResourceRecordSet: aSet(fqdn(zone, "missing"), "10.0.0.3") },
        { Action: "CREATE", ResourceRecordSet: aSet(fqdn(zone, "bad"), "10.0.0.256") },
      ]),
    );
    assert.equal(err.name, "InvalidChangeBatch");
    assert.equal(err.$metadata?.httpStatusCode, 400);
    assert.equal(err.messages?.length, 3);
    assert.match(
      err.messages![0]!,
      /Tried to create resource record set \[name='taken\.servicediscovery\.internal\.', type='A'\] but it already exists/,
    );
    assert.match(err.messages![1]!, /Tried to delete resource record set .*missing.* but it was not found/);
    assert.match(err.messages![2]!, /ARRDATAIllegalIPv4Address.*10\.0\.0\.256/);
    const names = (await listAll(client, zone)).map((s) => s.Name);
    assert.ok(
      !names.includes("fresh.servicediscovery.internal."),
      "the valid change of a failed batch must not apply",
    );
  });

  it("refuses a DELETE whose TTL, values or routing fields differ from the current set", async () => {
    const name = fqdn(zone, "_calc._tcp");
    await change(client, zone, [
      { Action: "CREATE", ResourceRecordSet: srvSet(name, "i-1", "1 1 8080 h1.servicediscovery.internal") },
    ]);
    for (const wrong of [
      srvSet(name, "i-1", "1 1 8081 h1.servicediscovery.internal"),
      srvSet(name, "i-1", "1 1 8080 h1.servicediscovery.internal", { TTL: 11 }),
    ]) {
      const err = await rejection(change(client, zone, [{ Action: "DELETE", ResourceRecordSet: wrong }]));
      assert.equal(err.name, "InvalidChangeBatch");
      assert.match(err.message, /values provided do not match the current values/);
    }
    await change(client, zone, [
      { Action: "DELETE", ResourceRecordSet: srvSet(name, "i-1", "1 1 8080 h1.servicediscovery.internal") },
    ]);
  });

  it("lets one batch replace a set (DELETE then CREATE of the same name and type)", async () => {
    const name = fqdn(zone, "swap");
    await change(client, zone, [{ Action: "CREATE", ResourceRecordSet: aSet(name, "10.0.0.1") }]);
    await change(client, zone, [
      { Action: "DELETE", ResourceRecordSet: aSet(name, "10.0.0.1") },
      { Action: "CREATE", ResourceRecordSet: aSet(name, "10.0.0.2") },
    ]);
    const set = (await listAll(client, zone)).find((s) => s.Name === name);
    assert.deepEqual(set?.ResourceRecords, [{ Value: "10.0.0.2" }]);
  });

  it("does not let a name and type mix a simple set with SetIdentifier sets, or mix routing policies", async () => {
    const name = fqdn(zone, "_mix._tcp");
    await change(client, zone, [
      { Action: "CREATE", ResourceRecordSet: srvSet(name, "a", "1 1 80 h.servicediscovery.internal") },
    ]);
    const simple = await rejection(
      change(client, zone, [
        {
          Action: "CREATE",
          ResourceRecordSet: {
            Name: name,
            Type: "SRV",
            TTL: 10,
            ResourceRecords: [{ Value: "1 1 81 h.servicediscovery.internal" }],
          },
        },
      ]),
    );
    assert.equal(simple.name, "InvalidChangeBatch");
    const weighted = await rejection(
      change(client, zone, [
        {
          Action: "CREATE",
          ResourceRecordSet: {
            Name: name,
            Type: "SRV",
            SetIdentifier: "b",
            Weight: 5,
            TTL: 10,
            ResourceRecords: [{ Value: "1 1 82 h.servicediscovery.internal" }],
          },
        },
      ]),
    );
    assert.equal(weighted.name, "InvalidChangeBatch");
    assert.match(weighted.message, /cannot mix routing policies/);
  });

  it("rejects malformed SRV values with a message naming the value", async () => {
    for (const value of [
      "1 1 8080",
      "1 1 70000 h.servicediscovery.internal",
      "x 1 80 h.servicediscovery.internal",
      "1 1 80 bad..name",
    ]) {
      const err = await rejection(
        change(client, zone, [
          { Action: "CREATE", ResourceRecordSet: srvSet(fqdn(zone, "_s._tcp"), "a", value) },
        ]),
      );
      assert.equal(err.name, "InvalidChangeBatch", value);
      assert.ok(err.message.includes(value), `${err.message} should quote ${value}`);
    }
  });

  it("answers InvalidInput for structural problems and InvalidChangeBatch for names outside the zone", async () => {
    const noPolicy = await rejection(
      change(client, zone, [
        {
          Action: "CREATE",
          ResourceRecordSet: {
            ...srvSet(fqdn(zone, "_a._tcp"), "a", "1 1 1 h.x"),
            MultiValueAnswer: undefined,
          },
        },
      ]),
    );
    assert.equal(noPolicy.name, "InvalidInput");
    const outside = await rejection(
      change(client, zone, [{ Action: "CREATE", ResourceRecordSet: aSet("www.example.com", "10.0.0.1") }]),
    );
    assert.equal(outside.name, "InvalidChangeBatch");
    assert.match(outside.message, /not permitted in zone servicediscovery\.internal\./);
  });

  it("enforces the 1,000-record batch limit (UPSERT counting twice) and 100 sets per name and type", async () => {
    const upserts = Array.from({ length: 501 }, (_, i) => ({
      Action: "UPSERT" as const,
      ResourceRecordSet: aSet(fqdn(zone, `h${i}`), "10.0.0.1"),
    }));
    const tooMany = await rejection(change(client, zone, upserts));
    assert.equal(tooMany.name, "InvalidChangeBatch");
    await change(client, zone, upserts.slice(0, 500));

    const name = fqdn(zone, "_many._tcp");
    const sets = Array.from({ length: 101 }, (_, i) => ({
      Action: "CREATE" as const,
      ResourceRecordSet: srvSet(name, `i-${i}`, `1 1 ${1000 + i} h.servicediscovery.internal`),
    }));
    const overLimit = await rejection(change(client, zone, sets));
    assert.equal(overLimit.name, "InvalidChangeBatch");
    assert.match(overLimit.message, /limit of 100/);
    await change(client, zone, sets.slice(0, 100));
  });

  it("lists in DNS canonical order and pages through more than 300 sets, many sharing one name and type", async () => {
    const srv = fqdn(zone, "_calc._tcp");
    const creates = [
      ...Array.from({ length: 100 }, (_, i) =>
        srvSet(srv, `host-${String(i).padStart(3, "0")}`, `1 1 ${2000 + i} h.servicediscovery.internal`),
      ),
      ...Array.from({ length: 250 }, (_, i) => aSet(fqdn(zone, `h${i}.hosts`), "10.0.0.1")),
      aSet(fqdn(zone, "a"), "10.0.0.1"),
      aSet(fqdn(zone, "z.a"), "10.0.0.1"),
      { Name: fqdn(zone, "a"), Type: "TXT" as const, TTL: 60, ResourceRecords: [{ Value: '"hello"' }] },
    ];
    await change(
      client,
      zone,
      creates.map((s) => ({ Action: "CREATE" as const, ResourceRecordSet: s })),
    );

    const first = await client.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zone.hostedZoneId, MaxItems: 50 }),
    );
    assert.equal(first.ResourceRecordSets?.length, 50);
    assert.equal(first.IsTruncated, true);
    const page = await client.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: zone.hostedZoneId,
        StartRecordName: srv,
        StartRecordType: "SRV",
        StartRecordIdentifier: "host-050",
        MaxItems: 10,
      }),
    );
    assert.equal(page.ResourceRecordSets?.[0]?.SetIdentifier, "host-050");
    assert.equal(page.NextRecordName, srv);
    assert.equal(page.NextRecordIdentifier, "host-060");

    const all = await listAll(client, zone);
    assert.equal(all.length, 2 + creates.length);
    const keys = all.map((s) => `${s.Name} ${s.Type} ${s.SetIdentifier ?? ""}`);
    assert.equal(new Set(keys).size, keys.length, "no set may appear on two pages");
    const reversed = (n: string) => n.slice(0, -1).split(".").reverse().join(".") + ".";
    const sorted = [...all].sort(
      (x, y) =>
        (reversed(x.Name!) < reversed(y.Name!) ? -1 : reversed(x.Name!) > reversed(y.Name!) ? 1 : 0) ||
        (x.Type! < y.Type! ? -1 : x.Type! > y.Type! ? 1 : 0) ||
        ((x.SetIdentifier ?? "") < (y.SetIdentifier ?? "") ? -1 : 1),
    );
    assert.deepEqual(
      keys,
      sorted.map((s) => `${s.Name} ${s.Type} ${s.SetIdentifier ?? ""}`),
    );
    // a. before a.z (labels reversed), A before TXT at one name.
    assert.ok(
      keys.indexOf("a.servicediscovery.internal. A ") < keys.indexOf("a.servicediscovery.internal. TXT "),
    );
    assert.ok(
      keys.indexOf("a.servicediscovery.internal. TXT ") < keys.indexOf("z.a.servicediscovery.internal. A "),
    );
  });

  it("caps a page at 300 record sets", async () => {
    await change(
      client,
      zone,
      Array.from({ length: 320 }, (_, i) => ({
        Action: "CREATE" as const,
        ResourceRecordSet: aSet(fqdn(zone, `n${i}`), "10.0.0.1"),
      })),
    );
    const r = await client.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zone.hostedZoneId, MaxItems: 1000 }),
    );
    assert.equal(r.ResourceRecordSets?.length, 300);
    assert.equal(r.IsTruncated, true);
  });

  it("answers NoSuchHostedZone, InvalidInput for bad list parameters, and INSYNC for GetChange", async () => {
    const missing = await rejection(client.send(new GetHostedZoneCommand({ Id: "Z0000000000000NOPE" })));
    assert.equal(missing.name, "NoSuchHostedZone");
    assert.equal(missing.$metadata?.httpStatusCode, 404);
    const badType = await rejection(
      client.send(
        new ListResourceRecordSetsCommand({ HostedZoneId: zone.hostedZoneId, StartRecordType: "SRV" }),
      ),
    );
    assert.equal(badType.name, "InvalidInput");
    const r = await client.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: zone.hostedZoneId,
        StartRecordName: "servicediscovery.internal",
      }),
    );
    assert.equal(r.ResourceRecordSets?.[0]?.Type, "NS");
    const name = fqdn(zone, "c");
    const { ChangeInfo } = await client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone.hostedZoneId,
        ChangeBatch: { Changes: [{ Action: "CREATE", ResourceRecordSet: aSet(name, "10.0.0.1") }] },
      }),
    );
    assert.match(ChangeInfo!.Id!, /^\/change\/C/);
    const got = await client.send(new GetChangeCommand({ Id: ChangeInfo!.Id }));
    assert.equal(got.ChangeInfo?.Status, "INSYNC");
  });

  it("creates, finds by name, and deletes further hosted zones", async () => {
    const created = await client.send(
      new CreateHostedZoneCommand({
        Name: "other.internal",
        CallerReference: "ref-1",
        HostedZoneConfig: { Comment: "t", PrivateZone: false },
      }),
    );
    const id = created.HostedZone!.Id!;
    assert.equal(created.HostedZone?.Name, "other.internal.");
    assert.ok(created.DelegationSet?.NameServers?.length);
    const again = await rejection(
      client.send(new CreateHostedZoneCommand({ Name: "x.internal", CallerReference: "ref-1" })),
    );
    assert.equal(again.name, "HostedZoneAlreadyExists");
    const byName = await client.send(new ListHostedZonesByNameCommand({ DNSName: "other.internal" }));
    assert.equal(byName.HostedZones?.[0]?.Id, id);
    const listed = await client.send(new ListHostedZonesCommand({}));
    assert.equal(listed.HostedZones?.length, 2);
    const otherZone = { ...zone, hostedZoneId: id.replace("/hostedzone/", "") };
    await change(client, otherZone, [
      { Action: "CREATE", ResourceRecordSet: aSet("w.other.internal", "10.0.0.1") },
    ]);
    const notEmpty = await rejection(client.send(new DeleteHostedZoneCommand({ Id: id })));
    assert.equal(notEmpty.name, "HostedZoneNotEmpty");
    await change(client, otherZone, [
      { Action: "DELETE", ResourceRecordSet: aSet("w.other.internal", "10.0.0.1") },
    ]);
    await client.send(new DeleteHostedZoneCommand({ Id: id }));
    const gone = await rejection(client.send(new GetHostedZoneCommand({ Id: id })));
    assert.equal(gone.name, "NoSuchHostedZone");
  });

  it("counts API calls by action", async () => {
    await client.send(new GetHostedZoneCommand({ Id: zone.hostedZoneId }));
    await client.send(new GetHostedZoneCommand({ Id: zone.hostedZoneId }));
    await change(client, zone, [{ Action: "CREATE", ResourceRecordSet: aSet(fqdn(zone, "s"), "10.0.0.1") }]);
    assert.deepEqual(zone.stats(), { GetHostedZone: 2, ChangeResourceRecordSets: 1 });
    const viaHttp = (await (
      await fetch(`${zone.apiUrl}/_admin/stats`, { headers: { authorization: `Bearer ${zone.adminToken}` } })
    ).json()) as Record<string, number>;
    assert.deepEqual(viaHttp, { GetHostedZone: 2, ChangeResourceRecordSets: 1 });
  });
});
