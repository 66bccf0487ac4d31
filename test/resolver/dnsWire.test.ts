import { strict as assert } from "node:assert";
import * as dnsPacket from "dns-packet";
import fc from "fast-check";
import { matchResponse } from "../../resolver/src/dnsMessage";
import { decodeMessage, encodeQuery, MalformedMessageError } from "../../resolver/src/dnsWire";

const label = fc.stringMatching(/^[a-z0-9_][a-z0-9_-]{0,20}$/);
const name = fc.array(label, { minLength: 1, maxLength: 5 }).map((l) => l.join("."));
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join("."));
const ttl = fc.nat(0x7fffffff);
const srv = fc.record({
  name,
  type: fc.constant("SRV" as const),
  ttl,
  data: fc.record({ priority: fc.nat(65535), weight: fc.nat(65535), port: fc.nat(65535), target: name }),
});
const a = fc.record({ name, type: fc.constant("A" as const), ttl, data: ipv4 });

describe("resolver wire decoding (dns-packet under our checks)", () => {
  it("decodes every SRV and A record dns-packet encodes, names in lower case", () => {
    fc.assert(
      fc.property(
        name,
        fc.array(fc.oneof(srv, a), { maxLength: 12 }),
        fc.array(a, { maxLength: 4 }),
        (q, answers, extra) => {
          const buf = dnsPacket.encode({
            id: 4242,
            type: "response",
            flags: dnsPacket.AUTHORITATIVE_ANSWER,
            questions: [{ type: "SRV", name: q }],
            answers,
            additionals: extra,
          });
          const m = decodeMessage(buf);
          assert.equal(m.id, 4242);
          assert.equal(m.questionName, q.toLowerCase());
          assert.equal(m.questionType, "SRV");
          assert.equal(m.answers.length, answers.length);
          m.answers.forEach((rr, i) => {
            const expected = answers[i]!;
            assert.equal(rr.name, expected.name);
            assert.equal(rr.ttl, expected.ttl);
            if (expected.type === "A") assert.equal(rr.data, expected.data);
            else assert.deepEqual(rr.data, { ...expected.data });
          });
          assert.deepEqual(
            m.additionals.map((rr) => rr.data),
            extra.map((rr) => rr.data),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it("reads AAAA in the form Node prints, and the negative TTL of an SOA (RFC 2308)", () => {
    const buf = dnsPacket.encode({
      type: "response",
      id: 1,
      questions: [{ type: "A", name: "x.example" }],
      answers: [{ type: "AAAA", name: "x.example", ttl: 5, data: "fd00:0:0:0:0:0:0:1" }],
      authorities: [
        {
          type: "SOA",
          name: "example",
          ttl: 900,
          data: {
            mname: "ns.example",
            rname: "h.example",
            serial: 1,
            refresh: 2,
            retry: 3,
            expire: 4,
            minimum: 60,
          },
        },
      ],
    });
    const m = decodeMessage(buf);
    assert.equal(m.answers[0]!.data, "fd00::1");
    assert.equal(m.authorities[0]!.data, 60);
  });

  it("throws a clear error, never anything else, for any mangled message", () => {
    const good = dnsPacket.encode({
      type: "response",
      id: 7,
      questions: [{ type: "SRV", name: "_calc._tcp.example" }],
      answers: [{ type: "SRV", name: "_calc._tcp.example", ttl: 5, data: { port: 1, target: "h.example" } }],
    });
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.nat(255), fc.nat(good.length), (at, byte, cut) => {
        const bad = Buffer.from(good.subarray(0, Math.max(cut, at + 1)));
        bad[at] = byte;
        try {
          decodeMessage(bad);
        } catch (err) {
          assert.ok(err instanceof MalformedMessageError, String(err));
        }
      }),
      { numRuns: 2000 },
    );
    assert.throws(() => decodeMessage(Buffer.alloc(5)), /malformed DNS message: shorter than a header/);
    // A compression pointer to itself must not loop.
    const loop = Buffer.from(good);
    loop.writeUInt16BE(0xc00c, 12);
    assert.throws(() => decodeMessage(loop), /malformed DNS message: Cannot decode name \(bad pointer\)/);
  });

  it("prints the longest run of zero groups compressed, and rejects an A record cut short", () => {
    const buf = dnsPacket.encode({
      type: "response",
      id: 2,
      questions: [{ type: "A", name: "x.example" }],
      answers: [
        { type: "AAAA", name: "x.example", ttl: 5, data: "1:0:0:2:0:0:0:3" },
        { type: "A", name: "x.example", ttl: 5, data: "10.0.0.1" },
      ],
    });
    assert.equal(decodeMessage(buf).answers[0]!.data, "1:0:0:2::3");
    assert.throws(
      () => decodeMessage(buf.subarray(0, buf.length - 2)),
      /malformed DNS message: record data runs past the end/,
    );
  });

  it("accepts only an answer to the exact question and id it asked", () => {
    const query = encodeQuery(0x1234, "_calc._tcp.example", "SRV", true);
    const decodedQuery = dnsPacket.decode(query);
    assert.equal(decodedQuery.id, 0x1234);
    assert.deepEqual(decodedQuery.questions, [{ name: "_calc._tcp.example", type: "SRV", class: "IN" }]);
    const opt = decodedQuery.additionals?.[0] as dnsPacket.OptAnswer;
    assert.equal(opt.udpPayloadSize, 1232, "EDNS0 with a 1232-byte buffer");
    const answer = (id: number, q: string, type: "SRV" | "A" = "SRV") =>
      dnsPacket.encode({ type: "response", id, questions: [{ type, name: q }], answers: [] });
    assert.ok(matchResponse(answer(0x1234, "_CALC._tcp.example"), 0x1234, "_calc._tcp.example", "SRV"));
    assert.equal(
      matchResponse(answer(0x1235, "_calc._tcp.example"), 0x1234, "_calc._tcp.example", "SRV"),
      undefined,
    );
    assert.equal(
      matchResponse(answer(0x1234, "_evil._tcp.example"), 0x1234, "_calc._tcp.example", "SRV"),
      undefined,
    );
    assert.equal(
      matchResponse(answer(0x1234, "_calc._tcp.example", "A"), 0x1234, "_calc._tcp.example", "SRV"),
      undefined,
    );
    assert.equal(
      matchResponse(query, 0x1234, "_calc._tcp.example", "SRV"),
      undefined,
      "a query is not an answer",
    );
  });
});
