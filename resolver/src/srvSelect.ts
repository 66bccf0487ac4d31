// RFC 2782 selection over one SRV answer, laid out once per answer so that picking allocates nothing; same AZ
// first within a priority group when the caller's AZ and the endpoints' are known (zoneAware.ts).
import { ZonePlan, type ZoneSettings } from "./zoneAware";

/** One instance of a service: where to connect and how the SRV record ranks it. */
export interface Endpoint {
  /** SRV target (the host's DNS name), lower case, without the trailing dot. */
  readonly host: string;
  /** IPv4 (or IPv6) address of the target. */
  readonly address: string;
  readonly port: number;
  /** Lower is preferred (RFC 2782). */
  readonly priority: number;
  /** Relative share within its priority; 0 only when no weighted endpoint is left. */
  readonly weight: number;
  /** Seconds this endpoint was valid for when it was fetched: min(SRV set TTL, address TTL, AZ record TTL). */
  readonly ttl: number;
  /**
   * The AZ ID the target runs in, from its `az-id=` TXT record; present only when the resolver knows its own AZ
   * (it asks for no TXT otherwise) and the target has one.
   */
  readonly azId?: string;
}

/** Returns a number in [0, 1), like Math.random. */
export type RandomSource = () => number;

/** Tells whether an endpoint (by its `address:port` key) should be avoided right now. */
export type AvoidTest = (key: string) => boolean;

/** The key under which failures of an endpoint are remembered: `address:port`. */
export function endpointKey(endpoint: Pick<Endpoint, "address" | "port">): string {
  return `${endpoint.address}:${endpoint.port}`;
}

/** RFC 2782 order of two endpoints: lower priority first, then the heavier first. */
function compareRank(a: Endpoint, b: Endpoint): number {
  return a.priority - b.priority || b.weight - a.weight;
}

/**
 * The endpoints of one answer, sorted by priority, each priority group holding its weighted
 * endpoints first (heaviest first) and its weight-0 endpoints last, with running weight sums.
 */
export class EndpointSet {
  readonly endpoints: readonly Endpoint[];
  /** groupStart[g] .. groupStart[g + 1] - 1 are the endpoints of the g-th lowest priority. */
  private readonly groupStart: number[];
  /** Sum of weights of the group's endpoints up to and including this one. */
  private readonly cumulative: number[];
  private readonly firstEnd: number;
  private readonly firstTotal: number;
  private keyList: string[] | undefined;
  /** Each priority group's keys as a set; built per group when first needed. */
  private groupKeySets: Set<string>[] | undefined;
  /** Same AZ first, when the answer spans the caller's AZ and another; undefined for plain RFC 2782. */
  private readonly zones: ZonePlan | undefined;
  /** Whether a pick with nothing avoided goes by {@link zones}: one field read on the hot path. */
  private readonly zonedFirst: boolean;

  /**
   * Takes the endpoints over: every caller of the cached answer shares these objects, so they are frozen
   * here, and no caller can change another's. The set's maker gives objects of its own, made for the set.
   * Built once per uncached answer, on the lookup's path: plain arrays and an insertion sort, since answers
   * are small and typed arrays and a comparator sort cost more than the rest of the lookup.
   * With `zone` (the resolver knows its AZ), picks prefer the caller's AZ as zoneAware.ts says; `sampled` says the
   * answer may be a random sample of a larger set (a full Route53 multivalue answer), which that rule allows for.
   */
  constructor(endpoints: readonly Endpoint[], zone?: ZoneSettings, sampled = false) {
    if (endpoints.length === 0) throw new Error("an endpoint set needs at least one endpoint");
    const sorted: Endpoint[] = new Array(endpoints.length);
    for (let i = 0; i < endpoints.length; i++) sorted[i] = Object.freeze(endpoints[i]!);
    // Both sorts are stable: records of equal rank keep the server's order.
    if (sorted.length > 64) sorted.sort(compareRank);
    else
      for (let i = 1; i < sorted.length; i++) {
        const e = sorted[i]!;
        let j = i;
        for (; j > 0 && compareRank(sorted[j - 1]!, e) > 0; j--) sorted[j] = sorted[j - 1]!;
        sorted[j] = e;
      }
    this.endpoints = sorted;
    const starts: number[] = [];
    const cumulative: number[] = [];
    let running = 0;
    for (let i = 0; i < sorted.length; i++) {
      if (i === 0 || sorted[i]!.priority !== sorted[i - 1]!.priority) {
        starts.push(i);
        running = 0;
      }
      running += sorted[i]!.weight;
      cumulative.push(running);
    }
    starts.push(sorted.length);
    this.groupStart = starts;
    this.cumulative = cumulative;
    this.firstEnd = starts[1]!;
    this.firstTotal = cumulative[this.firstEnd - 1]!;
    this.zones = zone === undefined ? undefined : ZonePlan.make(sorted, this.firstEnd, zone, sampled);
    this.zonedFirst = this.zones?.zonedFirst ?? false;
  }

  /** Each endpoint's `address:port`, in the order of {@link endpoints}; built when first needed. */
  get keys(): readonly string[] {
    this.keyList ??= this.endpoints.map(endpointKey);
    return this.keyList;
  }

  /**
   * Where each priority group starts in {@link endpoints} (lowest priority first), then their count: group g is
   * `groupBounds[g]` .. `groupBounds[g + 1] - 1`.
   */
  get groupBounds(): readonly number[] {
    return this.groupStart;
  }

  /** The `address:port` keys of the g-th lowest priority group. */
  groupKeys(g: number): ReadonlySet<string> {
    this.groupKeySets ??= [];
    const sets = this.groupKeySets;
    let keys = sets[g];
    if (keys === undefined) {
      keys = new Set(this.keys.slice(this.groupStart[g], this.groupStart[g + 1]));
      sets[g] = keys;
    }
    return keys;
  }

  /**
   * One endpoint by RFC 2782 from the lowest priority: weighted random with the draw in
   * [0, sum) so every weight unit is equally likely; weight-0 endpoints only if all weigh 0.
   * The hot path: no allocation, one random draw, a short scan.
   */
  pick(random: RandomSource): Endpoint {
    const end = this.firstEnd;
    if (end === 1) return this.endpoints[0]!;
    if (this.zonedFirst) return this.endpoints[this.zones!.pickFirst(random)]!;
    const total = this.firstTotal;
    if (total === 0) return this.endpoints[Math.min(end - 1, Math.floor(random() * end))]!;
    const x = Math.min(total - 1, Math.floor(random() * total));
    const cumulative = this.cumulative;
    let i = 0;
    while (cumulative[i]! <= x) i++;
    return this.endpoints[i]!;
  }

  /**
   * Like {@link pick}, skipping endpoints for which `avoid` is true: the lowest priority that has
   * an endpoint left wins (same AZ first among what is left). Returns undefined when every endpoint is avoided.
   */
  pickAvoiding(random: RandomSource, avoid: AvoidTest): Endpoint | undefined {
    const starts = this.groupStart;
    const keys = this.keys;
    for (let g = 0; g + 1 < starts.length; g++) {
      const start = starts[g]!;
      const end = starts[g + 1]!;
      // Asked first, so that a pick the rule makes scans the group once. A group with every endpoint avoided is
      // off for the rule, which then draws nothing, and is passed over below as before.
      if (this.zones !== undefined) {
        const i = this.zones.pickAvoiding(this.endpoints, keys, start, end, avoid, random);
        if (i >= 0) return this.endpoints[i]!;
      }
      let total = 0;
      let count = 0;
      for (let i = start; i < end; i++) {
        if (avoid(keys[i]!)) continue;
        count++;
        total += this.endpoints[i]!.weight;
      }
      if (count === 0) continue;
      if (total === 0) {
        let n = Math.min(count - 1, Math.floor(random() * count));
        for (let i = start; i < end; i++) {
          if (avoid(keys[i]!)) continue;
          if (n-- === 0) return this.endpoints[i]!;
        }
      }
      let x = Math.min(total - 1, Math.floor(random() * total));
      for (let i = start; i < end; i++) {
        if (avoid(keys[i]!)) continue;
        const w = this.endpoints[i]!.weight;
        if (x < w) return this.endpoints[i]!;
        x -= w;
      }
    }
    return undefined;
  }

  /**
   * Every endpoint in RFC 2782 order: priorities ascending; within one, repeated weighted draws
   * without replacement, weight-0 endpoints after the weighted ones in random order.
   */
  order(random: RandomSource): Endpoint[] {
    const out: Endpoint[] = [];
    const starts = this.groupStart;
    for (let g = 0; g + 1 < starts.length; g++) {
      const start = starts[g]!;
      const end = starts[g + 1]!;
      const weighted: Endpoint[] = [];
      const zero: Endpoint[] = [];
      for (let i = start; i < end; i++) {
        const e = this.endpoints[i]!;
        (e.weight > 0 ? weighted : zero).push(e);
      }
      let total = weighted.reduce((sum, e) => sum + e.weight, 0);
      while (weighted.length > 0) {
        let x = Math.min(total - 1, Math.floor(random() * total));
        let i = 0;
        while (x >= weighted[i]!.weight) x -= weighted[i++]!.weight;
        const [chosen] = weighted.splice(i, 1);
        out.push(chosen!);
        total -= chosen!.weight;
      }
      while (zero.length > 0) {
        const i = Math.min(zero.length - 1, Math.floor(random() * zero.length));
        out.push(zero.splice(i, 1)[0]!);
      }
    }
    return out;
  }
}
