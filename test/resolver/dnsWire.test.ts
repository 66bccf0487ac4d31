import { strict as assert } from "node:assert";
import * as dnsPacket from "dns-packet";
import fc from "fast-check";
import { matchResponse } from "../../resolver/src/dnsMessage";
import { decodeMessage, encodeQuery, MalformedMessageError, sameQuestion } from "../../resolver/src/dnsWire";
import { pointerChainAnswer } from "./support/pointerChain";

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
// Character-strings of any bytes (latin1 maps each to one character), empty ones included.
const txt = fc.record({
  name,
  type: fc.constant("TXT" as const),
  ttl,
  data: fc.array(
    fc.uint8Array({ maxLength: 255 }).map((b) => Buffer.from(b).toString("latin1")),
    { minLength: 1, maxLength: 4 },
  ),
});

describe("resolver wire decoding (dns-packet under our checks)", () => {
  it("decodes every SRV, A and TXT record dns-packet encodes, names in lower case", () => {
    fc.assert(
      fc.property(
        name,
        fc.array(fc.oneof(srv, a, txt), { maxLength: 12 }),
        fc.array(a, { maxLength: 4 }),
        (q, answers, extra) => {
          const buf = dnsPacket.encode({
            id: 4242,
            type: "response",
            flags: dnsPacket.AUTHORITATIVE_ANSWER,
            questions: [{ type: "SRV", name: q }],
            // dns-packet writes a string as UTF-8; a Buffer as the bytes it holds.
            answers: answers.map((rr) =>
              rr.type === "TXT" ? { ...rr, data: rr.data.map((t) => Buffer.from(t, "latin1")) } : rr,
            ),
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
            else if (expected.type === "TXT") assert.deepEqual(rr.data, expected.data);
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
    const goodTxt = dnsPacket.encode({
      type: "response",
      id: 8,
      questions: [{ type: "TXT", name: "h.example" }],
      answers: [{ type: "TXT", name: "h.example", ttl: 5, data: ["az-id=use1-az4", "", "more"] }],
    });
    for (const message of [good, goodTxt]) {
      fc.assert(
        fc.property(fc.nat(message.length - 1), fc.nat(255), fc.nat(message.length), (at, byte, cut) => {
          const bad = Buffer.from(message.subarray(0, Math.max(cut, at + 1)));
          bad[at] = byte;
          try {
            decodeMessage(bad);
          } catch (err) {
            assert.ok(err instanceof MalformedMessageError, String(err));
          }
        }),
        { numRuns: 2000 },
      );
    }
    assert.throws(() => decodeMessage(Buffer.alloc(5)), /malformed DNS message: shorter than a header/);
    // A compression pointer to itself must not loop.
    const loop = Buffer.from(good);
    loop.writeUInt16BE(0xc00c, 12);
    assert.throws(
      () => decodeMessage(loop),
      /malformed DNS message: compression pointer does not point backwards/,
    );
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
    assert.ok(matchResponse(answer(0x1234, "_CALC._tcp.example"), query, "_calc._tcp.example"));
    assert.equal(matchResponse(answer(0x1235, "_calc._tcp.example"), query, "_calc._tcp.example"), undefined);
    assert.equal(matchResponse(answer(0x1234, "_evil._tcp.example"), query, "_calc._tcp.example"), undefined);
    assert.equal(
      matchResponse(answer(0x1234, "_calc._tcp.example", "A"), query, "_calc._tcp.example"),
      undefined,
    );
    assert.equal(matchResponse(query, query, "_calc._tcp.example"), undefined, "a query is not an answer");
  });

  it("compares the question byte for byte, letters in either case, and names the answer as it was asked", () => {
    const name = "_calc._tcp.example";
    const query = encodeQuery(7, name, "SRV", true);
    /** Our query turned into a response (RD and RA set), then changed by `edit`. */
    const reply = (edit: (msg: Buffer) => void = () => {}): Buffer => {
      const msg = Buffer.from(query);
      msg.writeUInt16BE(0x8180, 2);
      edit(msg);
      return msg;
    };
    const shouted = Buffer.from(reply().toString("latin1").toUpperCase(), "latin1");
    assert.equal(matchResponse(shouted, query, name)?.questionName, name, "RFC 4343: the name in upper case");
    assert.equal(matchResponse(shouted, query, name)?.questionType, "SRV");
    const classAt = 12 + 20 + 2; // the name takes 20 bytes, then the type, then the class
    const chaos = reply((m) => m.writeUInt16BE(3, classAt));
    assert.equal(matchResponse(chaos, query, name), undefined, "class CH is not the question asked");
    const twoQuestions = reply((m) => m.writeUInt16BE(2, 4));
    assert.equal(matchResponse(twoQuestions, query, name), undefined, "two questions");
    assert.equal(matchResponse(reply().subarray(0, 30), query, name), undefined, "a cut-off question");
    // A length byte is never folded like a letter: 0x24 is not 0x04.
    const folded = reply((m) => {
      m[12 + 1 + 5] = 4 | 0x20;
    });
    assert.equal(matchResponse(folded, query, name), undefined);
  });
});

/** A name on the wire: its labels, then the root or a pointer to `pointer`. */
function wireName(labels: (string | Buffer)[], pointer?: number): Buffer {
  const parts = labels.map((l) => {
    const bytes = typeof l === "string" ? Buffer.from(l, "latin1") : l;
    return Buffer.concat([Buffer.from([bytes.length]), bytes]);
  });
  const end = pointer === undefined ? Buffer.from([0]) : Buffer.from([0xc0 | (pointer >> 8), pointer & 0xff]);
  return Buffer.concat([...parts, end]);
}

/** A response to one SRV question with the given records, each `[owner, type, rdata]`, all in the answer section. */
function response(question: Buffer, records: [Buffer, number, Buffer][]): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(99, 0);
  header.writeUInt16BE(0x8400, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(records.length, 6);
  const rrs = records.map(([owner, type, rdata]) => {
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(type, 0);
    fixed.writeUInt16BE(1, 2);
    fixed.writeUInt32BE(30, 4);
    fixed.writeUInt16BE(rdata.length, 8);
    return Buffer.concat([owner, fixed, rdata]);
  });
  return Buffer.concat([header, question, Buffer.from([0, 33, 0, 1]), ...rrs]);
}

function srvData(port: number, target: Buffer): Buffer {
  const fixed = Buffer.alloc(6);
  fixed.writeUInt16BE(1, 0);
  fixed.writeUInt16BE(10, 2);
  fixed.writeUInt16BE(port, 4);
  return Buffer.concat([fixed, target]);
}

describe("resolver wire decoding: names as servers compress and spell them", () => {
  // Offsets: the question's name starts at 12; "_tcp" at 12 + 6, "example" at 12 + 11.
  const question = wireName(["_calc", "_tcp", "example"]);

  it("follows pointers to the question and into its suffixes (RFC 1035 §4.1.4)", () => {
    const msg = response(question, [
      [wireName([], 12), 33, srvData(8080, wireName(["host-1"], 23))],
      [wireName([], 12), 33, srvData(8081, wireName(["Host-2", "zone"], 23))],
      [wireName(["host-1"], 23), 1, Buffer.from([10, 0, 0, 1])],
    ]);
    const m = decodeMessage(msg);
    assert.equal(m.questionName, "_calc._tcp.example");
    assert.deepEqual(
      m.answers.map((rr) => [rr.name, rr.type, rr.data]),
      [
        ["_calc._tcp.example", "SRV", { priority: 1, weight: 10, port: 8080, target: "host-1.example" }],
        ["_calc._tcp.example", "SRV", { priority: 1, weight: 10, port: 8081, target: "host-2.zone.example" }],
        ["host-1.example", "A", "10.0.0.1"],
      ],
    );
  });

  it("reads each message's pointers against that message alone", () => {
    const first = response(question, [[wireName([], 12), 33, srvData(1, wireName(["a"], 18))]]);
    const otherQuestion = wireName(["_time", "_udp", "internal"]);
    const second = response(otherQuestion, [[wireName([], 12), 33, srvData(2, wireName(["b"], 18))]]);
    assert.equal((decodeMessage(first).answers[0]!.data as { target: string }).target, "a._tcp.example");
    const m = decodeMessage(second);
    assert.equal(m.answers[0]!.name, "_time._udp.internal");
    assert.equal((m.answers[0]!.data as { target: string }).target, "b._udp.internal");
  });

  it("lower-cases ASCII and escapes a dot, a backslash and unprintable bytes inside a label", () => {
    const odd = wireName([Buffer.from("a.b", "latin1"), Buffer.from([0x5c, 0x07, 0xe9]), "EXAMPLE"]);
    const msg = response(question, [[wireName([], 12), 33, srvData(1, odd)]]);
    const target = (decodeMessage(msg).answers[0]!.data as { target: string }).target;
    assert.equal(target, "a\\.b.\\\\\\007\\233.example");
    // A label holding a dot never passes for two labels: the answer to "a.b" is not an answer to a.b.
    const dotted = response(wireName([Buffer.from("_calc._tcp", "latin1"), "example"]), []);
    assert.equal(
      matchResponse(dotted, encodeQuery(99, "_calc._tcp.example", "SRV", false), "_calc._tcp.example"),
      undefined,
    );
    // The escaped form goes back onto the wire as the same bytes (in lower case).
    const query = encodeQuery(1, target, "A", false);
    const lower = wireName([Buffer.from("a.b", "latin1"), Buffer.from([0x5c, 0x07, 0xe9]), "example"]);
    assert.deepEqual(query.subarray(12, 12 + lower.length), lower);
  });

  it("reads a name written out again in full as the same name, and only a byte-for-byte repeat", () => {
    const host = wireName(["host-1", "example"]);
    const msg = response(question, [
      [wireName([], 12), 33, srvData(1, host)],
      [wireName([], 12), 33, srvData(2, wireName(["HOST-1", "example"]))],
      [wireName([], 12), 33, srvData(3, wireName(["host-1", "examplf"]))],
      [wireName([], 12), 33, srvData(4, host)],
      [host, 1, Buffer.from([10, 0, 0, 1])],
    ]);
    const m = decodeMessage(msg);
    assert.deepEqual(
      m.answers.map((rr) => [rr.name, (rr.data as { target?: string }).target ?? rr.data]),
      [
        ["_calc._tcp.example", "host-1.example"],
        ["_calc._tcp.example", "host-1.example"],
        ["_calc._tcp.example", "host-1.examplf"],
        ["_calc._tcp.example", "host-1.example"],
        ["host-1.example", "10.0.0.1"],
      ],
    );
    // The start of a repeat, cut off by the end of the message, is read, and refused, like any other name.
    const cut = Buffer.concat([
      response(question, [[wireName([], 12), 33, srvData(1, host)]]),
      host.subarray(0, 10),
    ]);
    cut.writeUInt16BE(2, 6);
    assert.throws(() => decodeMessage(cut), /malformed DNS message: name runs past the end/);
  });

  it("refuses pointers that do not point backwards, unknown label types and names over 255 bytes", () => {
    const forward = response(question, [[wireName([], 200), 33, srvData(1, wireName([], 12))]]);
    assert.throws(() => decodeMessage(forward), /compression pointer does not point backwards/);
    const extended = Buffer.from(response(question, []));
    extended[12] = 0x41; // 0b01 label type (RFC 6891 retired it)
    assert.throws(() => decodeMessage(extended), /unknown label type 0x40/);
    // 5 labels of 60 bytes: 305 bytes on the wire, reached through a pointer to a cached suffix.
    const long = "x".repeat(60);
    const longQuestion = wireName([long, long, long]);
    const msg = response(longQuestion, [[wireName([long, long], 12), 33, srvData(1, wireName([], 12))]]);
    assert.throws(() => decodeMessage(msg), /name longer than 255 bytes/);
  });

  it("refuses a message that would follow more compression pointers than it has bytes (64 KB of them)", () => {
    const name = "_calc._tcp.example";
    const query = encodeQuery(7, name, "SRV", true);
    const msg = pointerChainAnswer(query, { target: "evil.example", port: 6666, address: "10.6.6.6" });
    assert.ok(msg.length > 64_000);
    assert.throws(
      () => decodeMessage(msg, name, sameQuestion(msg, query)),
      (err: Error) =>
        err instanceof MalformedMessageError &&
        err.message ===
          "malformed DNS message: compression pointers followed more times than the message has bytes",
    );
  });

  it("reads a large answer whose many names point into each other, as servers compress them", () => {
    // 300 targets (more than the decoder remembers), each a label and a pointer to the zone's name; then
    // their A records, whose owners point at the targets: every name is reached through pointers.
    const records: [Buffer, number, Buffer][] = [];
    let at = 12 + question.length + 4;
    const targets: number[] = [];
    for (let i = 0; i < 300; i++) {
      const target = wireName([`host-${i}`], 12 + 11);
      targets.push(at + 2 + 10 + 6);
      records.push([wireName([], 12), 33, srvData(1000 + i, target)]);
      at += 2 + 10 + 6 + target.length;
    }
    for (let i = 0; i < 300; i++)
      records.push([wireName([], targets[i]), 1, Buffer.from([10, 0, i >> 8, i & 0xff])]);
    const m = decodeMessage(response(question, records));
    assert.equal(m.answers.length, 600);
    assert.equal((m.answers[299]!.data as { target: string }).target, "host-299.example");
    assert.deepEqual([m.answers[599]!.name, m.answers[599]!.data], ["host-299.example", "10.0.1.43"]);
  });

  it("refuses record data that is not exactly what its type holds", () => {
    const shortA = response(question, [[wireName([], 12), 1, Buffer.from([10, 0, 0])]]);
    assert.throws(() => decodeMessage(shortA), /A record data is not 4 bytes/);
    const longSrv = response(question, [
      [wireName([], 12), 33, Buffer.concat([srvData(1, wireName([], 12)), Buffer.from([0])])],
    ]);
    assert.throws(() => decodeMessage(longSrv), /SRV record data does not end with its target/);
    // A TXT string of 9 bytes where the data holds 5 after its length byte.
    const longString = response(question, [[wireName([], 12), 16, Buffer.from("\x09az-id", "latin1")]]);
    assert.throws(() => decodeMessage(longString), /TXT character-string runs past its record data/);
    const twoStrings = response(question, [[wireName([], 12), 16, Buffer.from("\x01a\x00\x02bc", "latin1")]]);
    assert.deepEqual(decodeMessage(twoStrings).answers[0]!.data, ["a", "", "bc"]);
    assert.deepEqual(
      decodeMessage(response(question, [[wireName([], 12), 16, Buffer.alloc(0)]])).answers[0]!.data,
      [],
    );
  });

  it("will not write a name with an empty or overlong label", () => {
    assert.throws(() => encodeQuery(1, "a..b", "A", true), /cannot query "a..b": not a DNS name/);
    assert.throws(() => encodeQuery(1, `${"x".repeat(64)}.example`, "A", true), /not a DNS name/);
  });
});
