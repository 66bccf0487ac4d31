import assert from "node:assert/strict";
import type { Route53Client } from "@aws-sdk/client-route-53";
import { type LocalZone, startLocalZone } from "../../../local/zone";
import { aSet, change, dig, fqdn, rejection, route53For, srvSet } from "./localZoneHarness";

describe("local zone DNS answers (checked with dig)", () => {
  let zone: LocalZone;
  let client: Route53Client;

  before(async () => {
    zone = await startLocalZone();
    client = route53For(zone);
    const z = (l: string) => fqdn(zone, l);
    await change(client, zone, [
      { Action: "CREATE", ResourceRecordSet: aSet(z("host1"), "127.0.0.1") },
      { Action: "CREATE", ResourceRecordSet: aSet(z("host2"), "127.0.0.2") },
      {
        Action: "CREATE",
        ResourceRecordSet: {
          Name: z("_plain._tcp"),
          Type: "SRV",
          TTL: 30,
          ResourceRecords: [
            { Value: `1 10 8080 ${z("host1")}` },
            { Value: `2 20 9090 ${z("host2")}` },
            { Value: "1 1 80 www.example.com." },
          ],
        },
      },
      // Twelve multivalue instances: more than the eight an answer may carry.
      ...Array.from({ length: 12 }, (_, i) => ({
        Action: "CREATE" as const,
        ResourceRecordSet: srvSet(
          z("_calc._tcp"),
          `host${(i % 2) + 1}-c${i}`,
          `1 1 ${8000 + i} ${z(`host${(i % 2) + 1}`)}`,
        ),
      })),
      ...[
        ["heavy", 1],
        ["never", 0],
      ].map(([id, weight]) => ({
        Action: "CREATE" as const,
        ResourceRecordSet: {
          Name: z("_w._tcp"),
          Type: "SRV" as const,
          SetIdentifier: String(id),
          Weight: Number(weight),
          TTL: 10,
          ResourceRecords: [{ Value: `1 1 ${weight === 1 ? 7001 : 7000} ${z("host1")}` }],
        },
      })),
      ...["a", "b"].map((id) => ({
        Action: "CREATE" as const,
        ResourceRecordSet: {
          Name: z("_zero._tcp"),
          Type: "SRV" as const,
          SetIdentifier: id,
          Weight: 0,
          TTL: 10,
          ResourceRecords: [{ Value: `1 1 ${id === "a" ? 6001 : 6002} ${z("host1")}` }],
        },
      })),
      {
        Action: "CREATE",
        ResourceRecordSet: {
          Name: z("big"),
          Type: "A",
          TTL: 60,
          ResourceRecords: Array.from({ length: 60 }, (_, i) => ({ Value: `10.1.0.${i + 1}` })),
        },
      },
      {
        Action: "CREATE",
        ResourceRecordSet: {
          Name: z("txt"),
          Type: "TXT",
          TTL: 60,
          ResourceRecords: [{ Value: '"hello world" "second"' }],
        },
      },
    ]);
  });
  after(async () => {
    client.destroy();
    await zone.close();
  });

  it("answers SRV with the in-zone targets' A records in the additional section", async () => {
    const r = await dig(zone, "SRV", "_plain._tcp.servicediscovery.internal");
    assert.equal(r.status, "NOERROR");
    assert.ok(r.flags.includes("aa"));
    assert.deepEqual(r.answer.map((a) => a.data).sort(), [
      "1 1 80 www.example.com.",
      "1 10 8080 host1.servicediscovery.internal.",
      "2 20 9090 host2.servicediscovery.internal.",
    ]);
    assert.equal(r.answer[0]?.ttl, 30);
    assert.deepEqual(r.additional.map((a) => `${a.name} ${a.type} ${a.data}`).sort(), [
      "host1.servicediscovery.internal. A 127.0.0.1",
      "host2.servicediscovery.internal. A 127.0.0.2",
    ]);
  });

  it("answers a multivalue set with at most eight records, chosen at random, glue sent once per host", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const r = await dig(zone, "SRV", "_calc._tcp.servicediscovery.internal");
      assert.equal(r.answer.length, 8);
      assert.equal(new Set(r.answer.map((a) => a.data)).size, 8, "no record twice in one answer");
      for (const a of r.answer) {
        assert.match(a.data, /^1 1 80(0\d|1[01]) host[12]\.servicediscovery\.internal\.$/);
        seen.add(a.data);
      }
      assert.deepEqual(r.additional.map((a) => a.name).sort(), [
        "host1.servicediscovery.internal.",
        "host2.servicediscovery.internal.",
      ]);
    }
    assert.ok(seen.size > 8, `ten answers should not all pick the same eight of twelve (saw ${seen.size})`);
  });

  it("answers a weighted name with one record set drawn by weight, never a weight-0 set beside a positive one", async () => {
    for (let i = 0; i < 5; i++) {
      const r = await dig(zone, "SRV", "_w._tcp.servicediscovery.internal");
      assert.deepEqual(
        r.answer.map((a) => a.data),
        ["1 1 7001 host1.servicediscovery.internal."],
      );
    }
    const ports = new Set<string>();
    for (let i = 0; i < 20 && ports.size < 2; i++) {
      const r = await dig(zone, "SRV", "_zero._tcp.servicediscovery.internal");
      assert.equal(r.answer.length, 1);
      ports.add(r.answer[0]!.data.split(" ")[2]!);
    }
    assert.deepEqual(
      [...ports].sort(),
      ["6001", "6002"],
      "when every weight is 0 each set is drawn with equal chance",
    );
  });

  it("answers NXDOMAIN and NODATA with the zone SOA in authority, TTL the SOA minimum", async () => {
    const nx = await dig(zone, "SRV", "_nothing._tcp.servicediscovery.internal");
    assert.equal(nx.status, "NXDOMAIN");
    assert.ok(nx.flags.includes("aa"));
    assert.equal(nx.answer.length, 0);
    assert.equal(nx.authority[0]?.type, "SOA");
    assert.equal(nx.authority[0]?.name, "servicediscovery.internal.");
    assert.equal(nx.authority[0]?.ttl, 5);

    const nodata = await dig(zone, "AAAA", "host1.servicediscovery.internal");
    assert.equal(nodata.status, "NOERROR");
    assert.equal(nodata.answer.length, 0);
    assert.equal(nodata.authority[0]?.type, "SOA");

    // `_tcp.servicediscovery.internal` owns nothing but has names below it: it exists (RFC 8020).
    const ent = await dig(zone, "SRV", "_tcp.servicediscovery.internal");
    assert.equal(ent.status, "NOERROR");
    assert.equal(ent.authority[0]?.type, "SOA");
  });

  it("answers SOA, NS and TXT at their names", async () => {
    const soa = await dig(zone, "SOA", "servicediscovery.internal");
    assert.match(
      soa.answer[0]?.data ?? "",
      /^ns1\.local-zone\.invalid\. hostmaster\.servicediscovery\.internal\. 1 7200 900 1209600 5$/,
    );
    const ns = await dig(zone, "NS", "servicediscovery.internal");
    assert.deepEqual(ns.answer.map((a) => a.data).sort(), [
      "ns1.local-zone.invalid.",
      "ns2.local-zone.invalid.",
    ]);
    const txt = await dig(zone, "TXT", "txt.servicediscovery.internal");
    assert.equal(txt.answer[0]?.data, '"hello world" "second"');
  });

  it("matches names case-insensitively and echoes the question as asked", async () => {
    const r = await dig(zone, "SRV", "_PLAIN._Tcp.ServiceDiscovery.INTERNAL");
    assert.equal(r.status, "NOERROR");
    assert.equal(r.answer.length, 3);
    assert.equal(r.answer[0]?.name, "_PLAIN._Tcp.ServiceDiscovery.INTERNAL.");
  });

  it("refuses names outside its zones", async () => {
    const r = await dig(zone, "A", "www.example.com");
    assert.equal(r.status, "REFUSED");
    assert.equal(r.answer.length, 0);
  });

  it("sets TC when the answer exceeds 512 bytes without EDNS or the EDNS size, and answers in full over TCP", async () => {
    const plain = await dig(zone, "+ignore", "+noedns", "A", "big.servicediscovery.internal");
    assert.ok(plain.flags.includes("tc"), `flags ${plain.flags}`);
    assert.equal(plain.answer.length, 0);
    const small = await dig(zone, "+ignore", "+bufsize=600", "A", "big.servicediscovery.internal");
    assert.ok(small.flags.includes("tc"));
    const edns = await dig(zone, "+bufsize=4096", "A", "big.servicediscovery.internal");
    assert.ok(!edns.flags.includes("tc"));
    assert.equal(edns.answer.length, 60);
    assert.equal(edns.ednsUdp, 1232);
    const tcp = await dig(zone, "+tcp", "+noedns", "A", "big.servicediscovery.internal");
    assert.ok(!tcp.flags.includes("tc"));
    assert.equal(tcp.answer.length, 60);
    // dig retries over TCP by itself when it sees TC.
    const retried = await dig(zone, "+noedns", "A", "big.servicediscovery.internal");
    assert.equal(retried.answer.length, 60);
  });

  it("drops glue rather than truncating when only the answer fits", async () => {
    const r = await dig(zone, "+noedns", "SRV", "_calc._tcp.servicediscovery.internal");
    assert.ok(!r.flags.includes("tc"));
    assert.equal(r.answer.length, 8);
  });

  it("answers BADVERS to an EDNS version it does not speak", async () => {
    const badvers = await dig(
      zone,
      "+edns=1",
      "+noednsnegotiation",
      "SRV",
      "_plain._tcp.servicediscovery.internal",
    );
    assert.equal(badvers.status, "BADVERS");
    assert.equal(badvers.answer.length, 0);
  });

  it("answers from a wildcard for names that do not exist below its parent, and follows CNAMEs in the zone", async () => {
    const z = (l: string) => fqdn(zone, l);
    await change(client, zone, [
      { Action: "CREATE", ResourceRecordSet: aSet(z("*.wild"), "10.7.7.7") },
      { Action: "CREATE", ResourceRecordSet: aSet(z("exists.wild"), "10.7.7.8") },
      {
        Action: "CREATE",
        ResourceRecordSet: {
          Name: z("alias"),
          Type: "CNAME",
          TTL: 60,
          ResourceRecords: [{ Value: z("alias2") }],
        },
      },
      {
        Action: "CREATE",
        ResourceRecordSet: {
          Name: z("alias2"),
          Type: "CNAME",
          TTL: 60,
          ResourceRecords: [{ Value: z("host2") }],
        },
      },
      {
        Action: "CREATE",
        ResourceRecordSet: {
          Name: z("away"),
          Type: "CNAME",
          TTL: 60,
          ResourceRecords: [{ Value: "www.example.com" }],
        },
      },
    ]);
    const wild = await dig(zone, "A", "anything.deeper.wild.servicediscovery.internal");
    assert.equal(wild.status, "NOERROR");
    assert.deepEqual(
      wild.answer.map((a) => `${a.name} ${a.data}`),
      ["anything.deeper.wild.servicediscovery.internal. 10.7.7.7"],
    );
    const exact = await dig(zone, "A", "exists.wild.servicediscovery.internal");
    assert.deepEqual(
      exact.answer.map((a) => a.data),
      ["10.7.7.8"],
    );
    const wildNoData = await dig(zone, "SRV", "other.wild.servicediscovery.internal");
    assert.equal(wildNoData.status, "NOERROR");
    assert.equal(wildNoData.answer.length, 0);

    const chain = await dig(zone, "A", "alias.servicediscovery.internal");
    assert.deepEqual(
      chain.answer.map((a) => `${a.name} ${a.type} ${a.data}`),
      [
        "alias.servicediscovery.internal. CNAME alias2.servicediscovery.internal.",
        "alias2.servicediscovery.internal. CNAME host2.servicediscovery.internal.",
        "host2.servicediscovery.internal. A 127.0.0.2",
      ],
    );
    const outside = await dig(zone, "A", "away.servicediscovery.internal");
    assert.deepEqual(
      outside.answer.map((a) => `${a.type} ${a.data}`),
      ["CNAME www.example.com."],
    );
    const asked = await dig(zone, "CNAME", "alias.servicediscovery.internal");
    assert.equal(asked.answer.length, 1);
  });

  it("stops following a CNAME loop, and refuses a CNAME set with two values", async () => {
    const z = (l: string) => fqdn(zone, l);
    const cname = (from: string, to: string) => ({
      Action: "CREATE" as const,
      ResourceRecordSet: {
        Name: z(from),
        Type: "CNAME" as const,
        TTL: 60,
        ResourceRecords: [{ Value: z(to) }],
      },
    });
    await change(client, zone, [cname("loop1", "loop2"), cname("loop2", "loop1")]);
    const r = await dig(zone, "A", "loop1.servicediscovery.internal");
    assert.equal(r.status, "NOERROR");
    assert.ok(r.answer.length >= 2 && r.answer.length <= 9, `${r.answer.length} records`);
    assert.ok(r.answer.every((a) => a.type === "CNAME"));
    const two = await rejection(
      change(client, zone, [
        {
          Action: "CREATE",
          ResourceRecordSet: {
            Name: z("two"),
            Type: "CNAME",
            TTL: 60,
            ResourceRecords: [{ Value: "a.x" }, { Value: "b.x" }],
          },
        },
      ]),
    );
    assert.equal(two.name, "InvalidChangeBatch");
  });

  it("serves changes made through the API on the next query", async () => {
    await change(client, zone, [
      { Action: "CREATE", ResourceRecordSet: aSet(fqdn(zone, "late"), "10.9.9.9", 1) },
    ]);
    const r = await dig(zone, "A", "late.servicediscovery.internal");
    assert.deepEqual(
      r.answer.map((a) => `${a.ttl} ${a.data}`),
      ["1 10.9.9.9"],
    );
    await change(client, zone, [
      { Action: "DELETE", ResourceRecordSet: aSet(fqdn(zone, "late"), "10.9.9.9", 1) },
    ]);
    assert.equal((await dig(zone, "A", "late.servicediscovery.internal")).status, "NXDOMAIN");
  });
});
