// A web page open on the developer's machine cannot change or read the local zone: a cross-site `text/plain`
// POST (no preflight needed) carries an Origin, and a DNS-rebound page's requests carry its domain as Host.
import assert from "node:assert/strict";
import { request } from "node:http";
import { ListResourceRecordSetsCommand } from "@aws-sdk/client-route-53";
import { type LocalZone, startLocalZone } from "../../../local/zone";
import { route53For } from "./localZoneHarness";

function send(zone: LocalZone, method: string, path: string, headers: Record<string, string>, body = "") {
  const url = new URL(path, zone.apiUrl);
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const UPSERT = (zone: LocalZone) =>
  `<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeBatch><Changes><Change><Action>UPSERT</Action><ResourceRecordSet><Name>db.${zone.zoneName}</Name><Type>A</Type><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>203.0.113.9</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`;

describe("local zone: requests from web pages", () => {
  let zone: LocalZone;
  let rrset: string;
  before(async () => {
    zone = await startLocalZone();
    rrset = `/2013-04-01/hostedzone/${zone.hostedZoneId}/rrset`;
  });
  after(async () => {
    await zone.close();
  });

  async function names(): Promise<string[]> {
    const client = route53For(zone);
    try {
      const out = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone.hostedZoneId }));
      return (out.ResourceRecordSets ?? []).map((rs) => rs.Name ?? "");
    } finally {
      client.destroy();
    }
  }

  it("refuses a cross-site text/plain POST (it carries an Origin) and changes nothing", async () => {
    const r = await send(
      zone,
      "POST",
      rrset,
      { origin: "https://attacker.example", "content-type": "text/plain" },
      UPSERT(zone),
    );
    assert.equal(r.status, 403);
    assert.match(r.text, /<Code>AccessDenied<\/Code>.*Origin header/s);
    assert.ok(!(await names()).some((n) => n.startsWith("db.")));
  });

  it("refuses a request addressed to a domain name (a DNS-rebound page), for reads and writes", async () => {
    const host = { host: `rebound.attacker.example:${new URL(zone.apiUrl).port}` };
    const read = await send(zone, "GET", rrset, host);
    assert.equal(read.status, 403);
    assert.match(read.text, /rebound\.attacker\.example/);
    const write = await send(zone, "POST", rrset, { ...host, "content-type": "text/xml" }, UPSERT(zone));
    assert.equal(write.status, 403);
    assert.ok(!(await names()).some((n) => n.startsWith("db.")));
  });

  it("answers what SDKs and tools send: an address or localhost as Host, no Origin", async () => {
    const port = new URL(zone.apiUrl).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, "127.0.0.1"]) {
      const r = await send(zone, "GET", rrset, { host });
      assert.equal(r.status, 200, host);
    }
    const write = await send(zone, "POST", rrset, { "content-type": "text/xml" }, UPSERT(zone));
    assert.equal(write.status, 200, write.text);
    assert.ok((await names()).some((n) => n.startsWith("db.")));
  });
});
