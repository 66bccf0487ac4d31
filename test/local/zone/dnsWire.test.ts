import { strict as assert } from "node:assert";
import * as dnsPacket from "dns-packet";
import fc from "fast-check";
import { packetName, storedName } from "../../../local/zone/dnsName";
import { encodeRecord } from "../../../local/zone/dnsWire";
import { parseCharacterStrings, type RecordType } from "../../../local/zone/route53Records";

// The local zone's records are written by the resolver's codec; before, dns-packet wrote them. dns-packet stays the
// oracle: every Route53 value must come out as the bytes dns-packet wrote for it.

const codecs = dnsPacket as unknown as {
  answer: { encode(record: dnsPacket.Answer): Buffer };
  txt: { encode(strings: Buffer[]): Buffer };
};

/** What the local zone wrote for a value when dns-packet encoded it (owner: a pointer to the question). */
function withDnsPacket(type: RecordType, ttl: number, value: string): Buffer {
  const f = value.trim().split(/\s+/);
  const name = (text: string) => packetName(storedName(text))!;
  const data = ((): unknown => {
    switch (type) {
      case "SRV":
        return { priority: Number(f[0]), weight: Number(f[1]), port: Number(f[2]), target: name(f[3]!) };
      case "CNAME":
      case "NS":
      case "PTR":
        return name(f[0]!);
      case "MX":
        return { preference: Number(f[0]), exchange: name(f[1]!) };
      case "SOA": {
        const [serial, refresh, retry, expire, minimum] = f.slice(2, 7).map(Number);
        return { mname: name(f[0]!), rname: name(f[1]!), serial, refresh, retry, expire, minimum };
      }
      case "TXT":
        return parseCharacterStrings(value);
      case "SPF":
        return codecs.txt.encode(parseCharacterStrings(value) as Buffer[]).subarray(2);
      case "CAA": {
        const m = /^(\d{1,3})\s+([A-Za-z0-9]+)\s+(.*)$/.exec(value.trim())!;
        const raw = m[3]!.startsWith('"') ? m[3]!.slice(1, -1) : m[3]!;
        return { flags: Number(m[1]), tag: m[2], value: raw };
      }
      default:
        return value;
    }
  })();
  const bytes = codecs.answer.encode({
    type: type === "SPF" ? "NULL" : type,
    name: ".",
    ttl,
    data,
  } as dnsPacket.Answer);
  if (type === "SPF") bytes.writeUInt16BE(99, 1);
  return Buffer.concat([Buffer.from([0xc0, 0x0c]), bytes.subarray(1)]);
}

const host = fc
  .array(fc.stringMatching(/^[a-z0-9_][a-z0-9_-]{0,15}$/), { minLength: 1, maxLength: 4 })
  .map((l) => `${l.join(".")}.`);
const u16 = fc.nat(65535);
const text = fc.array(fc.stringMatching(/^[ !#-[\]-~]{0,40}$/), { minLength: 1, maxLength: 3 });
const value: fc.Arbitrary<[RecordType, string]> = fc.oneof(
  fc.tuple(fc.constant<RecordType>("A"), fc.ipV4()),
  fc.tuple(
    fc.constant<RecordType>("AAAA"),
    fc.ipV6().map((ip) => new URL(`http://[${ip}]/`).hostname.slice(1, -1)),
  ),
  fc.tuple(
    fc.constant<RecordType>("SRV"),
    fc.tuple(u16, u16, u16, host).map(([p, w, port, t]) => `${p} ${w} ${port} ${t}`),
  ),
  fc.tuple(fc.constantFrom<RecordType>("CNAME", "NS", "PTR"), host),
  fc.tuple(
    fc.constant<RecordType>("MX"),
    fc.tuple(u16, host).map(([p, h]) => `${p} ${h}`),
  ),
  fc.tuple(
    fc.constant<RecordType>("SOA"),
    fc
      .tuple(host, host, fc.array(fc.nat(0xffffffff), { minLength: 5, maxLength: 5 }))
      .map(([m, r, n]) => `${m} ${r} ${n.join(" ")}`),
  ),
  fc.tuple(
    fc.constantFrom<RecordType>("TXT", "SPF"),
    text.map((s) => s.map((t) => `"${t}"`).join(" ")),
  ),
  fc.tuple(
    fc.constant<RecordType>("CAA"),
    fc
      .tuple(fc.nat(255), fc.stringMatching(/^[a-z]{1,10}$/), fc.stringMatching(/^[!#-~]{1,30}$/))
      .map(([f, t, v]) => `${f} ${t} "${v}"`),
  ),
);

describe("local zone records, written by the resolver's codec", () => {
  it("writes every Route53 value as the bytes dns-packet wrote for it", () => {
    fc.assert(
      fc.property(value, fc.nat(0x7fffffff), ([type, v], ttl) => {
        assert.deepEqual(encodeRecord(type, ttl, v), withDnsPacket(type, ttl, v));
      }),
      { numRuns: 1000 },
    );
  });

  it("writes an owner given in full as dns-packet did", () => {
    const owner = "_calc._tcp.servicediscovery.internal.";
    assert.deepEqual(
      encodeRecord("A", 60, "10.0.0.1", owner),
      codecs.answer.encode({ type: "A", name: packetName(owner)!, ttl: 60, data: "10.0.0.1" }),
    );
  });
});
