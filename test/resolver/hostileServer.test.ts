import { strict as assert } from "node:assert";
import * as dgram from "node:dgram";
import {
  createResolver,
  type Resolver,
  type ResolverOptions,
  ServerFailureError,
  TimeoutError,
} from "@ecssd/resolver";
import * as dnsPacket from "dns-packet";
import { MAX_QUERIES_PER_SOCKET, SOCKETS_PER_SERVER } from "../../resolver/src/dnsTransport";
import { AuthoritativeServer, type QueryContext } from "../kit/authoritativeServer";
import { pointerChainAnswer } from "./support/pointerChain";

const ZONE = "servicediscovery.internal";
const SERVICE = `_calc._tcp.${ZONE}`;
const REAL = "10.0.0.1";
const EVIL = "10.66.66.66";

/** The correct answer with its A record rewritten to the attacker's address. */
function forged(ctx: QueryContext, change: (p: dnsPacket.Packet) => dnsPacket.Packet = (p) => p): Buffer {
  const packet = dnsPacket.decode(ctx.answer()) as dnsPacket.Packet;
  const evil = {
    ...packet,
    additionals: (packet.additionals ?? []).map((rr) => (rr.type === "A" ? { ...rr, data: EVIL } : rr)),
  };
  return dnsPacket.encode(change(evil));
}

function withRcode(ctx: QueryContext, rcode: number): Buffer {
  const packet = dnsPacket.decode(ctx.answer()) as dnsPacket.Packet;
  return dnsPacket.encode({
    ...packet,
    flags: ((packet.flags ?? 0) & ~0xf) | rcode,
    answers: [],
    additionals: [],
  });
}

describe("resolver against a hostile DNS server", () => {
  let good: AuthoritativeServer;
  let bad: AuthoritativeServer;
  const resolvers: Resolver[] = [];

  function resolverFor(servers: AuthoritativeServer[], options: ResolverOptions = {}): Resolver {
    const r = createResolver({
      servers: servers.map((s) => s.endpoint),
      timeoutMs: 1000,
      attempts: 1,
      ...options,
    });
    resolvers.push(r);
    return r;
  }

  beforeEach(async () => {
    good = await AuthoritativeServer.start({ zone: ZONE });
    bad = await AuthoritativeServer.start({ zone: ZONE });
    for (const s of [good, bad]) {
      s.addService(SERVICE, [{ target: `h1.${ZONE}`, address: REAL, port: 8080 }]);
    }
  });
  afterEach(async () => {
    for (const r of resolvers.splice(0)) r.close();
    await good.close();
    await bad.close();
  });

  it("spreads queries over random source ports, none used for more than a bounded number, with random ids (RFC 5452)", async () => {
    const perPort = new Map<number, number>();
    const ids = new Set<number>();
    good.hook = (ctx) => {
      perPort.set(ctx.rinfo.port, (perPort.get(ctx.rinfo.port) ?? 0) + 1);
      ids.add((ctx.query as dnsPacket.Packet).id ?? 0);
      return false;
    };
    const resolver = resolverFor([good], { maxCacheEntries: 0 });
    const queries = 6 * MAX_QUERIES_PER_SOCKET;
    for (let i = 0; i < queries; i++) await resolver.pick("calc");
    const counts = [...perPort.values()];
    assert.ok(Math.max(...counts) <= MAX_QUERIES_PER_SOCKET, `a port carried ${Math.max(...counts)} queries`);
    assert.ok(
      perPort.size >= queries / MAX_QUERIES_PER_SOCKET,
      `${perPort.size} source ports for ${queries} queries`,
    );
    assert.ok(perPort.size > SOCKETS_PER_SERVER, "retired sockets were replaced by new ports");
    // 384 random 16-bit ids repeat about once by chance (birthday bound: 384^2 / 2^17); more than ten
    // repeats would take a broken generator (by chance: about one run in 10^8).
    assert.ok(ids.size >= queries - 10, `ids repeat too often: ${ids.size} distinct of ${queries}`);
  });

  it("ignores an answer with a spoofed id and takes the real one that follows", async () => {
    bad.hook = (ctx) => {
      const query = ctx.query as dnsPacket.Packet;
      ctx.send(forged(ctx, (p) => ({ ...p, id: ((query.id ?? 0) + 1) & 0xffff })));
      setTimeout(() => ctx.send(ctx.answer()), 20);
      return true;
    };
    const endpoint = await resolverFor([bad]).pick("calc");
    assert.equal(endpoint.address, REAL);
  });

  it("ignores an answer to a different question", async () => {
    bad.hook = (ctx) => {
      ctx.send(forged(ctx, (p) => ({ ...p, questions: [{ type: "SRV", name: `_evil._tcp.${ZONE}` }] })));
      ctx.send(forged(ctx, (p) => ({ ...p, questions: [{ type: "A", name: SERVICE }] })));
      setTimeout(() => ctx.send(ctx.answer()), 20);
      return true;
    };
    assert.equal((await resolverFor([bad]).pick("calc")).address, REAL);
  });

  it("ignores an answer with the right id and question sent from another port (RFC 5452)", async () => {
    bad.hook = (ctx) => {
      ctx.sendFromOtherPort(forged(ctx));
      setTimeout(() => ctx.send(ctx.answer()), 30);
      return true;
    };
    assert.equal((await resolverFor([bad]).pick("calc")).address, REAL);
  });

  it("times out, naming the server, when only forged answers come", async () => {
    bad.hook = (ctx) => {
      ctx.sendFromOtherPort(forged(ctx));
      ctx.send(forged(ctx, (p) => ({ ...p, id: ((p.id ?? 0) + 1) & 0xffff })));
      return true;
    };
    const err = await resolverFor([bad], { timeoutMs: 300 })
      .pick("calc")
      .catch((e: unknown) => e);
    assert.ok(err instanceof TimeoutError, String(err));
    assert.equal(err.name, "TimeoutError");
    assert.deepEqual(err.servers, [bad.endpoint]);
    assert.match(err.message, /SRV _calc\._tcp\.servicediscovery\.internal/);
    assert.match(err.message, new RegExp(`${bad.endpoint} \\(timeout\\)`));
  });

  it("skips garbage bytes and keeps waiting for the real answer", async () => {
    bad.hook = (ctx) => {
      const id = (ctx.query as dnsPacket.Packet).id ?? 0;
      const garbage = Buffer.from([
        id >> 8,
        id & 0xff,
        0x81,
        0x80,
        0,
        1,
        0,
        9,
        0,
        0,
        0,
        0,
        0xc0,
        0xff,
        0xc0,
        0x0c,
      ]);
      ctx.send(garbage);
      ctx.send(Buffer.from("not dns at all"));
      ctx.send(Buffer.alloc(0));
      const truncatedMid = ctx.answer().subarray(0, 40);
      ctx.send(truncatedMid);
      setTimeout(() => ctx.send(ctx.answer()), 20);
      return true;
    };
    assert.equal((await resolverFor([bad]).pick("calc")).address, REAL);
  });

  it("retries over TCP when the UDP answer is truncated (RFC 7766)", async () => {
    bad.hook = (ctx) => {
      const packet = dnsPacket.decode(ctx.answer()) as dnsPacket.Packet;
      ctx.send(
        dnsPacket.encode({
          ...packet,
          flags: (packet.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE,
          answers: [],
          additionals: [],
        }),
      );
      return true;
    };
    const endpoint = await resolverFor([bad]).pick("calc");
    assert.equal(endpoint.address, REAL);
    assert.equal(bad.tcpConnections, 1);
  });

  it("gets an answer too big for 1232 bytes over TCP", async () => {
    const instances = Array.from({ length: 40 }, (_, i) => ({
      target: `a-rather-long-host-name-number-${i}.${ZONE}`,
      address: `10.1.0.${i + 1}`,
      port: 9000 + i,
    }));
    good.addService(`_big._tcp.${ZONE}`, instances);
    const endpoints = await resolverFor([good]).resolve("big");
    assert.equal(endpoints.length, 40);
    assert.equal(good.tcpConnections, 1);
  });

  it("moves to the next server on SERVFAIL and on REFUSED", async () => {
    for (const rcode of [2, 5]) {
      bad.hook = (ctx) => {
        ctx.send(withRcode(ctx, rcode));
        return true;
      };
      const resolver = resolverFor([bad, good]);
      assert.equal((await resolver.pick("calc")).address, REAL);
    }
    assert.equal(bad.count("SRV", SERVICE), 2);
  });

  it("asks again without EDNS when a server answers FORMERR to the OPT record (RFC 6891)", async () => {
    let withOpt = 0;
    bad.hook = (ctx) => {
      const hasOpt = (ctx.query.additionals ?? []).some((rr) => rr.type === "OPT");
      if (!hasOpt) return false;
      withOpt++;
      ctx.send(withRcode(ctx, 1));
      return true;
    };
    assert.equal((await resolverFor([bad]).pick("calc")).address, REAL);
    assert.equal(withOpt, 1);
    assert.equal(bad.count("SRV", SERVICE), 2);
  });

  it("moves to the next server when one stays silent", async () => {
    bad.hook = () => true;
    const started = Date.now();
    const endpoint = await resolverFor([bad, good], { timeoutMs: 200 }).pick("calc");
    assert.equal(endpoint.address, REAL);
    assert.ok(Date.now() - started >= 190, "waited for the silent server's timeout first");
  });

  it("moves on at once from a server whose port is closed", async () => {
    const closed = dgram.createSocket("udp4");
    await new Promise<void>((r) => closed.bind(0, "127.0.0.1", () => r()));
    const port = closed.address().port;
    await new Promise<void>((r) => closed.close(() => r()));
    const resolver = createResolver({
      servers: [`127.0.0.1:${port}`, good.endpoint],
      timeoutMs: 5000,
      attempts: 1,
    });
    resolvers.push(resolver);
    const started = Date.now();
    assert.equal((await resolver.pick("calc")).address, REAL);
    assert.ok(Date.now() - started < 2000, "no timeout wait for a refused port");
  });

  it("reports a server failure naming every server and what each said", async () => {
    bad.hook = (ctx) => {
      ctx.send(withRcode(ctx, 2));
      return true;
    };
    good.hook = (ctx) => {
      ctx.send(withRcode(ctx, 5));
      return true;
    };
    const err = await resolverFor([bad, good], { attempts: 2 })
      .resolve("calc")
      .catch((e: unknown) => e);
    assert.ok(err instanceof ServerFailureError, String(err));
    assert.equal(err.name, "ServerFailureError");
    assert.deepEqual(err.servers, [bad.endpoint, good.endpoint]);
    assert.deepEqual(
      err.attempts.map((a) => a.outcome),
      ["SERVFAIL", "REFUSED", "SERVFAIL", "REFUSED"],
    );
    assert.match(err.message, /every server failed: SRV _calc\._tcp\.servicediscovery\.internal/);
  });

  it("refuses a 64 KB answer built to make it follow pointers for ever, and takes the real one that follows", async () => {
    // Read through, the hostile answer would give the attacker's endpoint (after half a second of pointers).
    bad.hook = (ctx) => {
      ctx.send(pointerChainAnswer(ctx.answer(), { target: `evil.${ZONE}`, port: 6666, address: EVIL }));
      setTimeout(() => ctx.send(ctx.answer()), 20);
      return true;
    };
    const endpoint = await resolverFor([bad]).pick("calc");
    assert.deepEqual([endpoint.address, endpoint.port], [REAL, 8080]);
  });

  it("survives a flood of hostile packets without crashing and still answers", async () => {
    bad.hook = (ctx) => {
      for (let i = 0; i < 200; i++) {
        const junk = Buffer.alloc(1 + (i % 60));
        for (let j = 0; j < junk.length; j++) junk[j] = (i * 31 + j * 7) & 0xff;
        ctx.send(junk);
      }
      setTimeout(() => ctx.send(ctx.answer()), 20);
      return true;
    };
    assert.equal((await resolverFor([bad]).pick("calc")).address, REAL);
  });
});
