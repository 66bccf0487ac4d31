// Outlier detection's panic, decided per RFC 2782 priority group, with a clock moved by hand and a seeded random:
// the group a pick uses is the lowest with a usable instance, it panics when too few of its own instances are
// usable, and only when no group has one does the pick go back to the lowest priority. Same AZ first still
// applies inside the group in panic.
import { strict as assert } from "node:assert";
import type { Endpoint, Resolver, ResolverOptions } from "@ecssd/resolver";
import { clockedResolvers, countPicks } from "./support/clockedResolvers";

const ZONE = "servicediscovery.internal";
const SERVICE = `_tiers._tcp.${ZONE}`;

/** One instance to publish: its SRV priority and, for same AZ first, the AZ its host's TXT record names. */
interface Spec {
  readonly priority: number;
  readonly azId?: string;
}

describe("outlier detection: panic per priority group", () => {
  const t = clockedResolvers(ZONE, 7);

  /**
   * A resolver on the clock for `_tiers._tcp`, one instance per spec (127.0.0.1:8001 ...), any instance allowed
   * out at once; its answer cached. Same AZ first only with `azId` (the resolver's own AZ).
   */
  async function tiers(
    specs: readonly Spec[],
    options: ResolverOptions = {},
    azId?: string,
  ): Promise<{ r: Resolver; endpoints: Endpoint[] }> {
    const hosts = specs.map((_, i) => `t${i + 1}.${ZONE}`);
    t.dns.addService(
      SERVICE,
      specs.map((s, i) => ({
        target: hosts[i]!,
        address: `127.0.0.${i + 1}`,
        port: 8001 + i,
        priority: s.priority,
      })),
      86_400,
      86_400,
    );
    specs.forEach((s, i) => {
      const host = hosts[i]!;
      if (s.azId !== undefined)
        t.dns.set(host, "TXT", [{ name: host, type: "TXT", ttl: 86_400, data: [`az-id=${s.azId}`] }]);
    });
    const r = t.resolver({
      zoneAware: azId === undefined ? false : { azId },
      ...options,
      outlierDetection: { maxEjectionPercent: 100, ...(options.outlierDetection || {}) },
    });
    await r.whenAvailabilityZoneKnown();
    const endpoints = (await r.resolve("tiers")).sort((a, b) => a.port - b.port);
    return { r, endpoints };
  }

  function eject(r: Resolver, ...endpoints: Endpoint[]): void {
    for (const e of endpoints) for (let i = 0; i < 5; i++) r.reportOutcome("tiers", e, 500);
  }

  /** Ports picked in `n` cached picks, counted. */
  const picks = (r: Resolver, n: number) => countPicks(r, "tiers", n);

  const ports = (counts: Map<number, number>): number[] => [...counts.keys()].sort();
  const key = (e: Endpoint): string => `${e.address}:${e.port}`;

  function serviceStats(r: Resolver) {
    return r.stats().outlierDetection.services.find((s) => s.service === SERVICE);
  }

  it("priority 0 all ejected and priority 1 short: balances across priority 1, never back to priority 0", async () => {
    const { r, endpoints } = await tiers([
      { priority: 0 },
      { priority: 0 },
      { priority: 1 },
      { priority: 1 },
      { priority: 1 },
    ]);
    const [a, b, c, d, e] = endpoints as [Endpoint, Endpoint, Endpoint, Endpoint, Endpoint];
    eject(r, a, b);
    // Priority 1 whole: no panic there, and priority 0 gets nothing.
    assert.deepEqual(ports(picks(r, 600)), [c.port, d.port, e.port]);
    assert.equal(serviceStats(r)?.panic, false);
    assert.equal(serviceStats(r)?.panicPriority, undefined);
    // One of priority 1's three left (33% < 50%), and one of five over the service: its group panics, so the
    // picks balance across priority 1, ejected ones too. Panic over the service would send them to priority 0.
    eject(r, c, d);
    const counts = picks(r, 3000);
    assert.deepEqual(ports(counts), [c.port, d.port, e.port]);
    for (const x of [c, d, e]) assert.ok(counts.get(x.port)! > 850, `${x.port}: ${counts.get(x.port)}`);
    assert.equal(serviceStats(r)?.panic, true);
    assert.equal(serviceStats(r)?.panicPriority, 1);
    // A failover stays in the group too, and never goes back to an instance it tried.
    for (let i = 0; i < 100; i++) {
      const next = await r.pickExcept("tiers", new Set([key(e)]));
      assert.ok(next?.port === c.port || next?.port === d.port, `${next?.port}`);
    }
    // resolve() lists the group in panic first, the ejected priority 0 after it.
    const listed = (await r.resolve("tiers")).map((x) => x.port);
    assert.deepEqual(listed.slice(0, 3).sort(), [c.port, d.port, e.port]);
    assert.deepEqual(listed.slice(3).sort(), [a.port, b.port]);
    // Once the ejections are over, priority 0 out again and one of priority 1 in its connection back-off: two of
    // its three usable is no panic, and the backed-off one is passed over.
    t.clock += 30_000;
    eject(r, a, b);
    r.markFailed(c);
    assert.deepEqual(ports(picks(r, 600)), [d.port, e.port]);
    assert.equal(serviceStats(r)?.panic, false);
  });

  it("no group with a usable instance: panics over the lowest priority, as RFC 2782 alone picks", async () => {
    const { r, endpoints } = await tiers([
      { priority: 0 },
      { priority: 0 },
      { priority: 5 },
      { priority: 5 },
    ]);
    const [a, b, c, d] = endpoints as [Endpoint, Endpoint, Endpoint, Endpoint];
    eject(r, a, b, c, d);
    assert.equal(serviceStats(r)?.ejected, 4);
    const counts = picks(r, 2000);
    assert.deepEqual(ports(counts), [a.port, b.port]);
    for (const x of [a, b]) assert.ok(counts.get(x.port)! > 850, `${x.port}: ${counts.get(x.port)}`);
    assert.equal(serviceStats(r)?.panic, true);
    assert.equal(serviceStats(r)?.panicPriority, 0);
    // A failover that tried the lowest priority goes on to the next one rather than failing.
    const next = await r.pickExcept("tiers", new Set([key(a), key(b)]));
    assert.ok(next?.port === c.port || next?.port === d.port, `${next?.port}`);
  });

  it("one priority: a pick in panic is the very pick of RFC 2782 alone, draw for draw", async () => {
    const specs = Array.from({ length: 4 }, () => ({ priority: 1 }));
    const { r, endpoints } = await tiers(specs);
    const { r: healthy } = await tiers(specs);
    eject(r, endpoints[0]!, endpoints[1]!);
    r.markFailed(endpoints[2]!);
    assert.equal(serviceStats(r)?.panic, true);
    assert.equal(serviceStats(r)?.panicPriority, 1);
    const inPanic = Array.from({ length: 500 }, () => r.pickCached("tiers")!.port);
    const plain = Array.from({ length: 500 }, () => healthy.pickCached("tiers")!.port);
    assert.deepEqual(inPanic, plain);
  });

  it("same AZ first inside the group in panic: its local instances, ejected or not, and no other priority", async () => {
    const { r, endpoints } = await tiers(
      [
        { priority: 0, azId: "use1-az1" },
        { priority: 0, azId: "use1-az2" },
        { priority: 1, azId: "use1-az1" },
        { priority: 1, azId: "use1-az1" },
        { priority: 1, azId: "use1-az2" },
        { priority: 1, azId: "use1-az2" },
      ],
      {},
      "use1-az1",
    );
    const [a, b, c, d, e, f] = endpoints as [Endpoint, Endpoint, Endpoint, Endpoint, Endpoint, Endpoint];
    // Priority 0 out; in priority 1 both local instances and one other: one of four usable.
    eject(r, a, b, c, d, e);
    assert.equal(serviceStats(r)?.panicPriority, 1);
    // In panic the group's four count, the local AZ holds half their weight, so it carries its callers.
    const counts = picks(r, 2000);
    assert.deepEqual(ports(counts), [c.port, d.port]);
    assert.equal(counts.get(f.port), undefined);
  });
});
