import assert from "node:assert/strict";
import dgram from "node:dgram";
import net from "node:net";
import * as dnsPacket from "dns-packet";
import { type LocalZone, startLocalZone } from "../../../local/zone";
import { DnsResponder } from "../../../local/zone/dnsResponder";
import { startDnsServer } from "../../../local/zone/dnsServer";
import { ZoneStore } from "../../../local/zone/zoneStore";

/** Sends one datagram and resolves with the reply, or null when none comes within `ms`. */
function udpExchange(zone: LocalZone, msg: Buffer, ms = 300): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket("udp4");
    const timer = setTimeout(() => {
      socket.close();
      resolve(null);
    }, ms);
    socket.on("error", (err) => {
      clearTimeout(timer);
      socket.close();
      reject(err);
    });
    socket.on("message", (reply) => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    });
    socket.send(msg, zone.dns.port, zone.dns.host);
  });
}

function query(name: string, type: dnsPacket.RecordType = "SOA", id = 4242): Buffer {
  return dnsPacket.encode({
    type: "query",
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name }],
  });
}

function rcodeOf(reply: Buffer): number {
  return reply.readUInt16BE(2) & 0xf;
}

/** The server still answers a valid query correctly. */
async function assertAlive(zone: LocalZone): Promise<void> {
  const reply = await udpExchange(zone, query("servicediscovery.internal", "SOA", 777), 2000);
  assert.ok(reply, "the server must still answer after hostile input");
  const decoded = dnsPacket.decode(reply);
  assert.equal(decoded.id, 777);
  assert.equal(decoded.answers?.[0]?.type, "SOA");
}

/** Deterministic pseudo-random bytes, so a failure can be replayed. */
function* prng(seed: number): Generator<number> {
  let x = seed;
  for (;;) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    yield (x >>> 0) & 0xff;
  }
}

describe("local zone DNS under hostile input", () => {
  let zone: LocalZone;
  before(async () => {
    zone = await startLocalZone();
  });
  after(async () => {
    await zone.close();
  });

  it("drops packets too short to carry an id, and answers FORMERR to a truncated header", async () => {
    assert.equal(await udpExchange(zone, Buffer.alloc(0)), null);
    assert.equal(await udpExchange(zone, Buffer.from([0x12])), null);
    const reply = await udpExchange(zone, Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00]));
    assert.ok(reply);
    assert.equal(reply.readUInt16BE(0), 0x1234);
    assert.equal(rcodeOf(reply), 1);
    await assertAlive(zone);
  });

  it("answers FORMERR to huge section counts, compression loops and overlong names", async () => {
    const hugeCounts = Buffer.concat([
      Buffer.from([0, 1, 1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      Buffer.alloc(20),
    ]);
    const valid = query("servicediscovery.internal");
    const manyAdditional = Buffer.from(valid);
    manyAdditional.writeUInt16BE(0xffff, 10);
    // Question name is a pointer to itself.
    const loop = Buffer.concat([Buffer.from([0, 2, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1])]);
    // An additional record whose name points at itself.
    const loopInAdditional = Buffer.concat([
      valid,
      Buffer.from([0xc0, valid.length, 0, 41, 2, 0, 0, 0, 0, 0, 0, 0]),
    ]);
    loopInAdditional.writeUInt16BE(1, 10);
    const longLabel = Buffer.concat([
      Buffer.from([0, 3, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 64]),
      Buffer.alloc(64, 0x61),
      Buffer.from([0, 0, 1, 0, 1]),
    ]);
    const longName = Buffer.concat([
      Buffer.from([0, 4, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
      ...Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([60]), Buffer.alloc(60, 0x61)])),
      Buffer.from([0, 0, 1, 0, 1]),
    ]);
    for (const [what, msg] of Object.entries({ hugeCounts, manyAdditional, loop, longLabel, longName })) {
      const reply = await udpExchange(zone, msg);
      assert.ok(reply, `${what}: expected an answer`);
      assert.equal(rcodeOf(reply), 1, `${what}: expected FORMERR`);
    }
    const reply = await udpExchange(zone, loopInAdditional);
    assert.ok(reply);
    await assertAlive(zone);
  });

  it("does not answer responses, and answers NOTIMP to other opcodes and to zone transfers", async () => {
    const response = Buffer.from(query("servicediscovery.internal"));
    response[2]! |= 0x80;
    assert.equal(await udpExchange(zone, response), null);
    const update = Buffer.from(query("servicediscovery.internal"));
    update[2] = (update[2]! & 0x87) | (5 << 3);
    const updateReply = await udpExchange(zone, update);
    assert.ok(updateReply);
    assert.equal(rcodeOf(updateReply), 4);
    const axfr = await udpExchange(zone, query("servicediscovery.internal", "AXFR"));
    assert.ok(axfr);
    assert.equal(rcodeOf(axfr), 4);
  });

  it("survives a bounded burst of random garbage over UDP", async () => {
    const bytes = prng(0x5eed);
    for (let i = 0; i < 300; i++) {
      const length = bytes.next().value % 96;
      const msg = Buffer.from(Array.from({ length }, () => bytes.next().value));
      // Mostly queries (QR clear) with a valid-looking single question count, to go deeper.
      if (length > 5 && i % 2 === 0) {
        msg[2] = msg[2]! & 0x07;
        msg[4] = 0;
        msg[5] = 1;
      }
      await udpExchange(zone, msg, 20);
    }
    await assertAlive(zone);
  });

  it("serves several framed queries on one TCP connection, including frames split across writes", async () => {
    const socket = net.connect(zone.dns.port, zone.dns.host);
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    const frame = (msg: Buffer) => Buffer.concat([Buffer.from([msg.length >> 8, msg.length & 0xff]), msg]);
    const replies: Buffer[] = [];
    let pending = Buffer.alloc(0);
    const got = new Promise<void>((resolve) => {
      socket.on("data", (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
          replies.push(pending.subarray(2, 2 + pending.readUInt16BE(0)));
          pending = pending.subarray(2 + pending.readUInt16BE(0));
        }
        if (replies.length === 3) resolve();
      });
    });
    const two = Buffer.concat([
      frame(query("servicediscovery.internal", "SOA", 1)),
      frame(Buffer.from([9, 9, 1])),
    ]);
    socket.write(two);
    const third = frame(query("servicediscovery.internal", "NS", 3));
    socket.write(third.subarray(0, 5));
    await new Promise((r) => setTimeout(r, 50));
    socket.write(third.subarray(5));
    await Promise.race([
      got,
      new Promise((_, reject) => setTimeout(() => reject(new Error("no TCP answers")), 3000)),
    ]);
    socket.destroy();
    assert.deepEqual(
      replies.map((r) => r.readUInt16BE(0)),
      [1, 0x0909, 3],
    );
    assert.equal(rcodeOf(replies[1]!), 1);
    assert.equal(dnsPacket.decode(replies[2]!).answers?.length, 2);
  });

  it("survives TCP connections that send garbage, a huge length prefix, or close mid-frame", async () => {
    for (const payload of [
      Buffer.from([0xff, 0xff, 1, 2, 3]),
      Buffer.from([0, 40, 1, 2, 3]),
      Buffer.from([0, 2, 0xde, 0xad]),
    ]) {
      const socket = net.connect(zone.dns.port, zone.dns.host);
      await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
      socket.write(payload);
      await new Promise((r) => setTimeout(r, 30));
      socket.destroy();
    }
    await assertAlive(zone);
  });

  it("closes idle TCP connections after the idle timeout", async () => {
    const server = await startDnsServer({
      host: "127.0.0.1",
      port: 0,
      responder: new DnsResponder(new ZoneStore(5)),
      tcpIdleTimeoutMs: 150,
    });
    try {
      const socket = net.connect(server.port, "127.0.0.1");
      const closed = new Promise<number>((resolve) => {
        const started = Date.now();
        socket.once("close", () => resolve(Date.now() - started));
      });
      socket.on("error", () => undefined);
      const waited = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 3000))]);
      socket.destroy();
      assert.ok(waited >= 100, `the server closed the idle connection after ${waited} ms`);
    } finally {
      await server.close();
    }
  });
});
