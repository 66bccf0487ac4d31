// The private-zone lookup: across pages, ignoring public zones, with a message that says what to do.
import assert from "node:assert/strict";
import { ListHostedZonesByNameCommand, Route53Client } from "@aws-sdk/client-route-53";
import { type AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { type LocalZone, startLocalZone } from "../../local/zone";
import { findPrivateZoneId, route53Client, ZoneNotFoundError, zoneIdCache } from "../../route53";

const zone = (id: string, name: string, privateZone: boolean) => ({
  Id: `/hostedzone/${id}`,
  Name: name,
  CallerReference: id,
  Config: { PrivateZone: privateZone },
});

describe("route53 private zone lookup (SDK doubles)", () => {
  let r53Mock: AwsClientStub<Route53Client>;
  before(() => {
    r53Mock = mockClient(Route53Client);
  });
  afterEach(() => r53Mock.reset());
  after(() => r53Mock.restore());
  const client = () => new Route53Client({ region: "us-east-1" });

  it("finds the one private zone of the name across pages, ignoring public ones", async () => {
    r53Mock
      .on(ListHostedZonesByNameCommand, { DNSName: "z.internal" })
      .resolves({
        HostedZones: [zone("ZPUBLIC", "z.internal.", false)],
        IsTruncated: true,
        NextDNSName: "z.internal.",
        NextHostedZoneId: "ZPRIVATE",
      })
      .on(ListHostedZonesByNameCommand, { HostedZoneId: "ZPRIVATE" })
      .resolves({
        HostedZones: [zone("ZPRIVATE", "Z.Internal.", true), zone("ZOTHER", "zz.internal.", true)],
        IsTruncated: true,
        NextDNSName: "zzz.internal.",
      });
    let calls = 0;
    const id = await findPrivateZoneId(client(), "z.internal.", (_op, send) => {
      calls++;
      return send();
    });
    assert.equal(id, "ZPRIVATE");
    assert.equal(calls, 2, "stops at the first zone past the name");
  });

  const failures: [string, ReturnType<typeof zone>[], RegExp][] = [
    [
      "none",
      [zone("ZX", "other.internal.", true)],
      /^no private hosted zone named "z.internal"; create it or set ECSSD_ZONE_ID$/,
    ],
    [
      "only a public one",
      [zone("ZP", "z.internal.", false)],
      /^no private hosted zone named "z.internal": .*is public.*ECSSD_ZONE_ID$/,
    ],
    [
      "several",
      [zone("ZA", "z.internal.", true), zone("ZB", "z.internal.", true)],
      /^2 private hosted zones are named "z.internal" \(ZA, ZB\); set ECSSD_ZONE_ID/,
    ],
  ];
  for (const [name, zones, message] of failures) {
    it(`says what to do when there is ${name}`, async () => {
      r53Mock.on(ListHostedZonesByNameCommand).resolves({ HostedZones: zones, IsTruncated: false });
      await assert.rejects(
        findPrivateZoneId(client(), "z.internal"),
        (err: Error) => err instanceof ZoneNotFoundError && message.test(err.message),
      );
    });
  }
});

describe("route53 zone id cache (SDK doubles)", () => {
  let r53Mock: AwsClientStub<Route53Client>;
  before(() => {
    r53Mock = mockClient(Route53Client);
  });
  afterEach(() => r53Mock.reset());
  after(() => r53Mock.restore());
  const client = () => new Route53Client({ region: "us-east-1" });
  const lookups = () => r53Mock.commandCalls(ListHostedZonesByNameCommand).length;

  it("uses a configured id as it is, with no request", async () => {
    const id = zoneIdCache(client(), { zoneName: "z.internal", zoneId: "ZCONFIGURED" });
    assert.equal(await id(), "ZCONFIGURED");
    assert.equal(lookups(), 0);
  });

  it("looks the zone up once, however often and however concurrently it is asked", async () => {
    r53Mock.on(ListHostedZonesByNameCommand).resolves({
      HostedZones: [zone("ZPRIVATE", "z.internal.", true)],
      IsTruncated: false,
    });
    const id = zoneIdCache(client(), { zoneName: "z.internal" });
    assert.deepEqual(await Promise.all([id(), id()]), ["ZPRIVATE", "ZPRIVATE"]);
    assert.equal(await id(), "ZPRIVATE");
    assert.equal(lookups(), 1);
  });

  it("forgets a failed lookup, so the next ask looks again", async () => {
    r53Mock
      .on(ListHostedZonesByNameCommand)
      .rejectsOnce(Object.assign(new Error("Rate exceeded"), { name: "Throttling" }))
      .resolves({ HostedZones: [zone("ZPRIVATE", "z.internal.", true)], IsTruncated: false });
    const id = zoneIdCache(client(), { zoneName: "z.internal" });
    await assert.rejects(id(), /Rate exceeded/);
    assert.equal(await id(), "ZPRIVATE");
    assert.equal(await id(), "ZPRIVATE");
    assert.equal(lookups(), 2);
  });
});

describe("route53 private zone lookup (local zone)", function () {
  this.timeout(30_000);
  let local: LocalZone;
  before(async () => {
    local = await startLocalZone({ zoneName: "lookup.internal" });
  });
  after(async () => local?.close());

  it("finds the local zone's private hosted zone by name, with the factory's client", async () => {
    const client = route53Client({ endpoint: local.apiUrl, env: {} });
    try {
      assert.equal(await findPrivateZoneId(client, "Lookup.Internal."), local.hostedZoneId);
      await assert.rejects(findPrivateZoneId(client, "missing.internal"), ZoneNotFoundError);
    } finally {
      client.destroy();
    }
  });
});
