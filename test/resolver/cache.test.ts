import { strict as assert } from "node:assert";
import {
  createResolver,
  NotFoundError,
  type Resolver,
  type ResolverOptions,
  ServiceUnavailableError,
  TimeoutError,
} from "@ecssd/resolver";
import { AuthoritativeServer } from "../kit/authoritativeServer";
import { eventually } from "../kit/eventually";

const ZONE = "servicediscovery.internal";
const SERVICE = `_calc._tcp.${ZONE}`;

/** A clock the test moves by hand. */
class ManualClock {
  t = 1_700_000_000_000;
  readonly now = (): number => this.t;
  advance(seconds: number): void {
    this.t += seconds * 1000;
  }
}

describe("resolver cache", () => {
  let dns: AuthoritativeServer;
  let clock: ManualClock;
  const resolvers: Resolver[] = [];

  function resolver(options: ResolverOptions = {}): Resolver {
    const r = createResolver({
      servers: [dns.endpoint],
      timeoutMs: 300,
      attempts: 1,
      now: clock.now,
      ...options,
    });
    resolvers.push(r);
    return r;
  }

  beforeEach(async () => {
    clock = new ManualClock();
    dns = await AuthoritativeServer.start({ zone: ZONE, soaTtl: 3 });
    dns.addService(SERVICE, [{ target: `h1.${ZONE}`, address: "10.0.0.1", port: 8080 }], 10, 60);
  });
  afterEach(async () => {
    for (const r of resolvers.splice(0)) r.close();
    await dns.close();
  });

  it("answers from the cache until the TTL runs out, then asks again", async () => {
    const r = resolver();
    await r.pick("calc");
    await r.pick("calc");
    await r.resolve("_calc._tcp");
    assert.equal(dns.count("SRV", SERVICE), 1);
    clock.advance(10);
    await r.pick("calc");
    assert.equal(dns.count("SRV", SERVICE), 2);
  });

  it("uses the lowest TTL of the set and of the target address (RFC 2181)", async () => {
    dns.set(SERVICE, "SRV", [
      {
        name: SERVICE,
        type: "SRV",
        ttl: 30,
        data: { priority: 1, weight: 1, port: 1, target: `h1.${ZONE}` },
      },
      { name: SERVICE, type: "SRV", ttl: 4, data: { priority: 1, weight: 1, port: 2, target: `h1.${ZONE}` } },
    ]);
    const r = resolver();
    const endpoints = await r.resolve("calc");
    assert.deepEqual(
      endpoints.map((e) => e.ttl),
      [4, 4],
    );
    clock.advance(3.9);
    await r.pick("calc");
    assert.equal(dns.count("SRV", SERVICE), 1);
    clock.advance(0.2);
    await r.pick("calc");
    assert.equal(dns.count("SRV", SERVICE), 2);
  });

  it("does not cache TTL 0 but shares one query among concurrent lookups", async () => {
    dns.addService(SERVICE, [{ target: `h1.${ZONE}`, address: "10.0.0.1", port: 8080 }], 0, 60);
    const r = resolver();
    const results = await Promise.all(Array.from({ length: 20 }, () => r.pick("calc")));
    assert.equal(results.length, 20);
    assert.equal(dns.count("SRV", SERVICE), 1, "twenty concurrent lookups, one query");
    assert.equal(r.pickCached("calc"), undefined, "TTL 0 is not cached");
    await r.pick("calc");
    assert.equal(dns.count("SRV", SERVICE), 2);
  });

  it("caches NXDOMAIN for the SOA minimum (RFC 2308), capped by maxNegativeTtlSeconds", async () => {
    const r = resolver({ maxNegativeTtlSeconds: 60 });
    const first = await r.pick("nosuch").catch((e: unknown) => e);
    assert.ok(first instanceof NotFoundError);
    assert.equal(first.reason, "NXDOMAIN");
    assert.equal(first.name, "NotFoundError");
    assert.match(first.message, /SRV _nosuch\._tcp\.servicediscovery\.internal/);
    assert.throws(() => r.pickCached("nosuch"), NotFoundError);
    assert.equal(dns.count("SRV", `_nosuch._tcp.${ZONE}`), 1);
    clock.advance(3);
    await assert.rejects(r.pick("nosuch"), NotFoundError);
    assert.equal(dns.count("SRV", `_nosuch._tcp.${ZONE}`), 2);
    const capped = resolver({ maxNegativeTtlSeconds: 1 });
    await assert.rejects(capped.pick("other"), NotFoundError);
    clock.advance(1);
    await assert.rejects(capped.pick("other"), NotFoundError);
    assert.equal(dns.count("SRV", `_other._tcp.${ZONE}`), 2);
  });

  it("finds a service registered after a negative answer once the negative TTL is over", async () => {
    const r = resolver();
    await assert.rejects(r.pick("late"), NotFoundError);
    dns.addService(`_late._tcp.${ZONE}`, [{ target: `h1.${ZONE}`, address: "10.0.0.1", port: 9 }]);
    clock.advance(3);
    assert.equal((await r.pick("late")).port, 9);
  });

  it("caches NODATA too", async () => {
    dns.set(`_calc._udp.${ZONE}`, "A", [{ name: `_calc._udp.${ZONE}`, type: "A", ttl: 5, data: "10.9.9.9" }]);
    const r = resolver();
    const err = await r.resolve("_calc._udp").catch((e: unknown) => e);
    assert.ok(err instanceof NotFoundError);
    assert.equal(err.reason, "NODATA");
    await assert.rejects(r.resolve("_calc._udp"), NotFoundError);
    assert.equal(dns.count("SRV", `_calc._udp.${ZONE}`), 1);
  });

  it('caches "service decidedly not available" (target ".")', async () => {
    dns.set(`_gone._tcp.${ZONE}`, "SRV", [
      {
        name: `_gone._tcp.${ZONE}`,
        type: "SRV",
        ttl: 10,
        data: { priority: 0, weight: 0, port: 0, target: "." },
      },
    ]);
    const r = resolver();
    const err = await r.pick("gone").catch((e: unknown) => e);
    assert.ok(err instanceof ServiceUnavailableError);
    assert.equal(err.name, "ServiceUnavailableError");
    await assert.rejects(r.resolve("gone"), ServiceUnavailableError);
    assert.equal(dns.count("SRV", `_gone._tcp.${ZONE}`), 1);
  });

  it("serves a cached name when the server is down, up to the maximum staleness (RFC 8767)", async () => {
    const r = resolver({ maxStaleSeconds: 60 });
    assert.equal((await r.pick("calc")).port, 8080);
    dns.hook = () => true; // the server goes silent
    clock.advance(30);
    assert.equal((await r.pick("calc")).port, 8080, "stale answer instead of an error");
    assert.equal(dns.count("SRV", SERVICE), 2, "it did ask first");
    // While the servers keep failing, the stale answer comes at once, without a wait.
    assert.equal(r.pickCached("calc")?.port, 8080);
    clock.advance(41);
    const err = await r.pick("calc").catch((e: unknown) => e);
    assert.ok(err instanceof TimeoutError, `past the staleness bound: ${String(err)}`);
  });

  it("serves stale when the server process is gone altogether", async () => {
    const r = resolver();
    await r.resolve("calc");
    await dns.close();
    clock.advance(11);
    const endpoints = await r.resolve("calc");
    assert.equal(endpoints[0]!.address, "10.0.0.1");
    dns = await AuthoritativeServer.start({ zone: ZONE }); // for afterEach
  });

  it("recovers fresh answers once the server is back", async () => {
    const r = resolver({ staleRefreshIntervalMs: 0 });
    await r.pick("calc");
    dns.hook = () => true;
    clock.advance(11);
    await r.pick("calc");
    dns.hook = undefined;
    dns.addService(SERVICE, [{ target: `h2.${ZONE}`, address: "10.0.0.2", port: 8081 }], 10, 60);
    assert.equal(r.pickCached("calc")?.port, 8080, "stale, while a background refresh goes out");
    await eventually(() => r.pickCached("calc")?.port === 8081, 5_000, "the refreshed answer", 10);
  });

  it("refreshes a hot name in the background before it expires, so callers never wait", async () => {
    const r = resolver({ prefetchRatio: 0.8 });
    await r.pick("calc");
    dns.addService(SERVICE, [{ target: `h2.${ZONE}`, address: "10.0.0.2", port: 8081 }], 10, 60);
    clock.advance(8.5); // past 80 % of the 10 s TTL
    assert.equal(r.pickCached("calc")?.port, 8080, "answered from the cache at once");
    await eventually(() => dns.count("SRV", SERVICE) === 2, 5_000, "the prefetch query", 10);
    await eventually(() => r.pickCached("calc")?.port === 8081, 5_000, "the prefetched answer", 10);
    clock.advance(5); // past the first answer's expiry: the prefetched one is still fresh
    assert.equal(r.pickCached("calc")?.port, 8081);
    assert.equal(dns.count("SRV", SERVICE), 2);
  });

  it("keeps no more than maxCacheEntries answers (LRU)", async () => {
    for (let i = 0; i < 30; i++) {
      dns.addService(`_s${i}._tcp.${ZONE}`, [{ target: `h1.${ZONE}`, address: "10.0.0.1", port: 1000 + i }]);
    }
    const r = resolver({ maxCacheEntries: 5 });
    await r.pick("s0");
    for (let i = 1; i < 30; i++) {
      await r.pick(`s${i}`);
      await r.pick("s0"); // keeps s0 the most recently used
      assert.ok(r.cacheSize <= 5, `cache holds ${r.cacheSize}`);
    }
    assert.equal(dns.count("SRV", `_s0._tcp.${ZONE}`), 1, "the hot name stayed");
    assert.equal(r.pickCached("s1"), undefined, "an old name was evicted");
    await r.pick("s1");
    assert.equal(dns.count("SRV", `_s1._tcp.${ZONE}`), 2);
  });

  it("looks up target addresses when the answer has no additional section, and caches them", async () => {
    await dns.close();
    dns = await AuthoritativeServer.start({ zone: ZONE, additional: false });
    dns.addService(SERVICE, [
      { target: `h1.${ZONE}`, address: "10.0.0.1", port: 8080 },
      { target: `h2.${ZONE}`, address: "10.0.0.2", port: 8081 },
    ]);
    dns.addService(`_other._tcp.${ZONE}`, [{ target: `h1.${ZONE}`, address: "10.0.0.1", port: 9090 }]);
    const r = resolver();
    const endpoints = await r.resolve("calc");
    assert.deepEqual(endpoints.map((e) => e.address).sort(), ["10.0.0.1", "10.0.0.2"]);
    await r.resolve("other");
    assert.equal(dns.count("A", `h1.${ZONE}`), 1, "the target's address came from the cache");
  });
});
