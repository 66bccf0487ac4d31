import assert from "node:assert/strict";
import * as dnsPacket from "dns-packet";
import fc from "fast-check";
import { DnsResponder } from "../../../local/zone/dnsResponder";
import { type Change, ZoneStore } from "../../../local/zone/zoneStore";

/** A zone with multivalue SRV sets, glue, a big A set and a wildcard, built without the API. */
function populatedResponder(): DnsResponder {
  const store = new ZoneStore(5);
  const zone = store.createHostedZone({ name: "servicediscovery.internal", callerReference: "fuzz" }).zone;
  const changes: Change[] = [
    {
      action: "CREATE",
      set: { name: "host1.servicediscovery.internal.", type: "A", ttl: 60, values: ["127.0.0.1"] },
    },
    {
      action: "CREATE",
      set: { name: "\\052.wild.servicediscovery.internal.", type: "A", ttl: 60, values: ["10.0.0.9"] },
    },
    {
      action: "CREATE",
      set: {
        name: "big.servicediscovery.internal.",
        type: "A",
        ttl: 60,
        values: Array.from({ length: 300 }, (_, i) => `10.${i >> 8}.${i & 255}.1`),
      },
    },
    ...Array.from({ length: 20 }, (_, i) => ({
      action: "CREATE" as const,
      set: {
        name: "_calc._tcp.servicediscovery.internal.",
        type: "SRV" as const,
        setIdentifier: `c${i}`,
        multiValueAnswer: true,
        ttl: 10,
        values: [`1 1 ${8000 + i} host1.servicediscovery.internal.`],
      },
    })),
  ];
  store.changeResourceRecordSets(zone.id, changes);
  return new DnsResponder(store);
}

function checkResponse(query: Uint8Array, reply: Buffer | null, limit: number): void {
  if (reply === null) return;
  assert.ok(reply.length >= 12, "a reply has a full header");
  assert.ok(reply.length <= limit, `a reply fits the transport (${reply.length} > ${limit})`);
  assert.equal(reply.readUInt16BE(0), (query[0]! << 8) | query[1]!, "a reply carries the query id");
  assert.ok(reply[2]! & 0x80, "a reply has QR set");
}

describe("local zone DNS responder on arbitrary bytes (fast-check)", () => {
  const responder = populatedResponder();
  const queries = (
    [
      ["_calc._tcp.servicediscovery.internal", "SRV"],
      ["big.servicediscovery.internal", "A"],
      ["x.wild.servicediscovery.internal", "A"],
      ["nothing.servicediscovery.internal", "TXT"],
    ] as const
  ).map(([name, type]) =>
    dnsPacket.encode({
      type: "query",
      id: 99,
      questions: [{ name, type }],
      additionals: [{ type: "OPT", name: ".", udpPayloadSize: 1400 } as never],
    }),
  );

  it("never throws, and every reply is a well-formed header within the size limit", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), (bytes) => {
        const msg = Buffer.from(bytes);
        checkResponse(bytes, responder.respond(msg, "udp"), 4096);
        checkResponse(bytes, responder.respond(msg, "tcp"), 65535);
      }),
      { numRuns: 3000, seed: 20261125 },
    );
  });

  it("never throws on valid queries with bytes changed, cut or appended", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...queries),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat({ max: 80 }),
        fc.uint8Array({ maxLength: 20 }),
        (query, edits, cut, tail) => {
          const msg = Buffer.from(query);
          for (const [at, value] of edits) msg[at % msg.length] = value;
          const mutated = Buffer.concat([msg.subarray(0, Math.max(0, msg.length - cut)), tail]);
          checkResponse(mutated, responder.respond(mutated, "udp"), 4096);
        },
      ),
      { numRuns: 3000, seed: 20261125 },
    );
  });

  it("answers the unmodified queries in full, decodable by dns-packet", () => {
    for (const query of queries) {
      const reply = responder.respond(query, "tcp");
      assert.ok(reply);
      const decoded = dnsPacket.decode(reply);
      assert.equal(decoded.id, 99);
      assert.ok((decoded.answers?.length ?? 0) > 0 || (decoded.authorities?.length ?? 0) > 0);
    }
  });
});
