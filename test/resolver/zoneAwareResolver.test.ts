import { strict as assert } from "node:assert";
import diagnostics from "node:diagnostics_channel";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CHANNEL_NAMES,
  createResolver,
  type Endpoint,
  type LookupMessage,
  type Resolver,
  type ResolverOptions,
} from "@ecssd/resolver";
import { AuthoritativeServer } from "../kit/authoritativeServer";
import { CHI2_P001, chiSquare, seededRandom } from "./support/seededRandom";

const ZONE = "servicediscovery.internal";
const AZS = ["use1-az1", "use1-az2", "use1-az3"];

describe("resolver: same AZ first, end to end (targets' az-id TXT records)", () => {
  let dns: AuthoritativeServer;
  const resolvers: Resolver[] = [];
  /** A sysfs tree of a machine that is not EC2: discovery without an azId finds nothing, and asks no one. */
  const notEc2 = mkdtempSync(join(tmpdir(), "sysfs-"));

  before(async () => {
    dns = await AuthoritativeServer.start({ zone: ZONE });
  });
  after(async () => {
    for (const r of resolvers) r.close();
    await dns.close();
    rmSync(notEc2, { recursive: true, force: true });
  });

  /**
   * Publishes `_<service>._tcp` with two instances in each AZ (instance i on port 9000 + i, its host
   * `<service>-h<i>`) and, unless `withTxt` says no for it, each host's `az-id=` TXT record.
   */
  function publish(service: string, withTxt: (i: number) => boolean = () => true, txtTtl = 60): string[] {
    const hosts = AZS.flatMap((_, z) => [0, 1].map((k) => `${service}-h${2 * z + k}.${ZONE}`));
    dns.addService(
      `_${service}._tcp.${ZONE}`,
      hosts.map((target, i) => ({ target, address: `10.0.0.${i + 1}`, port: 9000 + i })),
      30,
    );
    hosts.forEach((host, i) => {
      if (withTxt(i))
        dns.set(host, "TXT", [
          { name: host, type: "TXT", ttl: txtTtl, data: [`az-id=${AZS[Math.floor(i / 2)]}`] },
        ]);
    });
    return hosts;
  }

  function resolver(options: ResolverOptions): Resolver {
    const r = createResolver({ servers: [dns.endpoint], random: seededRandom(5), ...options });
    resolvers.push(r);
    return r;
  }

  const txtQueries = (hosts: string[]): number => hosts.reduce((n, h) => n + dns.count("TXT", h), 0);

  async function portCounts(r: Resolver, service: string, n: number): Promise<number[]> {
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < n; i++) counts[(r.pickCached(service) ?? (await r.pick(service))).port - 9000]!++;
    return counts;
  }

  it("with its azId, reads every target's AZ once, caches it, and picks only in its own AZ", async () => {
    const hosts = publish("calc");
    const r = resolver({ zoneAware: { azId: "use1-az2" } });
    assert.deepEqual(await r.whenAvailabilityZoneKnown(), { azId: "use1-az2", source: "option" });
    assert.deepEqual(r.availabilityZone, { azId: "use1-az2", source: "option" });
    const endpoints = await r.resolve("calc");
    assert.deepEqual(
      endpoints.map((e: Endpoint) => [e.port, e.azId]).sort(),
      hosts.map((_, i) => [9000 + i, AZS[Math.floor(i / 2)]]).sort(),
    );
    assert.equal(txtQueries(hosts), 6, "one TXT question per target");
    const counts = await portCounts(r, "calc", 20_000);
    assert.deepEqual([counts[0], counts[1], counts[4], counts[5]], [0, 0, 0, 0], `picks ${counts}`);
    assert.ok(chiSquare([counts[2]!, counts[3]!], [1, 1]) < CHI2_P001[1]!, `picks ${counts}`);
    assert.equal(txtQueries(hosts), 6, "picks from the cache ask nothing more");
    // After a failure of both local instances, the rest get the traffic: nothing is routed where none is healthy.
    r.markFailed(endpoints.find((e) => e.port === 9002)!);
    r.markFailed(endpoints.find((e) => e.port === 9003)!);
    const spilled = await portCounts(r, "calc", 4000);
    assert.deepEqual([spilled[2], spilled[3]], [0, 0]);
    assert.ok(
      chiSquare(
        [0, 1, 4, 5].map((i) => spilled[i]!),
        [1, 1, 1, 1],
      ) < CHI2_P001[3]!,
      `picks ${spilled}`,
    );
  });

  it("an answer of 8 records may be a sample (one instance of slack for the local AZ); one of 7 is read exactly", async () => {
    /** Publishes `_<service>._tcp` with `perAz[z]` instances in AZ z, each with its AZ record; returns the ports' AZs. */
    function publishLayout(service: string, perAz: number[]): string[] {
      const azOfPort = perAz.flatMap((n, z) => Array.from({ length: n }, () => AZS[z]!));
      const hosts = azOfPort.map((_, i) => `${service}-h${i}.${ZONE}`);
      dns.addService(
        `_${service}._tcp.${ZONE}`,
        hosts.map((target, i) => ({ target, address: `10.0.1.${i + 1}`, port: 9000 + i })),
        30,
      );
      for (const [i, host] of hosts.entries())
        dns.set(host, "TXT", [{ name: host, type: "TXT", ttl: 60, data: [`az-id=${azOfPort[i]}`] }]);
      return azOfPort;
    }
    const r = resolver({ zoneAware: { azId: "use1-az1" } });
    await r.whenAvailabilityZoneKnown();
    const localShare = async (service: string, azOfPort: string[]): Promise<number> => {
      let local = 0;
      for (let i = 0; i < 8000; i++) {
        const e = r.pickCached(service) ?? (await r.pick(service));
        if (azOfPort[e.port - 9000] === "use1-az1") local++;
      }
      return local / 8000;
    };
    // 2/3/3: a quarter of the weight, within one instance of its third: every pick stays (the plain rule: 3/4).
    assert.equal(await localShare("eight", publishLayout("eight", [2, 3, 3])), 1);
    // 1/3/3 in one answer of 7: the whole set, so it spills as the plain rule says, staying (1/7)/(1/3) = 3/7.
    const share = await localShare("seven", publishLayout("seven", [1, 3, 3]));
    assert.ok(Math.abs(share - 3 / 7) < 0.03, `local share ${share}, expected 3/7`);
  });

  it("with zoneAware: false, asks no TXT question and picks as RFC 2782 does", async () => {
    const hosts = publish("off");
    const r = resolver({ zoneAware: false });
    assert.equal(await r.whenAvailabilityZoneKnown(), undefined);
    assert.equal(r.availabilityZone, undefined);
    const endpoints = await r.resolve("off");
    assert.ok(endpoints.every((e) => !("azId" in e)));
    const counts = await portCounts(r, "off", 12_000);
    assert.ok(chiSquare(counts, [1, 1, 1, 1, 1, 1]) < CHI2_P001[5]!, `picks ${counts}`);
    assert.equal(txtQueries(hosts), 0);
  });

  it("without a known AZ of its own, asks no TXT question and says why it knows none", async () => {
    const hosts = publish("noaz");
    const r = resolver({ zoneAware: { env: {}, sysfsRoot: notEc2 } });
    assert.deepEqual(await r.whenAvailabilityZoneKnown(), {
      azId: undefined,
      tried: [
        { source: "ecs-task-metadata", problem: "ECS_CONTAINER_METADATA_URI_V4 is not set" },
        { source: "imds", problem: "not an EC2 machine" },
      ],
    });
    const counts = await portCounts(r, "noaz", 12_000);
    assert.ok(chiSquare(counts, [1, 1, 1, 1, 1, 1]) < CHI2_P001[5]!, `picks ${counts}`);
    assert.equal(txtQueries(hosts), 0);
  });

  it("a target without the record is in an unknown AZ: the lookup works, and selection is plain", async () => {
    const hosts = publish("partial", (i) => i !== 4);
    const r = resolver({ zoneAware: { azId: "use1-az1" } });
    await r.whenAvailabilityZoneKnown();
    const endpoints = await r.resolve("partial");
    assert.equal(endpoints.find((e) => e.port === 9004)!.azId, undefined);
    assert.ok(
      endpoints.every((e) => e.ttl === 30),
      "a missing record shortens no endpoint's TTL",
    );
    const counts = await portCounts(r, "partial", 12_000);
    assert.ok(chiSquare(counts, [1, 1, 1, 1, 1, 1]) < CHI2_P001[5]!, `picks ${counts}`);
    assert.equal(txtQueries(hosts), 6);
  });

  it("a TXT question that fails (no answer) leaves the AZ unknown and never fails the lookup", async () => {
    const hosts = publish("silent");
    dns.hook = (ctx) => ctx.query.questions?.[0]?.type === "TXT"; // silence for TXT questions only
    try {
      const r = resolver({ zoneAware: { azId: "use1-az1" }, timeoutMs: 50, attempts: 1 });
      await r.whenAvailabilityZoneKnown();
      const endpoints = await r.resolve("silent");
      assert.equal(endpoints.length, 6);
      assert.ok(endpoints.every((e) => e.azId === undefined));
      assert.equal(txtQueries(hosts), 6);
    } finally {
      dns.hook = undefined;
    }
  });

  it("a TXT question that never answers holds no SRV lookup up; it is not asked again at once, and the AZ is learnt once TXT answers", async () => {
    const hosts = publish("mute");
    let clock = Date.now();
    // The default timeouts: 1 s per server and 2 attempts, so a question with no answer fails after 2 s.
    const r = resolver({ zoneAware: { azId: "use1-az1" }, maxNegativeTtlSeconds: 60, now: () => clock });
    await r.whenAvailabilityZoneKnown();
    const txtFailures: string[] = [];
    const onLookup = (m: unknown): void => {
      const { type, name, errorType } = m as LookupMessage;
      if (type === "TXT" && errorType !== undefined) txtFailures.push(name);
    };
    diagnostics.subscribe(CHANNEL_NAMES.lookup, onLookup);
    dns.hook = (ctx) => ctx.query.questions?.[0]?.type === "TXT"; // silence for TXT questions only
    let timer: NodeJS.Timeout | undefined;
    try {
      const halfTimeout = new Promise<"timed out">((done) => {
        timer = setTimeout(done, 1000, "timed out");
      });
      const first = await Promise.race([r.resolve("mute"), halfTimeout]);
      assert.notEqual(first, "timed out", "the SRV lookup waited on its TXT questions");
      assert.ok(
        (first as Endpoint[]).length === 6 && (first as Endpoint[]).every((e) => e.azId === undefined),
      );
      // The TXT questions went on in the background, each to its end (2 attempts), and failed.
      while (txtFailures.length < 6) await new Promise((done) => setTimeout(done, 50));
      assert.equal(txtQueries(hosts), 12);
      // Their failure is kept as an unknown AZ (here for 60 s): the SRV answer's next lookup asks no TXT question.
      clock += 31_000;
      const second = await r.resolve("mute");
      assert.ok(second.every((e) => e.azId === undefined));
      assert.equal(txtQueries(hosts), 12, "a failed TXT question asked again at once");
      // Once that is over, and the TXT questions are answered again, the AZs are known.
      dns.hook = undefined;
      clock += 31_000;
      const third = await r.resolve("mute");
      assert.deepEqual(
        third.map((e) => [e.port, e.azId]).sort(),
        hosts.map((_, i) => [9000 + i, AZS[Math.floor(i / 2)]]).sort(),
      );
      assert.equal(txtQueries(hosts), 18);
    } finally {
      clearTimeout(timer);
      dns.hook = undefined;
      diagnostics.unsubscribe(CHANNEL_NAMES.lookup, onLookup);
    }
  });

  it("a known AZ bounds the endpoint's TTL as its address does", async () => {
    publish("shortaz", () => true, 7);
    const r = resolver({ zoneAware: { azId: "use1-az3" } });
    await r.whenAvailabilityZoneKnown();
    assert.ok((await r.resolve("shortaz")).every((e) => e.ttl === 7));
  });

  it("refuses a malformed zoneAware option when the resolver is made", () => {
    assert.throws(
      () =>
        createResolver({
          servers: [dns.endpoint],
          zoneAware: { azId: "us-east-1a", minEndpointsPerZone: 0 },
        }),
      (err: Error) =>
        err instanceof TypeError &&
        err.message ===
          "Invalid resolver options:\n" +
            ' - [zoneAware.azId] must be an AZ ID like use1-az4, got "us-east-1a"\n' +
            " - [zoneAware.minEndpointsPerZone] must be an integer >= 1, got 0",
    );
  });
});
