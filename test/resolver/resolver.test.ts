import { strict as assert } from "node:assert";
import * as net from "node:net";
import {
  createResolver,
  expandServiceName,
  isConnectionError,
  NotFoundError,
  parseNameserver,
  parseResolvConf,
  type Resolver,
} from "@ecssd/resolver";
import { AuthoritativeServer } from "../kit/authoritativeServer";

const ZONE = "servicediscovery.internal";

async function listen(): Promise<net.Server> {
  const server = net.createServer((socket) => socket.end("hello\n"));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return server;
}

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = await listen();
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function readGreeting(address: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port });
    let data = "";
    socket.on("data", (d) => {
      data += d;
    });
    socket.on("end", () => resolve(data));
    socket.on("error", reject);
  });
}

describe("resolver API", () => {
  let dns: AuthoritativeServer;
  const resolvers: Resolver[] = [];
  const servers: net.Server[] = [];

  function resolver(options: Parameters<typeof createResolver>[0] = {}): Resolver {
    const r = createResolver({ servers: [dns.endpoint], timeoutMs: 500, ...options });
    resolvers.push(r);
    return r;
  }

  beforeEach(async () => {
    dns = await AuthoritativeServer.start({ zone: ZONE });
  });
  afterEach(async () => {
    for (const r of resolvers.splice(0)) r.close();
    for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
    await dns.close();
  });

  it("expands short names into the domain and takes full names as they are", () => {
    assert.equal(expandServiceName("calc", ZONE), `_calc._tcp.${ZONE}`);
    assert.equal(expandServiceName("_calc", ZONE), `_calc._tcp.${ZONE}`);
    assert.equal(expandServiceName("_calc._udp", ZONE), `_calc._udp.${ZONE}`);
    assert.equal(expandServiceName("_Calc._TCP.Example.COM.", ZONE), "_calc._tcp.example.com");
    assert.equal(expandServiceName("_calc._tcp.example.com", ZONE), "_calc._tcp.example.com");
    assert.throws(() => expandServiceName("bad name", ZONE), /invalid service name "bad name"/);
    assert.throws(() => expandServiceName("a..b", ZONE), /label "" must be/);
    assert.throws(() => expandServiceName(`${"x".repeat(64)}.example`, ZONE), /label "x+" must be 1-63/);
  });

  it("resolves every endpoint with host, address, port, priority, weight and ttl", async () => {
    dns.addService(
      `_time._tcp.${ZONE}`,
      [
        { target: `i-1.${ZONE}`, address: "127.0.0.1", port: 32768, priority: 1, weight: 10 },
        { target: `i-2.${ZONE}`, address: "127.0.0.2", port: 32769, priority: 2, weight: 5 },
      ],
      10,
      60,
    );
    const endpoints = await resolver().resolve("time");
    assert.deepEqual(endpoints, [
      { host: `i-1.${ZONE}`, address: "127.0.0.1", port: 32768, priority: 1, weight: 10, ttl: 10 },
      { host: `i-2.${ZONE}`, address: "127.0.0.2", port: 32769, priority: 2, weight: 5, ttl: 10 },
    ]);
  });

  it("answers many concurrent lookups of different names, each from its own query", async () => {
    for (let i = 0; i < 100; i++) {
      dns.addService(`_c${i}._tcp.${ZONE}`, [{ target: `h.${ZONE}`, address: "10.0.0.1", port: 1000 + i }]);
    }
    const r = resolver();
    const ports = await Promise.all(
      Array.from({ length: 100 }, (_, i) => r.pick(`c${i}`).then((e) => e.port)),
    );
    assert.deepEqual(
      ports,
      Array.from({ length: 100 }, (_, i) => 1000 + i),
    );
  });

  it("uses a custom domain for short names", async () => {
    dns.addService("_calc._tcp.example.internal", [
      { target: "h.example.internal", address: "10.0.0.7", port: 7 },
    ]);
    assert.equal((await resolver({ domain: "Example.Internal." }).pick("calc")).address, "10.0.0.7");
  });

  it("drops endpoints whose target has no address and fails when none is left", async () => {
    const name = `_half._tcp.${ZONE}`;
    dns.set(name, "SRV", [
      { name, type: "SRV", ttl: 10, data: { priority: 1, weight: 1, port: 1, target: `ghost.${ZONE}` } },
      { name, type: "SRV", ttl: 10, data: { priority: 1, weight: 1, port: 2, target: `real.${ZONE}` } },
    ]);
    dns.set(`real.${ZONE}`, "A", [{ name: `real.${ZONE}`, type: "A", ttl: 60, data: "10.0.0.3" }]);
    const endpoints = await resolver().resolve("half");
    assert.deepEqual(
      endpoints.map((e) => e.port),
      [2],
    );
    const only = `_ghost._tcp.${ZONE}`;
    dns.set(only, "SRV", [
      {
        name: only,
        type: "SRV",
        ttl: 10,
        data: { priority: 1, weight: 1, port: 1, target: `ghost.${ZONE}` },
      },
    ]);
    const err = await resolver()
      .resolve("ghost")
      .catch((e: unknown) => e);
    assert.ok(err instanceof NotFoundError, String(err));
    assert.match(err.message, /A ghost\.servicediscovery\.internal/);
  });

  it("withEndpoint retries on another endpoint when the connection is refused", async () => {
    const up = await listen();
    servers.push(up);
    const upPort = (up.address() as net.AddressInfo).port;
    const downPort = await closedPort();
    dns.addService(`_greet._tcp.${ZONE}`, [
      { target: `down.${ZONE}`, address: "127.0.0.1", port: downPort, priority: 1 },
      { target: `up.${ZONE}`, address: "127.0.0.1", port: upPort, priority: 2 },
    ]);
    const r = resolver();
    const tried: number[] = [];
    const greeting = await r.withEndpoint("greet", (e) => {
      tried.push(e.port);
      return readGreeting(e.address, e.port);
    });
    assert.equal(greeting, "hello\n");
    assert.deepEqual(tried, [downPort, upPort]);
    // The refused endpoint is now in its back-off: the next pick goes straight to the live one.
    assert.equal((await r.pick("greet")).port, upPort);
  });

  it("withEndpoint rethrows errors that are not connection failures without retrying", async () => {
    dns.addService(`_x._tcp.${ZONE}`, [
      { target: `a.${ZONE}`, address: "127.0.0.1", port: 1 },
      { target: `b.${ZONE}`, address: "127.0.0.1", port: 2 },
    ]);
    let calls = 0;
    await assert.rejects(
      resolver().withEndpoint("x", () => {
        calls++;
        throw new Error("HTTP 500");
      }),
      /HTTP 500/,
    );
    assert.equal(calls, 1);
  });

  it("withEndpoint gives up after the attempts, or when every endpoint was tried", async () => {
    const ports = [await closedPort(), await closedPort()];
    dns.addService(
      `_dead._tcp.${ZONE}`,
      ports.map((port, i) => ({ target: `d${i}.${ZONE}`, address: "127.0.0.1", port })),
    );
    const tried: number[] = [];
    const err = await resolver()
      .withEndpoint(
        "dead",
        (e) => {
          tried.push(e.port);
          return readGreeting(e.address, e.port);
        },
        { attempts: 5 },
      )
      .catch((e: unknown) => e);
    assert.ok(isConnectionError(err), String(err));
    assert.deepEqual([...tried].sort(), [...ports].sort(), "each endpoint once, no more");
  });

  it("recognises connection errors inside a cause chain (fetch wraps them)", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    assert.ok(isConnectionError(new TypeError("fetch failed", { cause: refused })));
    assert.ok(!isConnectionError(new Error("HTTP 503")));
    assert.ok(!isConnectionError("ECONNREFUSED"));
  });

  it("rejects bad options with every problem named at once", () => {
    assert.throws(
      () => createResolver({ servers: ["not-an-ip:53"], timeoutMs: 0, attempts: 1.5, prefetchRatio: 2 }),
      (err: Error) =>
        /\[servers\] invalid nameserver "not-an-ip:53"/.test(err.message) &&
        /\[timeoutMs\]/.test(err.message) &&
        /\[attempts\]/.test(err.message) &&
        /\[prefetchRatio\]/.test(err.message),
    );
    assert.throws(() => createResolver({ servers: [] }), /at least one nameserver/);
  });

  it("parses nameservers as ip, ip:port and [ipv6]:port", () => {
    assert.deepEqual(parseNameserver("127.0.0.1:5353"), {
      address: "127.0.0.1",
      port: 5353,
      family: 4,
      label: "127.0.0.1:5353",
    });
    assert.equal(parseNameserver("10.0.0.2").port, 53);
    assert.equal(parseNameserver("[::1]:5300").label, "[::1]:5300");
    assert.equal(parseNameserver("::1").port, 53);
    assert.equal(parseNameserver("[0:0:0:0:0:0:0:1]:53").address, "::1", "IPv6 in canonical form");
    assert.throws(() => parseNameserver("127.0.0.1:99999"), /port must be 1-65535/);
    assert.throws(() => parseNameserver("dns.example:53"), /expected ip\[:port\]/);
  });

  it("reads nameserver lines from resolv.conf text", () => {
    const servers = parseResolvConf(
      "# comment\nsearch example.internal\nnameserver 10.0.0.2\nnameserver fe80::1%eth0\nnameserver ::1 ; trailing\noptions ndots:5\n",
    );
    assert.deepEqual(
      servers.map((s) => s.label),
      ["10.0.0.2:53", "[::1]:53"],
    );
  });

  it("resolves over IPv4 from a server given without a port in resolv.conf style", async () => {
    dns.addService(`_calc._tcp.${ZONE}`, [{ target: `h.${ZONE}`, address: "10.0.0.1", port: 1 }]);
    const r = resolver({ servers: [`127.0.0.1:${dns.port}`] });
    assert.equal(r.servers[0]!.label, dns.endpoint);
    assert.equal((await r.pick("calc")).port, 1);
  });

  it("nameExists: any record at the name means it exists; only NXDOMAIN does not; a failing server is an error", async () => {
    dns.set(`host.${ZONE}`, "A", [{ name: `host.${ZONE}`, type: "A", ttl: 60, data: "10.0.0.9" }]);
    dns.set(`v6.${ZONE}`, "AAAA", [{ name: `v6.${ZONE}`, type: "AAAA", ttl: 60, data: "fd00::9" }]);
    dns.set(`note.${ZONE}`, "TXT", [{ name: `note.${ZONE}`, type: "TXT", ttl: 60, data: ["hello"] }]);
    const r = resolver();
    assert.equal(r.nameExistsCached(`host.${ZONE}`), undefined, "not asked yet");
    assert.equal(await r.nameExists(`host.${ZONE}`), true);
    assert.equal(await r.nameExists(`V6.${ZONE}.`), true, "NODATA: an AAAA only");
    assert.equal(await r.nameExists(`note.${ZONE}`), true, "NODATA: a TXT only");
    assert.equal(await r.nameExists(`free.${ZONE}`), false);
    const asked = dns.count("A", `free.${ZONE}`);
    assert.equal(r.nameExistsCached(`free.${ZONE}`), false, "the NXDOMAIN is cached");
    assert.equal(r.nameExistsCached(`host.${ZONE}`), true);
    assert.equal(dns.count("A", `free.${ZONE}`), asked);
    assert.throws(() => r.nameExistsCached("not a name"), TypeError);
    dns.hook = () => true; // silent
    const err = await resolver({ timeoutMs: 100, attempts: 1 })
      .nameExists(`other.${ZONE}`)
      .catch((e: unknown) => e);
    assert.equal((err as Error).name, "TimeoutError");
  });
});
