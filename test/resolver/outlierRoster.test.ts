// Outlier detection over the whole service and over time, with a clock moved by hand: maxEjectionPercent counts the
// instances a service's answers held lately (a Route53 answer holds 8 of them), not its answer now; an ejection
// whose time is over ends even when its service is no longer picked; a success with nothing on record costs no name
// lookup; and the roster of instances forgets the unseen and stays bounded.
import { strict as assert } from "node:assert";
import diagnostics from "node:diagnostics_channel";
import type { Endpoint, Resolver } from "@ecssd/resolver";
import { ServiceRoster } from "../../resolver/src/serviceRoster";
import { EndpointSet } from "../../resolver/src/srvSelect";
import { clockedResolvers } from "./support/clockedResolvers";

const ZONE = "servicediscovery.internal";
const SERVICE = `_api._tcp.${ZONE}`;
const OTHER = `_other._tcp.${ZONE}`;
/** The SRV TTL of the answers: the clock moves past it to make the resolver ask again. */
const TTL_MS = 10_000;

/** Instance n of a service (1-based): 127.0.0.n:800n. */
function instance(n: number) {
  return { target: `i${n}.${ZONE}`, address: `127.0.0.${n}`, port: 8000 + n };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe("outlier detection: the service's size over its answers, and ejections ending unseen", () => {
  const t = clockedResolvers(ZONE, 5);

  /**
   * The servers answer `name` with these instances from now on, for `ttlMs`; the resolver asks again (its answer
   * expired).
   */
  async function answer(r: Resolver, numbers: number[], name = SERVICE, ttlMs = TTL_MS): Promise<void> {
    t.dns.addService(name, numbers.map(instance), ttlMs / 1000, 86_400);
    t.clock += TTL_MS + 1;
    const got = await r.resolve(name);
    assert.deepEqual(
      got.map((e) => e.port).sort((a, b) => a - b),
      numbers.map((n) => 8000 + n),
    );
  }

  function endpoint(n: number): Endpoint {
    const { target, address, port } = instance(n);
    return { host: target, address, port, priority: 1, weight: 1, ttl: TTL_MS / 1000 };
  }

  function fail(r: Resolver, n: number, times = 5, name = "api"): void {
    for (let i = 0; i < times; i++) r.reportOutcome(name, endpoint(n), 503);
  }

  function ejected(r: Resolver, service = SERVICE): string[] {
    const s = r.stats().outlierDetection.services.find((x) => x.service === service);
    return (s?.instances ?? []).filter((i) => i.ejected).map((i) => i.instance);
  }

  it("ejects two of a 20-instance service answered 8 at a time, once its answers have held all 20", async () => {
    const r = t.resolver();
    await answer(r, range(1, 8));
    fail(r, 3);
    assert.deepEqual(ejected(r), ["127.0.0.3:8003"], "one may always be");
    await answer(r, range(9, 16));
    fail(r, 12);
    assert.deepEqual(ejected(r), ["127.0.0.3:8003"], "16 seen: 2 would be more than 10%");
    assert.equal(r.stats().outlierDetection.totals.refusedByMaxShare, 1);
    await answer(r, range(13, 20));
    fail(r, 12, 1);
    assert.deepEqual(ejected(r).sort(), ["127.0.0.12:8012", "127.0.0.3:8003"], "2 = 10% of 20");
    fail(r, 15);
    assert.equal(ejected(r).length, 2, "a third would be 15%");
    assert.equal(r.stats().outlierDetection.totals.refusedByMaxShare, 2);
  });

  it("still ejects one at a time from a 3-instance service, however often it is answered", async () => {
    const r = t.resolver();
    for (let round = 0; round < 4; round++) await answer(r, [1, 2, 3]);
    for (const n of [1, 2, 3]) fail(r, n);
    assert.deepEqual(ejected(r), ["127.0.0.1:8001"]);
    assert.equal(r.stats().outlierDetection.totals.refusedByMaxShare, 2);
  });

  it("stops counting an instance its answers have not held for maxEjectionMs", async () => {
    const r = t.resolver({ outlierDetection: { baseEjectionMs: 10_000, maxEjectionMs: 60_000 } });
    await answer(r, range(1, 8));
    await answer(r, range(9, 16));
    await answer(r, range(13, 20));
    fail(r, 14);
    fail(r, 18);
    assert.deepEqual(ejected(r).sort(), ["127.0.0.14:8014", "127.0.0.18:8018"], "20 seen");
    // Over a minute on, the answers are the same 8 (refreshed, or still cached): instances 1 to 12 are gone.
    t.clock += 30_000;
    await answer(r, range(13, 20));
    t.clock += 31_000;
    assert.equal(r.stats().outlierDetection.totals.ejectedNow, 0, "both back: their 10 s are over");
    fail(r, 14);
    fail(r, 18);
    assert.deepEqual(ejected(r), ["127.0.0.14:8014"], "8 seen: one at a time");
  });

  it("ends an ejection once its time is over even if its service is no longer picked", async () => {
    const r = t.resolver();
    // Answers that stay fresh: picks of the other service come from the cache all along.
    await answer(r, range(1, 4), SERVICE, 86_400_000);
    await answer(r, [1, 2], OTHER, 86_400_000);
    const returned: unknown[] = [];
    const onReturned = (m: unknown) => returned.push(m);
    diagnostics.subscribe("ecssd:outlier:returned", onReturned);
    try {
      fail(r, 1);
      const until = r.stats().outlierDetection.services[0]!.instances.find((i) => i.ejected)!.ejectedUntil!;
      t.clock = until - 1;
      r.pickCached("other");
      assert.equal(returned.length, 0, "still out 1 ms before its time");
      t.clock = until;
      // Only the other service is picked now: its pick returns api's instance, and picks go back to the fast path.
      r.pickCached("other");
      assert.deepEqual(
        returned.map((m) => {
          const { service, endpoint: e } = m as { service: string; endpoint: Endpoint };
          return [service, e.address, e.port];
        }),
        [[SERVICE, "127.0.0.1", 8001]],
      );
      for (let i = 0; i < 10; i++) r.pickCached("other");
      assert.equal(returned.length, 1);
      assert.equal(r.stats().outlierDetection.totals.ejectedNow, 0);
    } finally {
      diagnostics.unsubscribe("ecssd:outlier:returned", onReturned);
    }
  });

  it("a success with nothing on record looks no name up; once something is, each outcome does", async () => {
    const r = t.resolver();
    await answer(r, range(1, 4));
    const inner = r as unknown as { keyOf(name: string): string };
    const keyOf = inner.keyOf.bind(r);
    let lookups = 0;
    inner.keyOf = (name) => {
      lookups++;
      return keyOf(name);
    };
    for (const outcome of [200, 404, "connected"] as const) r.reportOutcome("api", endpoint(1), outcome);
    assert.equal(lookups, 0);
    r.reportOutcome("api", endpoint(1), 500);
    r.reportOutcome("api", endpoint(2), 200);
    assert.equal(lookups, 2, "a failure is on record: a success may reset it");
    r.reportOutcome("api", endpoint(1), 200);
    assert.equal(r.stats().outlierDetection.services.length, 0, "reset and forgotten");
    r.reportOutcome("api", endpoint(1), 200);
    assert.equal(lookups, 3);
  });
});

describe("the roster of a service's instances", () => {
  function set(...numbers: number[]): EndpointSet {
    return new EndpointSet(
      numbers.map((n) => {
        const { target, address, port } = instance(n);
        return { host: target, address, port, priority: 1, weight: 1, ttl: 10 };
      }),
    );
  }

  it("counts the instances of the answers within its window, the cached one as seen now", () => {
    const roster = new ServiceRoster(60_000);
    const first = set(1, 2, 3);
    const second = set(3, 4);
    roster.saw(SERVICE, first, 0);
    roster.saw(SERVICE, second, 30_000);
    assert.equal(roster.size(SERVICE, undefined, 60_000), 4);
    assert.equal(roster.size(SERVICE, undefined, 60_001), 2, "1 and 2 unseen for over the window");
    assert.equal(roster.size(SERVICE, second, 500_000), 2, "still cached: seen now");
    assert.equal(roster.size(SERVICE, undefined, 560_001), 0);
    assert.equal(roster.trackedCount, 0, "a service with none left is forgotten");
    assert.equal(roster.size(OTHER, undefined, 0), 0, "never answered");
  });

  it("takes a set seen again as nothing new: its instances keep the time of its arrival", () => {
    const roster = new ServiceRoster(60_000);
    const answer = set(1, 2);
    roster.saw(SERVICE, answer, 0);
    roster.saw(SERVICE, answer, 50_000);
    assert.equal(roster.size(SERVICE, undefined, 60_001), 0);
  });

  it("holds at most maxTracked instances: the least recently answered service loses its oldest first", () => {
    const roster = new ServiceRoster(60_000, 10);
    roster.saw("a", set(1, 2, 3, 4), 0);
    roster.saw("b", set(1, 2, 3, 4), 1);
    roster.saw("a", set(5, 6), 2); // a is now the most recently answered
    roster.saw("c", set(1, 2, 3, 4), 3);
    assert.equal(roster.trackedCount, 10);
    assert.equal(roster.size("b", undefined, 3), 0, "b, the least recently answered, went first");
    assert.equal(roster.size("a", undefined, 3), 6);
    assert.equal(roster.size("c", undefined, 3), 4);
    for (let n = 0; n < 1000; n++) roster.saw(`s${n}`, set(1, 2, 3), 4 + n);
    assert.equal(roster.trackedCount, 10);
  });
});
