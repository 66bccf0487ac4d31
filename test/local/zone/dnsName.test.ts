import assert from "node:assert/strict";
import { packetName, reversedNameKey, storedName } from "../../../local/zone/dnsName";
import { encodeRecord } from "../../../local/zone/dnsWire";
import { compareRecordPosition, valueProblem } from "../../../local/zone/route53Records";
import { canonicalName, dnsNameProblem, parseDnsName } from "../../../records";

describe("local zone names (canonical form shared by the API and the DNS side)", () => {
  const valid: Array<[string, string]> = [
    ["servicediscovery.internal", "servicediscovery.internal."],
    ["_Calc._TCP.ServiceDiscovery.Internal.", "_calc._tcp.servicediscovery.internal."],
    ["*.servicediscovery.internal", "\\052.servicediscovery.internal."],
    ["\\052.servicediscovery.internal", "\\052.servicediscovery.internal."],
    ["a\\.b.internal", "a\\056b.internal."],
    [".", "."],
  ];
  for (const [input, expected] of valid) {
    it(`writes ${JSON.stringify(input)} as ${JSON.stringify(expected)}`, () => {
      assert.equal(storedName(input), expected);
    });
    it(`shares the canonical form of records/: ${JSON.stringify(input)} is ${JSON.stringify(expected.replace(/\.$/, ""))} there`, () => {
      assert.deepEqual(parseDnsName(input), { name: expected.replace(/\.$/, "") });
    });
  }

  const invalid: Array<[string, RegExp]> = [
    ["", /empty/],
    ["a..b", /empty label/],
    [`${"a".repeat(64)}.internal`, /label longer than 63/],
    [`${"abcdefghi.".repeat(26)}internal`, /longer than 255/],
    ["héllo.internal", /not printable ASCII/],
    ["a b.internal", /not printable ASCII/],
  ];
  for (const [input, problem] of invalid) {
    it(`rejects ${JSON.stringify(input.slice(0, 30))} saying it ${problem.source}`, () => {
      assert.throws(() => storedName(input), problem);
    });
    it(`reports ${JSON.stringify(input.slice(0, 30))} as a problem in records/, without throwing`, () => {
      const found = dnsNameProblem(input);
      assert.equal(found?.code, "invalid-dns-name");
      assert.match(found?.message ?? "", problem);
    });
  }

  it("encodes escapes back to the bytes they stand for on the wire", () => {
    assert.deepEqual(
      [...encodeRecord("A", 60, "10.0.0.1", "\\052.a.")!.subarray(0, 5)],
      [1, 0x2a, 1, 0x61, 0],
    );
  });

  it("agrees with records/ canonicalName on names of letters, digits, - and _", () => {
    for (const name of ["_Calc._TCP.ServiceDiscovery.Internal.", "host-1.zone", "a_b.c"]) {
      assert.deepEqual(parseDnsName(name), { name: canonicalName(name) });
    }
  });

  it("does not serve a name that dns-packet would have written wrongly (a dot or a backslash inside a label)", () => {
    assert.equal(packetName("\\052.a."), "*.a");
    assert.equal(packetName("a\\056b.internal."), undefined);
    assert.equal(packetName("a\\134b.internal."), undefined);
    assert.equal(encodeRecord("CNAME", 60, "a\\056b.internal.", "x.internal."), null);
  });

  it("serves nothing, rather than throwing, for a record the codec cannot encode (a TTL past 32 bits)", () => {
    assert.equal(encodeRecord("A", 2 ** 33, "10.0.0.1"), null);
  });

  it("orders record sets as ListResourceRecordSets documents: reversed labels with the trailing dot, type, identifier", () => {
    assert.equal(reversedNameKey("www.example.com."), "com.example.www.");
    const sets = [
      { name: "b.x.", type: "A" },
      { name: "a.x.", type: "TXT" },
      { name: "a-b.x.", type: "A" },
      { name: "x.", type: "SOA" },
      { name: "a.x.", type: "A", setIdentifier: "2" },
      { name: "x.", type: "NS" },
      { name: "a.x.", type: "A", setIdentifier: "1" },
    ];
    assert.deepEqual(
      [...sets].sort(compareRecordPosition).map((s) => `${s.name} ${s.type} ${s.setIdentifier ?? ""}`.trim()),
      ["x. NS", "x. SOA", "a-b.x. A", "a.x. A 1", "a.x. A 2", "a.x. TXT", "b.x. A"],
    );
  });

  it("validates SRV and A values the way Route53 reports them", () => {
    assert.equal(valueProblem("SRV", "1 10 8080 host1.servicediscovery.internal."), null);
    assert.match(valueProblem("SRV", "1 10 8080") ?? "", /SRVRDATATooFewFields/);
    assert.match(valueProblem("SRV", "1 10 65536 h.x") ?? "", /SRVRDATAIllegalPort/);
    assert.equal(valueProblem("A", "10.0.0.1"), null);
    for (const bad of ["10.0.0", "10.0.0.256", "010.0.0.1", "::1", "host"]) {
      assert.match(valueProblem("A", bad) ?? "", /ARRDATAIllegalIPv4Address/, bad);
    }
    assert.match(valueProblem("TXT", '"unterminated') ?? "", /unterminated/);
  });
});
