import { strict as assert } from "node:assert";
import { type Endpoint, EndpointSet, endpointKey } from "../../resolver/src/srvSelect";
import { azIdFromTxt, type ZoneSettings, zoneAwareProblems } from "../../resolver/src/zoneAware";
import { CHI2_P001, chiSquare, seededRandom } from "./support/seededRandom";

const A = "use1-az1";
const B = "use1-az2";
const C = "use1-az3";
const SAMPLES = 60_000;

let next = 0;
/** An endpoint in `azId` (undefined: unknown), with its own address and port. */
function ep(azId: string | undefined, weight = 1, priority = 1): Endpoint {
  const i = next++;
  const e = {
    host: `h${i}.zone`,
    address: `10.0.${i >> 8}.${i & 0xff}`,
    port: 9000,
    priority,
    weight,
    ttl: 60,
  };
  return azId === undefined ? e : { ...e, azId };
}

/** `count` endpoints in each AZ of `layout` (AZ → count), weight 1. */
function fleet(layout: [string, number][]): Endpoint[] {
  return layout.flatMap(([azId, count]) => Array.from({ length: count }, () => ep(azId)));
}

function settings(localAzId: string, extra: Partial<ZoneSettings> = {}): ZoneSettings {
  return { localAzId, minEndpointsPerZone: 2, callerShares: undefined, ...extra };
}

/** How often each endpoint of `endpoints` is picked, by pick() or, with `avoided`, by pickAvoiding. */
function counts(set: EndpointSet, endpoints: Endpoint[], seed: number, avoided?: Endpoint[]): number[] {
  const random = seededRandom(seed);
  const index = new Map(endpoints.map((e, i) => [endpointKey(e), i]));
  const avoid = new Set((avoided ?? []).map(endpointKey));
  const out = new Array<number>(endpoints.length).fill(0);
  for (let n = 0; n < SAMPLES; n++) {
    const e = avoided === undefined ? set.pick(random) : set.pickAvoiding(random, (k) => avoid.has(k));
    out[index.get(endpointKey(e!))!]!++;
  }
  return out;
}

/** Asserts the counts fit `shares` (chi-square, p = 0.001) and that endpoints of share 0 were never picked. */
function assertSplit(observed: number[], shares: number[], what: string): void {
  shares.forEach((s, i) => {
    if (s === 0) assert.equal(observed[i], 0, `${what}: endpoint ${i} must never be picked (${observed})`);
  });
  const o = observed.filter((_, i) => shares[i]! > 0);
  const e = shares.filter((s) => s > 0);
  if (e.length < 2) return;
  const stat = chiSquare(o, e);
  assert.ok(
    stat < CHI2_P001[e.length - 1]!,
    `${what}: chi-square ${stat.toFixed(2)} for ${observed} vs ${shares}`,
  );
}

/** Sums counts by AZ, in the order `azIds`. */
function byZone(endpoints: Endpoint[], observed: number[], azIds: string[]): number[] {
  return azIds.map((z) => observed.reduce((sum, n, i) => sum + (endpoints[i]!.azId === z ? n : 0), 0));
}

describe("same AZ first (zone-aware selection within a priority group)", () => {
  it("balanced capacity: every pick stays in the caller's AZ, by weight within it", () => {
    const endpoints = [...fleet([[A, 2]]), ep(B), ep(B), ep(C), ep(C), ep(A, 3)];
    // Weights: A 1+1+3 = 5 of 9, above its third of the callers.
    const set = new EndpointSet(endpoints, settings(A));
    const observed = counts(set, endpoints, 1);
    assertSplit(observed, [1, 1, 0, 0, 0, 0, 3], "pick");
    assertSplit(counts(set, endpoints, 2, []), [1, 1, 0, 0, 0, 0, 3], "pickAvoiding, nothing avoided");
    const even = fleet([
      [A, 2],
      [B, 2],
      [C, 2],
    ]);
    assertSplit(
      counts(new EndpointSet(even, settings(B)), even, 3),
      [0, 0, 1, 1, 0, 0],
      "3 × 2, caller in B",
    );
  });

  it("one AZ short: its callers keep what it has and spill the rest in proportion; each instance gets its fair share", () => {
    // A holds 1 instance, B and C 3 each (weight 1): W = 7, callers a third in each AZ.
    const endpoints = fleet([
      [A, 1],
      [B, 3],
      [C, 3],
    ]);
    const azIds = [A, B, C];
    // From A: stay (1/7)/(1/3) = 3/7; B and C each have spare 3/7 - 1/3 = 2/21, so each gets half of the 4/7.
    const fromA = counts(new EndpointSet(endpoints, settings(A)), endpoints, 11);
    assertSplit(fromA, [9, 2, 2, 2, 2, 2, 2], "callers in A");
    assertSplit(byZone(endpoints, fromA, azIds), [3, 2, 2], "callers in A, by AZ");
    // From B (and C): 3/7 ≥ 1/3, so all local.
    const fromB = counts(new EndpointSet(endpoints, settings(B)), endpoints, 12);
    assertSplit(fromB, [0, 1, 1, 1, 0, 0, 0], "callers in B");
    const fromC = counts(new EndpointSet(endpoints, settings(C)), endpoints, 13);
    // Callers spread evenly over the three AZs: the load on every instance is its weight's share, 1/7.
    const load = fromA.map((n, i) => n + fromB[i]! + fromC[i]!);
    assertSplit(load, [1, 1, 1, 1, 1, 1, 1], "the whole fleet's load");
    const mean = (3 * SAMPLES) / 7;
    assert.ok(Math.abs(load[0]! - mean) / mean < 0.05, `the short AZ's instance: ${load[0]} against ${mean}`);
  });

  it("a full multivalue answer (8 records, maybe a sample) gives the local AZ one endpoint of slack", () => {
    // 2/3/3: A holds 2/8 = 0.25 of the weight, short of its third by less than one endpoint (1/8): all local.
    const endpoints = fleet([
      [A, 2],
      [B, 3],
      [C, 3],
    ]);
    const azIds = [A, B, C];
    const sampled = new EndpointSet(endpoints, settings(A), true);
    assertSplit(counts(sampled, endpoints, 81), [1, 1, 0, 0, 0, 0, 0, 0], "sampled, callers in A");
    assertSplit(counts(sampled, endpoints, 82, []), [1, 1, 0, 0, 0, 0, 0, 0], "sampled, pickAvoiding");
    // Read as complete, the plain rule: stay 0.25 / (1/3) = 3/4; B and C each spare 3/8 - 1/3, an eighth each.
    const complete = new EndpointSet(endpoints, settings(A));
    assertSplit(
      byZone(endpoints, counts(complete, endpoints, 83), azIds),
      [6, 1, 1],
      "complete, callers in A",
    );
    // Balanced as 8 can be (3/3/2): no caller leaves its AZ, the one with 2 included.
    const even = fleet([
      [A, 3],
      [B, 3],
      [C, 2],
    ]);
    for (const [z, seed] of [
      [A, 84],
      [B, 85],
      [C, 86],
    ] as const) {
      const picks = byZone(even, counts(new EndpointSet(even, settings(z), true), even, seed), azIds);
      assert.equal(picks[azIds.indexOf(z)], SAMPLES, `callers in ${z}: ${picks}`);
    }
    // More than one endpoint short still spills, by the plain rule (1/4/3: 1/8 < 1/3 - 1/8): stay (1/8)/(1/3) =
    // 3/8; B spare 1/2 - 1/3 = 1/6 and C 3/8 - 1/3 = 1/24 share the other 5/8 as 4 to 1.
    const short = fleet([
      [A, 1],
      [B, 4],
      [C, 3],
    ]);
    for (const [isSampled, seed] of [
      [true, 87],
      [false, 88],
    ] as const) {
      const picks = counts(new EndpointSet(short, settings(A), isSampled), short, seed);
      assertSplit(byZone(short, picks, azIds), [3, 4, 1], `1/4/3, sampled: ${isSampled}`);
    }
    // The slack is the heaviest endpoint's weight: A's 2 of W = 11 against 1/3 - 4/11 (C holds a weight 4).
    const heavy = [ep(A), ep(A), ep(B), ep(B), ep(B), ep(C), ep(C), ep(C, 4)];
    const picks = counts(new EndpointSet(heavy, settings(A), true), heavy, 89);
    assertSplit(picks, [1, 1, 0, 0, 0, 0, 0, 0], "a weight-4 endpoint elsewhere");
  });

  it("8 records drawn from a 10/10/10 fleet: the cross-AZ share of picks stays under the derived bound", () => {
    // A caller in A crosses only when its answer holds at most one of A's endpoints: none with probability
    // C(20,8)/C(30,8) = 2.15% (every pick leaves), one with 10·C(20,7)/C(30,8) = 13.24% (stay (1/8)/(1/3), so
    // 5/8 leave); two or more keep every pick (2/8 >= 1/3 - 1/8), but for the rare answers from two AZs only
    // (they add 0.18 points). Summed over every split of the 8: 10.60% of picks cross (10.86% measured here).
    // The plain rule, which kept a caller at home only from 3 of the 8 on, sent 18.22% across (2 of 8: a quarter
    // of the picks leave; 18.38% measured here).
    // Per answer the cross share has a variance of about 0.06, so over 3,000 answers the mean's standard error
    // is 0.45 points: 12.5% is the derived figure plus four of them.
    const all = fleet([
      [A, 10],
      [B, 10],
      [C, 10],
    ]);
    const random = seededRandom(90);
    const ANSWERS = 3000;
    const PICKS = 40;
    const crossed = { sampled: 0, plain: 0 };
    const order = all.map((_, i) => i);
    for (let n = 0; n < ANSWERS; n++) {
      // A uniform random 8 of the 30, as Route53 (and the local zone's server) draws them.
      for (let i = 0; i < 8; i++) {
        const j = i + Math.floor(random() * (all.length - i));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      const answer = order.slice(0, 8).map((i) => all[i]!);
      const sampled = new EndpointSet(answer, settings(A), true);
      const plain = new EndpointSet(answer, settings(A));
      for (let k = 0; k < PICKS; k++) {
        if (sampled.pick(random).azId !== A) crossed.sampled++;
        if (plain.pick(random).azId !== A) crossed.plain++;
      }
    }
    const share = crossed.sampled / (ANSWERS * PICKS);
    const plainShare = crossed.plain / (ANSWERS * PICKS);
    assert.ok(share < 0.125, `cross-AZ share ${(share * 100).toFixed(2)}%, bound 12.5%`);
    assert.ok(share > 0.087, `cross-AZ share ${(share * 100).toFixed(2)}%: below 10.60% by four errors`);
    assert.ok(plainShare > 0.163, `the plain rule's ${(plainShare * 100).toFixed(2)}%, derived 18.22%`);
  });

  it("the caller's AZ emptied by avoidance: everything spills to the others, by weight", () => {
    const endpoints = [...fleet([[A, 2]]), ep(B, 1), ep(B, 1), ep(C, 2), ep(C, 2)];
    const set = new EndpointSet(endpoints, settings(A));
    const observed = counts(set, endpoints, 21, endpoints.slice(0, 2));
    assertSplit(observed, [0, 0, 1, 1, 2, 2], "A avoided");
  });

  it("the caller's AZ partly avoided: the rule is worked out again over what is left", () => {
    const endpoints = fleet([
      [A, 3],
      [B, 3],
      [C, 3],
    ]);
    const set = new EndpointSet(endpoints, settings(A));
    // A keeps 2 of W = 8: stay 0.25 / (1/3) = 0.75; B and C each spare 3/8 - 1/3 = 1/24, half of the 0.25 each.
    const observed = counts(set, endpoints, 22, [endpoints[0]!]);
    assertSplit(observed, [0, 9, 9, 1, 1, 1, 1, 1, 1], "one of A avoided");
  });

  it("never routes to an AZ with no instance left, and leaves it out of the callers' spread", () => {
    const endpoints = [ep(A), ep(B), ep(B), ep(B), ep(C), ep(C)];
    const set = new EndpointSet(endpoints, { ...settings(A), minEndpointsPerZone: 1 });
    // C avoided: N = 2, W = 4; A stays (1/4)/(1/2) = 1/2, B takes the other half.
    const observed = counts(set, endpoints, 23, endpoints.slice(4));
    assertSplit(observed, [3, 1, 1, 1, 0, 0], "C avoided");
  });

  it("is off below minEndpointsPerZone × the AZs (plain weighted pick)", () => {
    // 5 endpoints over 3 AZs: fewer than 2 × 3.
    const endpoints = [ep(A), ep(B), ep(B, 2), ep(C), ep(C)];
    const set = new EndpointSet(endpoints, settings(A));
    assertSplit(counts(set, endpoints, 31), [1, 1, 2, 1, 1], "pick");
    assertSplit(counts(set, endpoints, 32, []), [1, 1, 2, 1, 1], "pickAvoiding");
    // The same 5 with a minimum of 1: on (A has 1 of 6 weight: stay 1/2).
    const low = new EndpointSet(endpoints, { ...settings(A), minEndpointsPerZone: 1 });
    assertSplit(byZone(endpoints, counts(low, endpoints, 33), [A, B, C]), [1, 1, 0], "minimum 1, by AZ");
  });

  it("is off when any candidate's AZ is unknown, and on again once it is avoided", () => {
    const endpoints = [
      ...fleet([
        [A, 2],
        [B, 2],
        [C, 2],
      ]),
      ep(undefined),
    ];
    const set = new EndpointSet(endpoints, settings(A));
    assertSplit(counts(set, endpoints, 41), [1, 1, 1, 1, 1, 1, 1], "an unknown AZ");
    assertSplit(
      counts(set, endpoints, 42, [endpoints[6]!]),
      [1, 1, 0, 0, 0, 0, 0],
      "the unknown one avoided",
    );
  });

  it("is off when the caller's AZ is not among the endpoints, or when it is not known", () => {
    const endpoints = fleet([
      [B, 2],
      [C, 2],
    ]);
    assertSplit(
      counts(new EndpointSet(endpoints, settings(A)), endpoints, 43),
      [1, 1, 1, 1],
      "no endpoint in A",
    );
    const all = fleet([
      [A, 2],
      [B, 2],
      [C, 2],
    ]);
    assertSplit(counts(new EndpointSet(all), all, 44), [1, 1, 1, 1, 1, 1], "no local AZ");
  });

  it("keeps RFC 2782 priorities: never leaves the lowest priority that has an endpoint, for the caller's AZ", () => {
    const endpoints = [ep(B, 1, 1), ep(B, 1, 1), ep(C, 1, 1), ep(C, 1, 1), ep(A, 1, 2), ep(A, 1, 2)];
    const set = new EndpointSet(endpoints, settings(A));
    // Priority 1 holds nothing in A: plain pick there; A's endpoints at priority 2 are never picked.
    assertSplit(counts(set, endpoints, 51), [1, 1, 1, 1, 0, 0], "pick");
    assertSplit(counts(set, endpoints, 52, [endpoints[0]!]), [0, 1, 1, 1, 0, 0], "one avoided");
    // Priority 1 all avoided: priority 2, whose endpoints are all in A.
    assertSplit(counts(set, endpoints, 53, endpoints.slice(0, 4)), [0, 0, 0, 0, 1, 1], "priority 1 avoided");
    // A mixed lower priority keeps the rule inside it.
    const mixed = [...fleet([[A, 2]]), ep(B), ep(B), ep(A, 1, 0), ep(A, 1, 0)].map((e, i) =>
      i < 4 ? { ...e, priority: 5 } : e,
    );
    const low = new EndpointSet(mixed, settings(A));
    assertSplit(counts(low, mixed, 54), [0, 0, 0, 0, 1, 1], "priority 0 is all in A");
    assertSplit(
      counts(low, mixed, 55, mixed.slice(4)),
      [1, 1, 0, 0, 0, 0],
      "priority 0 avoided: A first at 5",
    );
  });

  it("takes callerShares as given: a busier AZ spills its excess, a quieter one keeps all", () => {
    const endpoints = fleet([
      [A, 2],
      [B, 2],
      [C, 2],
    ]);
    const callerShares = { [A]: 1, [B]: 1, [C]: 2 };
    // Callers in C are half of all, capacity a third: stay 2/3; A and B each spare 1/3 - 1/4, half of 1/3 each.
    const fromC = counts(new EndpointSet(endpoints, settings(C, { callerShares })), endpoints, 61);
    assertSplit(byZone(endpoints, fromC, [A, B, C]), [1, 1, 4], "callers in C");
    const fromA = counts(new EndpointSet(endpoints, settings(A, { callerShares })), endpoints, 62);
    assertSplit(fromA, [1, 1, 0, 0, 0, 0], "callers in A");
    // Shares that leave out the caller's AZ are taken as even.
    const without = counts(
      new EndpointSet(endpoints, settings(A, { callerShares: { [B]: 1 } })),
      endpoints,
      63,
    );
    assertSplit(without, [1, 1, 0, 0, 0, 0], "callers in A, A not listed");
  });

  it("weighs endpoints as RFC 2782 does: weight 0 only when all are, then each counts one", () => {
    const zero = [...fleet([[A, 2]]), ep(B, 0), ep(B, 0), ep(C, 0), ep(C, 0)].map((e) => ({
      ...e,
      weight: 0,
    }));
    assertSplit(counts(new EndpointSet(zero, settings(A)), zero, 71), [1, 1, 0, 0, 0, 0], "all weight 0");
    // A weight-0 endpoint in A beside weighted ones elsewhere: A holds no weight, so the rule is off.
    const mixed = [ep(A, 0), ep(A, 0), ep(B), ep(B), ep(C), ep(C)];
    assertSplit(
      counts(new EndpointSet(mixed, settings(A)), mixed, 72),
      [0, 0, 1, 1, 1, 1],
      "A only weight 0",
    );
  });

  it("reads the AZ from a target's TXT values, and nothing from a malformed or contradicting one", () => {
    assert.equal(azIdFromTxt([["az-id=use1-az4"]]), "use1-az4");
    assert.equal(azIdFromTxt([["v=spf1 -all"], ["az-id=", "euw1-az2"]]), "euw1-az2");
    assert.equal(azIdFromTxt([["az-id=use1-az4"], ["az-id=use1-az4"]]), "use1-az4");
    assert.equal(azIdFromTxt([["az-id=use1-az4"], ["az-id=use1-az5"]]), undefined);
    assert.equal(azIdFromTxt([["az-id=us-east-1a"]]), undefined);
    assert.equal(azIdFromTxt([["AZ-ID=use1-az4"]]), undefined);
    assert.equal(azIdFromTxt([]), undefined);
  });

  it("refuses bad zoneAware options, naming each field", () => {
    assert.deepEqual(zoneAwareProblems(undefined), []);
    assert.deepEqual(zoneAwareProblems(false), []);
    assert.deepEqual(
      zoneAwareProblems({ azId: A, minEndpointsPerZone: 3, callerShares: { [A]: 2, [B]: 0 } }),
      [],
    );
    assert.deepEqual(
      zoneAwareProblems({
        azId: "us-east-1a",
        azIdsByName: { "us-east-1a": "nope" },
        timeoutMs: 0,
        minEndpointsPerZone: 1.5,
        callerShares: { "us-east-1a": 1, [B]: -1 },
      }),
      [
        '[zoneAware.azId] must be an AZ ID like use1-az4, got "us-east-1a"',
        '[zoneAware.azIdsByName] "us-east-1a" maps to "nope", not an AZ ID',
        "[zoneAware.timeoutMs] must be a number > 0, got 0",
        "[zoneAware.minEndpointsPerZone] must be an integer >= 1, got 1.5",
        '[zoneAware.callerShares] "us-east-1a" is not an AZ ID',
        "[zoneAware.callerShares] use1-az2: must be a number >= 0, got -1",
      ],
    );
    assert.deepEqual(zoneAwareProblems("yes"), ["[zoneAware] must be a boolean or an object, got yes"]);
  });
});
