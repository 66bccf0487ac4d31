import assert from "node:assert/strict";
import { GetHostedZoneCommand } from "@aws-sdk/client-route-53";
import { type LocalZone, startLocalZone } from "../../../local/zone";
import { route53For } from "./localZoneHarness";

async function call(zone: LocalZone, method: string, path: string, body?: string) {
  const res = await fetch(`${zone.apiUrl}${path}`, { method, body });
  const text = await res.text();
  return {
    status: res.status,
    code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1],
    message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1],
  };
}

describe("local zone Route53 API under bad requests", () => {
  let zone: LocalZone;
  let rrset: string;
  before(async () => {
    zone = await startLocalZone();
    rrset = `/2013-04-01/hostedzone/${zone.hostedZoneId}/rrset`;
  });
  after(async () => {
    await zone.close();
  });

  it("answers InvalidInput to bodies that are not the expected XML", async () => {
    for (const body of [
      "not xml",
      "<a><b>",
      "<ChangeResourceRecordSetsRequest/>",
      `<X>${"<x>".repeat(50000)}</X>`,
    ]) {
      const r = await call(zone, "POST", rrset, body);
      assert.equal(r.status, 400, body.slice(0, 20));
      assert.equal(r.code, "InvalidInput");
    }
  });

  it("refuses a DTD instead of expanding its entities", async () => {
    const body =
      '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>' +
      "<ChangeResourceRecordSetsRequest><ChangeBatch><Changes><Change><Action>CREATE</Action><ResourceRecordSet>" +
      "<Name>&b;.servicediscovery.internal</Name><Type>A</Type><TTL>1</TTL><ResourceRecords><ResourceRecord>" +
      "<Value>10.0.0.1</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change></Changes></ChangeBatch>" +
      "</ChangeResourceRecordSetsRequest>";
    const r = await call(zone, "POST", rrset, body);
    assert.equal(r.code, "InvalidInput");
    assert.match(r.message ?? "", /DTD/);
  });

  it("answers 413 to an oversized body and 404 to paths it does not serve", async () => {
    const big = await call(zone, "POST", rrset, "x".repeat(10 * 1024 * 1024 + 1));
    assert.equal(big.status, 413);
    const unknown = await call(zone, "GET", "/2013-04-01/healthcheck");
    assert.equal(unknown.status, 404);
    assert.match(unknown.message ?? "", /does not implement GET \/2013-04-01\/healthcheck/);
    assert.equal((await call(zone, "GET", "/elsewhere")).status, 404);
  });

  it("answers InvalidInput to bad ids and list parameters", async () => {
    assert.equal((await call(zone, "GET", "/2013-04-01/hostedzone/%E0%A4%A")).code, "InvalidInput");
    assert.equal((await call(zone, "GET", `${rrset}?maxitems=0`)).code, "InvalidInput");
    assert.equal((await call(zone, "GET", `${rrset}?name=a..b`)).code, "InvalidInput");
    assert.equal((await call(zone, "GET", `${rrset}?name=a&type=BOGUS`)).code, "InvalidInput");
    assert.equal((await call(zone, "GET", `${rrset}?name=a&identifier=x`)).code, "InvalidInput");
  });

  it("keeps serving the SDK after all of it", async () => {
    const client = route53For(zone);
    const got = await client.send(new GetHostedZoneCommand({ Id: zone.hostedZoneId }));
    client.destroy();
    assert.equal(got.HostedZone?.Name, "servicediscovery.internal.");
  });
});
