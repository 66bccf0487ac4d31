import { strict as assert } from "node:assert";
import * as dnsPacket from "dns-packet";
import fc from "fast-check";
import { frameTcp, TcpFrameReader, TYPE_SPF, TYPE_SRV } from "../../resolver/src/dnsProtocol";
import { decodeMessage, encodeQuery, MalformedMessageError } from "../../resolver/src/dnsWire";
import {
  decodeQuery,
  encodeMessage,
  encodeRecord,
  type RecordToEncode,
  writeOpt,
} from "../../resolver/src/dnsWireServer";

// dns-packet is the oracle: every record and message the server half writes must be the bytes dns-packet writes,
// and every query it reads must mean what dns-packet reads in it.

// dns-packet exports a codec per section and record type; its type declarations name only the whole-packet ones.
const codecs = dnsPacket as unknown as {
  answer: { encode(record: dnsPacket.Answer): Buffer };
  txt: { encode(strings: Buffer[]): Buffer };
};

const label = fc.stringMatching(/^[a-z0-9_][a-z0-9_-]{0,20}$/);
const name = fc.array(label, { minLength: 1, maxLength: 5 }).map((l) => l.join("."));
const mixedCaseName = fc
  .array(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_-]{0,20}$/), { minLength: 1, maxLength: 5 })
  .map((l) => l.join("."));
const ttl = fc.nat(0x7fffffff);
const u16 = fc.nat(65535);
const u32 = fc.nat(0xffffffff);
const ipv4 = fc.ipV4();
/**
 * IPv6 text as Node and browsers print it (RFC 5952). dns-packet's address codec writes some other forms wrongly
 * (it reads "::0:0:0:0:0:0:1" as ending in 0), so its bytes are the oracle for these, and the tests below check
 * the other forms against the text our decoder reads back.
 */
const ipv6 = fc.ipV6().map(canonicalIpv6);

function canonicalIpv6(text: string): string {
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}
const strings = fc.array(fc.uint8Array({ maxLength: 255 }).map(Buffer.from), { minLength: 1, maxLength: 4 });

const record: fc.Arbitrary<RecordToEncode> = fc.oneof(
  fc.record({ name, ttl, type: fc.constant("A" as const), data: ipv4 }),
  fc.record({ name, ttl, type: fc.constant("AAAA" as const), data: ipv6 }),
  fc.record({
    name,
    ttl,
    type: fc.constantFrom("CNAME" as const, "NS" as const, "PTR" as const),
    data: name,
  }),
  fc.record({
    name,
    ttl,
    type: fc.constant("SRV" as const),
    data: fc.record({ priority: u16, weight: u16, port: u16, target: name }),
  }),
  fc.record({
    name,
    ttl,
    type: fc.constant("MX" as const),
    data: fc.record({ preference: u16, exchange: name }),
  }),
  fc.record({
    name,
    ttl,
    type: fc.constant("SOA" as const),
    data: fc.record({
      mname: name,
      rname: name,
      serial: u32,
      refresh: u32,
      retry: u32,
      expire: u32,
      minimum: u32,
    }),
  }),
  fc.record({ name, ttl, type: fc.constant("TXT" as const), data: strings }),
  fc.record({
    name,
    ttl,
    type: fc.constant("CAA" as const),
    data: fc.record({
      flags: fc.nat(255),
      tag: fc.stringMatching(/^[a-z0-9]{1,15}$/),
      value: fc.stringMatching(/^[ -~]{0,40}$/),
    }),
  }),
);

/** Type codes of the question types below (dns-packet takes a question's type by name). */
const CODES: Record<string, number> = { A: 1, AAAA: 28, SRV: 33, TXT: 16, ANY: 255, CAA: 257 };

/** What dns-packet writes for `rr`. */
function oracle(rr: RecordToEncode): Buffer {
  return codecs.answer.encode(rr as dnsPacket.Answer);
}

describe("DNS wire, the server's half (dns-packet as the oracle)", () => {
  it("writes every record byte for byte as dns-packet does", () => {
    fc.assert(
      fc.property(record, (rr) => {
        assert.deepEqual(encodeRecord(rr), oracle(rr));
      }),
      { numRuns: 500 },
    );
  });

  it("writes an owner as a pointer to the question when asked, the rest as dns-packet writes it", () => {
    fc.assert(
      fc.property(record, (rr) => {
        const expected = oracle({ ...rr, name: "." });
        assert.deepEqual(
          encodeRecord(rr, 12),
          Buffer.concat([Buffer.from([0xc0, 0x0c]), expected.subarray(1)]),
        );
      }),
      { numRuns: 200 },
    );
  });

  it("writes an IPv6 address in any of its text forms (RFC 4291 §2.2) as the address it is", () => {
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        const message = encodeMessage({
          id: 1,
          flags: 0x8000,
          questions: [{ name: "a", type: 28 }],
          answers: [{ name: "a", ttl: 1, type: "AAAA", data: text }],
        });
        assert.equal(decodeMessage(message).answers[0]!.data, canonicalIpv6(text));
      }),
      { numRuns: 500 },
    );
  });

  it("writes SPF as TXT data under its own type (RFC 7208 §3.1)", () => {
    fc.assert(
      fc.property(name, ttl, strings, (owner, t, data) => {
        const spf = encodeRecord({ name: owner, ttl: t, type: "SPF", data });
        const txt = oracle({ name: owner, ttl: t, type: "TXT", data });
        txt.writeUInt16BE(TYPE_SPF, owner.length + 2);
        assert.deepEqual(spf, txt);
      }),
    );
  });

  it("takes a trailing dot and the root as dns-packet does", () => {
    for (const n of [".", "a.example.", "a.example"]) {
      const rr: RecordToEncode = { name: n, ttl: 1, type: "CNAME", data: n };
      assert.deepEqual(encodeRecord(rr), oracle(rr));
    }
  });

  it("refuses what is not a name, an address or a field's number, rather than writing it wrong", () => {
    const bad: RecordToEncode[] = [
      { name: `${"a".repeat(64)}.example`, ttl: 1, type: "A", data: "10.0.0.1" },
      { name: "a..example", ttl: 1, type: "A", data: "10.0.0.1" },
      { name: Array(130).fill("a").join("."), ttl: 1, type: "A", data: "10.0.0.1" },
      { name: "a.example", ttl: 1, type: "A", data: "10.0.0.256" },
      { name: "a.example", ttl: 1, type: "A", data: "10.0.1" },
      { name: "a.example", ttl: 1, type: "AAAA", data: "fe80::1%eth0" },
      { name: "a.example", ttl: 1, type: "AAAA", data: "1:2:3:4:5:6:7" },
      { name: "a.example", ttl: 1, type: "AAAA", data: "1::2::3" },
      { name: "a.example", ttl: 2 ** 32, type: "A", data: "10.0.0.1" },
      { name: "a.example", ttl: 1, type: "SRV", data: { priority: 65536, weight: 0, port: 0, target: "x" } },
      { name: "a.example", ttl: 1, type: "TXT", data: [Buffer.alloc(256)] },
      { name: "a.example", ttl: 1, type: "CAA", data: { flags: 256, tag: "issue", value: "x" } },
    ];
    for (const rr of bad) assert.throws(() => encodeRecord(rr), `${JSON.stringify(rr)} was written`);
  });

  it("writes whole messages byte for byte as dns-packet does, and reads them back value for value", () => {
    const question = fc.record({ name: mixedCaseName, type: fc.constantFrom("A", "AAAA", "SRV", "ANY") });
    const opt = fc.record({
      type: fc.constant("OPT" as const),
      udpPayloadSize: fc.integer({ min: 512, max: 65535 }),
    });
    fc.assert(
      fc.property(
        u16,
        fc.nat(0xffff),
        question,
        fc.array(record, { maxLength: 6 }),
        fc.array(record, { maxLength: 2 }),
        fc.array(record, { maxLength: 3 }),
        fc.option(opt, { nil: undefined }),
        (id, flags, q, answers, authorities, additionals, edns) => {
          const ours = encodeMessage({
            id,
            flags,
            questions: [{ name: q.name, type: CODES[q.type]! }],
            answers,
            authorities,
            additionals: edns ? [...additionals, edns] : additionals,
          });
          const theirs = dnsPacket.encode({
            id,
            type: flags & 0x8000 ? "response" : "query",
            flags,
            questions: [{ name: q.name, type: q.type as dnsPacket.RecordType }],
            answers: answers as dnsPacket.Answer[],
            authorities: authorities as dnsPacket.Answer[],
            additionals: [
              ...(additionals as dnsPacket.Answer[]),
              ...(edns ? [{ type: "OPT", name: ".", udpPayloadSize: edns.udpPayloadSize } as never] : []),
            ],
          });
          assert.deepEqual(ours, theirs);
          const back = decodeMessage(ours);
          assert.equal(back.id, id);
          assert.equal(back.flags, flags);
          assert.equal(back.questionName, q.name.toLowerCase());
          if (back.truncated) return; // TC: the decoder reads no further
          assert.equal(back.answers.length, answers.length);
          back.answers.forEach((rr, i) => {
            assert.equal(rr.name, answers[i]!.name);
            assert.equal(rr.type, answers[i]!.type);
            assert.equal(rr.ttl, answers[i]!.ttl);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("reads the question and OPT of every query dns-packet writes as dns-packet reads them", () => {
    const otherAdditional = fc.record({ name, ttl, type: fc.constant("A" as const), data: ipv4 });
    fc.assert(
      fc.property(
        u16,
        fc.nat(0x7fff), // a query: QR clear
        mixedCaseName,
        fc.constantFrom("A", "AAAA", "SRV", "TXT", "ANY", "CAA") as fc.Arbitrary<dnsPacket.RecordType>,
        fc.option(fc.record({ udp: fc.integer({ min: 1, max: 65535 }), version: fc.nat(255) }), {
          nil: undefined,
        }),
        fc.array(otherAdditional, { maxLength: 2 }),
        (id, flags, qname, qtype, edns, extra) => {
          const additionals: dnsPacket.Answer[] = [...extra];
          if (edns)
            additionals.push({
              type: "OPT",
              name: ".",
              udpPayloadSize: edns.udp,
              ednsVersion: edns.version,
            } as never);
          const bytes = dnsPacket.encode({
            id,
            flags,
            questions: [{ name: qname, type: qtype }],
            additionals,
          });
          const oracleQuery = dnsPacket.decode(bytes);
          const q = decodeQuery(bytes);
          assert.equal(q.id, oracleQuery.id);
          assert.equal(q.flags, flags);
          assert.equal(q.name, oracleQuery.questions![0]!.name.toLowerCase());
          assert.equal(q.type, CODES[qtype]);
          assert.equal(q.class, 1);
          assert.equal(q.questionEnd, 12 + qname.length + 2 + 4);
          assert.equal(q.edns, edns !== undefined);
          assert.equal(q.udpPayloadSize, edns?.udp ?? 512);
          assert.equal(q.ednsVersion, edns?.version ?? 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("reads back what the resolver's encodeQuery writes", () => {
    fc.assert(
      fc.property(
        u16,
        name,
        fc.constantFrom("SRV" as const, "A" as const),
        fc.boolean(),
        (id, n, type, edns) => {
          const q = decodeQuery(encodeQuery(id, n, type, edns));
          assert.deepEqual(
            { id: q.id, name: q.name, type: q.type, edns: q.edns, size: q.udpPayloadSize },
            { id, name: n, type: type === "SRV" ? TYPE_SRV : 1, edns, size: edns ? 1232 : 512 },
          );
        },
      ),
    );
  });

  it("escapes a question's odd bytes as the answer decoder does", () => {
    const query = encodeQuery(1, "a\\.b\\092\\000.Example", "A", false);
    assert.equal(decodeQuery(query).name, "a\\.b\\\\\\000.example");
    assert.equal(decodeMessage(query).questionName, decodeQuery(query).name);
  });

  it("refuses malformed queries with MalformedMessageError, and nothing else, whatever the bytes", () => {
    const valid = encodeQuery(7, "_calc._tcp.servicediscovery.internal", "SRV", true);
    const cases: Buffer[] = [
      valid.subarray(0, 11),
      Buffer.concat([valid.subarray(0, 4), Buffer.from([0, 2]), valid.subarray(6)]), // two questions
      Buffer.concat([valid.subarray(0, 12), Buffer.from([0xc0, 0x00, 0, 1, 0, 1])]), // a pointer in the question
      valid.subarray(0, valid.length - 3), // the OPT record cut short
      Buffer.concat([valid.subarray(0, 6), Buffer.from([0, 1]), valid.subarray(8)]), // OPT as an answer
    ];
    for (const bytes of cases) assert.throws(() => decodeQuery(bytes), MalformedMessageError);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(valid.length), (noise, cut) => {
        const bytes = Buffer.concat([valid.subarray(0, cut), Buffer.from(noise)]);
        try {
          decodeQuery(bytes);
        } catch (err) {
          assert.ok(err instanceof MalformedMessageError, String(err));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("writes an OPT record as dns-packet does, the upper bits of the response code in it", () => {
    const buf = Buffer.alloc(11);
    assert.equal(writeOpt(buf, 0, 1232, 16), 11);
    const theirs = codecs.answer.encode({
      type: "OPT",
      name: ".",
      udpPayloadSize: 1232,
      extendedRcode: 1,
    } as dnsPacket.Answer);
    assert.deepEqual(buf, theirs);
  });
});

describe("DNS over TCP framing (RFC 1035 §4.2.2)", () => {
  it("gives back every message framed, however the stream is cut into chunks", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (messages, cuts) => {
          const stream = Buffer.concat(messages.map((m) => frameTcp(Buffer.from(m))));
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const reader = new TcpFrameReader();
          const got: Buffer[] = [];
          let from = 0;
          for (const to of [...points, stream.length]) {
            reader.push(stream.subarray(from, to));
            from = to;
            for (let m = reader.next(); m !== undefined; m = reader.next()) got.push(Buffer.from(m));
          }
          assert.deepEqual(
            got,
            messages.map((m) => Buffer.from(m)),
          );
        },
      ),
    );
  });
});
