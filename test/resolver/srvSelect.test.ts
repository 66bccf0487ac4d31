import { strict as assert } from "node:assert";
import { createResolver, type Endpoint, type Resolver } from "@ecssd/resolver";
import { AuthoritativeServer } from "../kit/authoritativeServer";
import { CHI2_P1E6, CHI2_P001, chiSquare, seededRandom } from "./support/seededRandom";

const ZONE = "servicediscovery.internal";
const SAMPLES = 40_000;

type Instance = { priority: number; weight: number };

describe("resolver selection (RFC 2782)", () => {
  let dns: AuthoritativeServer;
  const resolvers: Resolver[] = [];

  before(async () => {
    dns = await AuthoritativeServer.start({ zone: ZONE });
  });
  after(async () => {
    for (const r of resolvers) r.close();
    await dns.close();
  });

  /** Publishes one service whose instance i listens on port 9000 + i, and returns a resolver for it. */
  function publish(service: string, instances: Instance[], random?: () => number): Resolver {
    dns.addService(
      `_${service}._tcp.${ZONE}`,
      instances.map((inst, i) => ({
        target: `h${i}.${ZONE}`,
        address: `10.0.0.${i + 1}`,
        port: 9000 + i,
        ...inst,
      })),
      300,
    );
    const resolver = createResolver({ servers: [dns.endpoint], random });
    resolvers.push(resolver);
    return resolver;
  }

  async function pickCounts(resolver: Resolver, service: string, n: number, size: number): Promise<number[]> {
    const counts = new Array<number>(size).fill(0);
    for (let i = 0; i < n; i++) counts[(await resolver.pick(service)).port - 9000]!++;
    return counts;
  }

  const cases: { title: string; instances: Instance[]; shares: number[] }[] = [
    {
      title: "{1,1} picks each half the time",
      instances: [
        { priority: 1, weight: 1 },
        { priority: 1, weight: 1 },
      ],
      shares: [1, 1],
    },
    {
      title: "{1,3} picks the second three times as often",
      instances: [
        { priority: 1, weight: 1 },
        { priority: 1, weight: 3 },
      ],
      shares: [1, 3],
    },
    {
      title: "mixed priorities use only the lowest, weighted {2,3,5}",
      instances: [
        { priority: 10, weight: 2 },
        { priority: 20, weight: 100 },
        { priority: 10, weight: 3 },
        { priority: 10, weight: 5 },
      ],
      shares: [2, 0, 3, 5],
    },
  ];
  cases.forEach(({ title, instances, shares }, index) => {
    it(`pick: ${title} (chi-square, seeded, p = 0.001)`, async () => {
      const resolver = publish(`sel${index}`, instances, seededRandom(1000 + index));
      const counts = await pickCounts(resolver, `sel${index}`, SAMPLES, instances.length);
      const observed = counts.filter((_, i) => shares[i]! > 0);
      const expected = shares.filter((s) => s > 0);
      shares.forEach((s, i) => {
        if (s === 0) assert.equal(counts[i], 0, `instance ${i} of a higher priority must never be picked`);
      });
      const stat = chiSquare(observed, expected);
      assert.ok(stat < CHI2_P001[expected.length - 1]!, `chi-square ${stat.toFixed(2)} for counts ${counts}`);
    });
  });

  it("pick: {0,5} never picks the weight-0 instance while a weighted one is left", async () => {
    const resolver = publish(
      "zero5",
      [
        { priority: 1, weight: 0 },
        { priority: 1, weight: 5 },
      ],
      seededRandom(7),
    );
    assert.deepEqual(await pickCounts(resolver, "zero5", 5000, 2), [0, 5000]);
  });

  it("pick: {0,0} spreads evenly over weight-0 instances (chi-square, seeded)", async () => {
    const resolver = publish(
      "zero0",
      [
        { priority: 1, weight: 0 },
        { priority: 1, weight: 0 },
      ],
      seededRandom(8),
    );
    const counts = await pickCounts(resolver, "zero0", SAMPLES, 2);
    assert.ok(chiSquare(counts, [1, 1]) < CHI2_P001[1]!, `counts ${counts}`);
  });

  it("draws in [0, sum): every weight unit maps to exactly one instance, so none is over-picked", async () => {
    // Feed the draw every unit of the weight sum once: the counts must equal the weights exactly.
    // RFC 2782's inclusive draw in [0, sum] would give the first instance one extra.
    const weights = [1, 3, 6];
    const sum = 10;
    let k = 0;
    const resolver = publish(
      "exact",
      weights.map((weight) => ({ priority: 1, weight })),
      () => ((k++ % sum) + 0.5) / sum,
    );
    assert.deepEqual(await pickCounts(resolver, "exact", sum * 100, 3), [100, 300, 600]);
  });

  it("pick with the real Math.random: {1,3} within a very loose threshold (p = 1e-6)", async () => {
    const resolver = publish("real", [
      { priority: 1, weight: 1 },
      { priority: 1, weight: 3 },
    ]);
    const counts = await pickCounts(resolver, "real", SAMPLES, 2);
    assert.ok(chiSquare(counts, [1, 3]) < CHI2_P1E6[1]!, `counts ${counts}`);
  });

  it("resolve: orders priorities ascending, weighted draws first, weight-0 last", async () => {
    const resolver = publish(
      "order",
      [
        { priority: 2, weight: 1 },
        { priority: 1, weight: 0 },
        { priority: 1, weight: 1 },
        { priority: 1, weight: 3 },
      ],
      seededRandom(99),
    );
    const firsts = [0, 0];
    for (let i = 0; i < 20_000; i++) {
      const order = await resolver.resolve("order");
      assert.deepEqual(
        order.map((e: Endpoint) => e.priority),
        [1, 1, 1, 2],
      );
      assert.equal(order[2]!.weight, 0, "the weight-0 instance comes after the weighted ones");
      firsts[order[0]!.port === 9002 ? 0 : 1]!++;
    }
    assert.ok(chiSquare(firsts, [1, 3]) < CHI2_P001[1]!, `first places ${firsts}`);
  });

  it("skips an endpoint marked failed while another is left, and uses it when nothing else is", async () => {
    const resolver = publish(
      "failover",
      [
        { priority: 1, weight: 1 },
        { priority: 2, weight: 1 },
      ],
      seededRandom(3),
    );
    const primary = await resolver.pick("failover");
    assert.equal(primary.port, 9000);
    resolver.markFailed(primary);
    for (let i = 0; i < 100; i++) assert.equal((await resolver.pick("failover")).port, 9001);
    resolver.markFailed({ address: "10.0.0.2", port: 9001 });
    const endpoints = new Set<number>();
    for (let i = 0; i < 100; i++) endpoints.add((await resolver.pick("failover")).port);
    assert.deepEqual([...endpoints], [9000], "with every endpoint failed, the lowest priority is used again");
    const order = await resolver.resolve("failover");
    assert.equal(order.length, 2);
  });
});
