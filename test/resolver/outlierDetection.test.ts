// Outlier detection through the resolver, with a clock moved by hand: when an instance is ejected and for how long,
// what resets its counts, the share of a service that may be out at once, panic mode, the return to rotation, the
// stats and the diagnostics channels, and the option's validation.
import { strict as assert } from "node:assert";
import diagnostics from "node:diagnostics_channel";
import {
  createResolver,
  type Endpoint,
  OUTLIER_DEFAULTS,
  type Resolver,
  type ResolverOptions,
} from "@ecssd/resolver";
import { OutlierDetector } from "../../resolver/src/outlierDetection";
import { clockedResolvers, countPicks } from "./support/clockedResolvers";

const ZONE = "servicediscovery.internal";
const SERVICE = `_api._tcp.${ZONE}`;

/** Records what is published on a channel while a test runs. */
function listen(name: string): { messages: Record<string, unknown>[]; stop(): void } {
  const messages: Record<string, unknown>[] = [];
  const onMessage = (m: unknown) => messages.push(m as Record<string, unknown>);
  diagnostics.subscribe(name, onMessage);
  return { messages, stop: () => diagnostics.unsubscribe(name, onMessage) };
}

describe("outlier detection: ejection, its share, panic and return", () => {
  const t = clockedResolvers(ZONE, 3);

  /** A resolver on the clock, for a service of `count` instances (127.0.0.1:8001 ...), its answer cached. */
  async function fleet(
    count: number,
    options: ResolverOptions = {},
  ): Promise<{ r: Resolver; endpoints: Endpoint[] }> {
    t.dns.addService(
      SERVICE,
      Array.from({ length: count }, (_, i) => ({
        target: `i${i + 1}.${ZONE}`,
        address: `127.0.0.${i + 1}`,
        port: 8001 + i,
      })),
      86_400,
      86_400,
    );
    const r = t.resolver(options);
    const endpoints = (await r.resolve("api")).sort((a, b) => a.port - b.port);
    return { r, endpoints };
  }

  function report(r: Resolver, e: Endpoint, ...outcomes: (number | "connected" | "connection-failed")[]) {
    for (const o of outcomes) r.reportOutcome("api", e, o);
  }

  /** Ports picked in `n` cached picks, counted. */
  const picks = (r: Resolver, n = 500) => countPicks(r, "api", n);

  function instanceStats(r: Resolver, e: Endpoint) {
    const service = r.stats().outlierDetection.services.find((s) => s.service === SERVICE);
    return service?.instances.find((i) => i.instance === `${e.address}:${e.port}`);
  }

  it("ejects an instance on exactly its 5th consecutive 5xx, and picks never return it while ejected", async () => {
    const { r, endpoints } = await fleet(10);
    const bad = endpoints[0]!;
    const ejected = listen("ecssd:outlier:ejected");
    try {
      report(r, bad, 500, 500, 500, 500);
      assert.equal(instanceStats(r, bad)?.consecutive5xx, 4);
      assert.equal(instanceStats(r, bad)?.ejected, false);
      assert.ok(picks(r).has(bad.port), "four 5xx are not enough");
      report(r, bad, 500);
      assert.deepEqual(instanceStats(r, bad), {
        instance: "127.0.0.1:8001",
        host: `i1.${ZONE}`,
        consecutive5xx: 0,
        consecutiveGatewayErrors: 0,
        consecutiveConnectionFailures: 0,
        ejected: true,
        ejectedUntil: t.clock + 30_000,
        ejections: 1,
      });
      assert.equal(picks(r, 2000).get(bad.port), undefined);
      assert.ok((await r.resolve("api")).at(-1)?.port === bad.port, "resolve orders it last");
      assert.deepEqual(
        ejected.messages.map((m) => [
          m.service,
          (m.endpoint as Endpoint).port,
          m.reason,
          m.ejections,
          m.durationMs,
        ]),
        [[SERVICE, bad.port, "consecutive-5xx", 1, 30_000]],
      );
      assert.equal(r.stats().outlierDetection.totals.ejections, 1);
    } finally {
      ejected.stop();
    }
  });

  it("any response under 500 resets the counts; a 500 resets only the gateway count", async () => {
    const { r, endpoints } = await fleet(20); // 10% of 20: two may be ejected
    const [a, b, c] = endpoints;
    report(r, a!, 503, 503, 503, 503, 200, 503, 503, 503, 503);
    assert.equal(instanceStats(r, a!)?.ejected, false, "the 200 broke the run");
    assert.equal(instanceStats(r, a!)?.consecutiveGatewayErrors, 4);
    report(r, a!, 404);
    assert.equal(instanceStats(r, a!), undefined, "nothing left on record: forgotten");

    const ejected = listen("ecssd:outlier:ejected");
    try {
      // Four gateway errors, then a 500: the gateway run is broken, the 5xx run reaches 5.
      report(r, b!, 502, 504, 503, 503, 500);
      assert.equal(instanceStats(r, b!)?.ejected, true);
      // Five gateway errors: ejected for those, counted apart.
      report(r, c!, 503, 503, 503, 503);
      report(r, c!, "connected");
      assert.equal(
        instanceStats(r, c!)?.consecutiveGatewayErrors,
        4,
        "a connection made resets only its own count",
      );
      report(r, c!, 503);
      assert.deepEqual(
        ejected.messages.map((m) => m.reason),
        ["consecutive-5xx", "consecutive-gateway-errors"],
      );
    } finally {
      ejected.stop();
    }
  });

  it("ejects on 5 consecutive connection failures; a connection made or any answer resets them", async () => {
    const { r, endpoints } = await fleet(10);
    const [a, b] = endpoints;
    report(
      r,
      a!,
      "connection-failed",
      "connection-failed",
      "connection-failed",
      "connection-failed",
      "connected",
    );
    report(r, a!, "connection-failed", "connection-failed", "connection-failed", "connection-failed", 503);
    assert.equal(instanceStats(r, a!)?.ejected, false);
    assert.equal(instanceStats(r, a!)?.consecutiveConnectionFailures, 0);
    report(r, b!, ...Array<"connection-failed">(5).fill("connection-failed"));
    assert.equal(instanceStats(r, b!)?.ejected, true);
  });

  it("withEndpoint counts its connection failures, and its successes reset them", async () => {
    const { r, endpoints } = await fleet(10);
    const dead = endpoints[0]!;
    /** Calls through withEndpoint until `dead` has been called `times` times, failing or answering there. */
    async function meetDead(times: number, fails: boolean): Promise<void> {
      for (let met = 0, calls = 0; met < times && calls < 10_000; calls++) {
        await r.withEndpoint("api", (e) => {
          if (e.port !== dead.port) return;
          met++;
          if (fails) throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
        });
        t.clock += 20_000; // past the connection back-off of each failure (1 s, 2 s ... 16 s)
      }
    }
    await meetDead(4, true);
    assert.equal(instanceStats(r, dead)?.consecutiveConnectionFailures, 4);
    await meetDead(1, false);
    assert.equal(instanceStats(r, dead)?.consecutiveConnectionFailures, 0);
    await meetDead(5, true);
    assert.equal(instanceStats(r, dead)?.ejected, true);
  });

  it("ejects for base × ejections, up to the maximum, and returns the instance when its time is over", async () => {
    const { r, endpoints } = await fleet(10, { outlierDetection: { maxEjectionMs: 100_000 } });
    const bad = endpoints[0]!;
    const returned = listen("ecssd:outlier:returned");
    try {
      const durations: number[] = [];
      for (let round = 0; round < 5; round++) {
        report(r, bad, 500, 500, 500, 500, 500);
        const until = instanceStats(r, bad)!.ejectedUntil!;
        durations.push(until - t.clock);
        t.clock = until - 1;
        assert.equal(picks(r).get(bad.port), undefined, `round ${round}: still out 1 ms before its time`);
        assert.equal(returned.messages.length, round);
        t.clock = until;
        assert.ok((picks(r).get(bad.port) ?? 0) > 0, `round ${round}: back once its time is over`);
        assert.equal(returned.messages.length, round + 1, "published once, by the pick that looked");
      }
      assert.deepEqual(durations, [30_000, 60_000, 90_000, 100_000, 100_000]);
      assert.equal(instanceStats(r, bad)?.ejections, 5);
      assert.deepEqual(returned.messages.at(-1), { service: SERVICE, endpoint: bad });
      // In rotation and calm for 4 × base: the multiplier (5) has come down by four, so this ejection is the 2nd's.
      t.clock += 120_000;
      report(r, bad, 500, 500, 500, 500, 500);
      assert.equal(instanceStats(r, bad)!.ejectedUntil! - t.clock, 60_000);
      const totals = r.stats().outlierDetection.totals;
      assert.deepEqual(totals, { ejections: 6, returns: 5, ejectedNow: 1, refusedByMaxShare: 0 });
    } finally {
      returned.stop();
    }
  });

  it("ejects at most maxEjectionPercent of a service's instances at once", async () => {
    const { r, endpoints } = await fleet(20);
    for (const e of endpoints.slice(0, 3)) report(r, e, 503, 503, 503, 503, 503);
    const stats = r.stats().outlierDetection;
    const service = stats.services.find((s) => s.service === SERVICE)!;
    assert.equal(service.ejected, 2, "10% of 20");
    assert.equal(service.instances.length, 20, "every instance of the answer is listed");
    assert.equal(stats.totals.refusedByMaxShare, 1);
    assert.equal(instanceStats(r, endpoints[2]!)?.consecutiveGatewayErrors, 5, "counted, not ejected");
    // Once a place is free, its next failure ejects it.
    t.clock += 30_000;
    report(r, endpoints[2]!, 503);
    assert.equal(instanceStats(r, endpoints[2]!)?.ejected, true);
  });

  it("always lets one instance be ejected, however small the service", async () => {
    const { r, endpoints } = await fleet(3);
    for (const e of endpoints) report(r, e, 500, 500, 500, 500, 500);
    assert.deepEqual(
      endpoints.map((e) => instanceStats(r, e)?.ejected),
      [true, false, false],
    );
    const counts = picks(r, 1000);
    assert.equal(counts.get(endpoints[0]!.port), undefined);
    assert.ok(
      counts.get(endpoints[1]!.port)! > 350 && counts.get(endpoints[2]!.port)! > 350,
      `${[...counts]}`,
    );
  });

  it("panics below the threshold: picks balance across every instance, ejected and backed-off alike", async () => {
    const { r, endpoints } = await fleet(4, { outlierDetection: { maxEjectionPercent: 100 } });
    const [a, b, c, d] = endpoints;
    for (const e of [a!, b!]) report(r, e, 500, 500, 500, 500, 500);
    // Two of four usable: exactly the threshold (50%), not below it.
    assert.deepEqual([...picks(r, 1000).keys()].sort(), [c!.port, d!.port]);
    assert.equal(r.stats().outlierDetection.services[0]?.panic, false);
    // A third out, by a connection back-off this time: one of four usable.
    r.markFailed(c!);
    const counts = picks(r, 2000);
    for (const e of endpoints) assert.ok((counts.get(e.port) ?? 0) > 400, `${e.port}: ${counts.get(e.port)}`);
    assert.equal(r.stats().outlierDetection.services[0]?.panic, true);
    // Even with every instance ejected, a pick answers.
    for (const e of [c!, d!]) report(r, e, 500, 500, 500, 500, 500);
    assert.equal(r.stats().outlierDetection.services[0]?.ejected, 4);
    assert.ok(r.pickCached("api"));
    assert.ok(await r.pickExcept("api", new Set([`${a!.address}:${a!.port}`])));
  });

  it("a failover's next pick skips ejected instances unless nothing else is left", async () => {
    const { r, endpoints } = await fleet(3);
    const [a, b, c] = endpoints;
    report(r, a!, 500, 500, 500, 500, 500);
    for (let i = 0; i < 50; i++) {
      assert.equal((await r.pickExcept("api", new Set([`${b!.address}:${b!.port}`])))?.port, c!.port);
    }
    const tried = new Set([`${b!.address}:${b!.port}`, `${c!.address}:${c!.port}`]);
    assert.equal((await r.pickExcept("api", tried))?.port, a!.port, "the ejected one rather than none");
  });

  it("is off with outlierDetection: false, and then never changes a pick", async () => {
    const { r, endpoints } = await fleet(2, { outlierDetection: false });
    report(r, endpoints[0]!, ...Array<number>(20).fill(503));
    assert.equal(picks(r, 1000).size, 2);
    assert.deepEqual(r.stats().outlierDetection, {
      enabled: false,
      services: [],
      totals: { ejections: 0, returns: 0, ejectedNow: 0, refusedByMaxShare: 0 },
    });
  });

  it("turns a rule off with 0", async () => {
    const { r, endpoints } = await fleet(10, { outlierDetection: { consecutiveGatewayErrors: 0 } });
    report(r, endpoints[0]!, 503, 503, 503, 503);
    report(r, endpoints[0]!, 503);
    assert.equal(instanceStats(r, endpoints[0]!)?.ejected, true, "by the 5xx rule");
    const { r: quiet } = await fleet(10, {
      outlierDetection: { consecutive5xx: 0, consecutiveGatewayErrors: 0 },
    });
    report(quiet, endpoints[1]!, ...Array<number>(20).fill(500));
    assert.equal(quiet.stats().outlierDetection.totals.ejections, 0);
  });

  it("refuses bad settings, naming each one", () => {
    assert.throws(
      () =>
        createResolver({
          servers: ["127.0.0.1"],
          outlierDetection: {
            consecutive5xx: 2.5,
            baseEjectionMs: 0,
            maxEjectionPercent: 120,
            panicThresholdPercent: -1,
            consecutiveGatewayErrors: "5" as unknown as number,
            consecutive5XX: 5,
          } as never,
        }),
      (err: Error) => {
        assert.ok(err instanceof TypeError);
        assert.match(err.message, /^Invalid resolver options:/);
        assert.match(
          err.message,
          /\[outlierDetection\.consecutive5xx\] must be an integer >= 0 \(0 turns it off\), got 2\.5/,
        );
        assert.match(err.message, /\[outlierDetection\.baseEjectionMs\] must be a number > 0, got 0/);
        assert.match(
          err.message,
          /\[outlierDetection\.maxEjectionPercent\] must be a number from 0 to 100, got 120/,
        );
        assert.match(
          err.message,
          /\[outlierDetection\.panicThresholdPercent\] must be a number from 0 to 100, got -1/,
        );
        assert.match(err.message, /\[outlierDetection\.consecutiveGatewayErrors\] must be .*, got "5"/);
        assert.match(err.message, /\[outlierDetection\.consecutive5XX\] is not a setting/);
        return true;
      },
    );
    assert.throws(
      () =>
        createResolver({
          servers: ["127.0.0.1"],
          outlierDetection: { baseEjectionMs: 60_000, maxEjectionMs: 1000 },
        }),
      /\[outlierDetection\.maxEjectionMs\] must be >= baseEjectionMs \(60000\), got 1000/,
    );
    assert.throws(
      () => createResolver({ servers: ["127.0.0.1"], outlierDetection: true as never }),
      /\[outlierDetection\] must be false or an object of settings, got true/,
    );
  });

  it("remembers at most maxTracked instances, the least recently failed forgotten first", () => {
    const now = () => t.clock;
    const detector = new OutlierDetector(
      OUTLIER_DEFAULTS,
      { setOf: () => undefined, inBackoff: () => false, now },
      3,
    );
    const endpoint = (n: number): Endpoint => ({
      host: `i${n}.${ZONE}`,
      address: `10.0.0.${n}`,
      port: 80,
      priority: 1,
      weight: 1,
      ttl: 60,
    });
    for (const n of [1, 2, 3]) detector.report(SERVICE, endpoint(n), 500);
    detector.report(SERVICE, endpoint(1), 500); // 1 failed again: 2 is now the least recent
    detector.report(SERVICE, endpoint(4), 500);
    const tracked = detector.stats().services.flatMap((s) => s.instances.map((i) => i.instance));
    assert.deepEqual(tracked.sort(), ["10.0.0.1:80", "10.0.0.3:80", "10.0.0.4:80"]);
    assert.equal(
      detector.stats().services[0]?.instances.find((i) => i.instance === "10.0.0.1:80")?.consecutive5xx,
      2,
    );
  });
});
