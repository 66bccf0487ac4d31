// Same-AZ-first selection (issue 28): Envoy's zone-aware routing, applied inside the one RFC 2782 priority group
// that selection uses anyway. Laid out once per answer (which AZ each endpoint is in, and for the first group
// with nothing avoided, each endpoint's whole probability), so that a pick allocates nothing.
import {
  type AvailabilityZoneOptions,
  type AvailabilityZoneResult,
  AZ_ID_PATTERN,
  discoverAvailabilityZone,
} from "./availabilityZone";
import type { AvoidTest, Endpoint, RandomSource } from "./srvSelect";

/** Settings of same-AZ-first selection: where the resolver learns its AZ, and how the rule is tuned. */
export interface ZoneAwareOptions extends AvailabilityZoneOptions {
  /**
   * The rule is off in a priority group with fewer than this many endpoints per AZ that holds any (ECS Service
   * Connect's safeguard: fewer than twice as many endpoints as AZs). Default 2.
   */
  readonly minEndpointsPerZone?: number;
  /**
   * Each AZ's share of the callers (AZ ID → a number; only their ratios count), when callers are not spread
   * evenly over the AZs that hold endpoints. Ignored when it does not list the caller's own AZ. Default: even.
   */
  readonly callerShares?: Readonly<Record<string, number>>;
}

/** What selection needs once the resolver knows its AZ. */
export interface ZoneSettings {
  readonly localAzId: string;
  readonly minEndpointsPerZone: number;
  readonly callerShares: Readonly<Record<string, number>> | undefined;
}

const DEFAULT_MIN_ENDPOINTS_PER_ZONE = 2;

/** The TXT value that says which AZ an SRV target runs in: `az-id=<AZ ID>`, written by the agent and the registrar. */
const AZ_ID_TXT = "az-id=";

/**
 * The AZ ID a target's TXT record set gives, or undefined: no `az-id=` value, a malformed one, or two that
 * disagree (then nothing is known, rather than one guessed).
 */
export function azIdFromTxt(values: readonly (readonly string[])[]): string | undefined {
  let found: string | undefined;
  for (const strings of values) {
    // A value longer than 255 bytes is split into character-strings; the AZ's is short, so it is the whole value.
    const text = strings.length === 1 ? strings[0]! : strings.join("");
    if (!text.startsWith(AZ_ID_TXT)) continue;
    const azId = text.slice(AZ_ID_TXT.length);
    if (!AZ_ID_PATTERN.test(azId) || (found !== undefined && found !== azId)) return undefined;
    found = azId;
  }
  return found;
}

/** Problems with the resolver's `zoneAware` option, each naming its field; empty when it is fine. */
export function zoneAwareProblems(option: unknown): string[] {
  if (option === undefined || typeof option === "boolean") return [];
  if (typeof option !== "object" || option === null)
    return [`[zoneAware] must be a boolean or an object, got ${String(option)}`];
  const problems: string[] = [];
  const o = option as ZoneAwareOptions;
  if (o.azId !== undefined && (typeof o.azId !== "string" || !AZ_ID_PATTERN.test(o.azId)))
    problems.push(`[zoneAware.azId] must be an AZ ID like use1-az4, got ${JSON.stringify(o.azId)}`);
  if (o.azIdsByName !== undefined) {
    if (typeof o.azIdsByName !== "object" || o.azIdsByName === null)
      problems.push("[zoneAware.azIdsByName] must map AZ names to AZ IDs");
    else
      for (const [name, id] of Object.entries(o.azIdsByName))
        if (typeof id !== "string" || !AZ_ID_PATTERN.test(id))
          problems.push(
            `[zoneAware.azIdsByName] ${JSON.stringify(name)} maps to ${JSON.stringify(id)}, not an AZ ID`,
          );
  }
  if (
    o.timeoutMs !== undefined &&
    !(typeof o.timeoutMs === "number" && o.timeoutMs > 0 && o.timeoutMs < Infinity)
  )
    problems.push(`[zoneAware.timeoutMs] must be a number > 0, got ${String(o.timeoutMs)}`);
  const min = o.minEndpointsPerZone;
  if (min !== undefined && !(Number.isInteger(min) && min >= 1))
    problems.push(`[zoneAware.minEndpointsPerZone] must be an integer >= 1, got ${String(min)}`);
  if (o.callerShares !== undefined) {
    if (typeof o.callerShares !== "object" || o.callerShares === null)
      problems.push("[zoneAware.callerShares] must map AZ IDs to shares");
    else
      for (const [azId, share] of Object.entries(o.callerShares)) {
        if (!AZ_ID_PATTERN.test(azId))
          problems.push(`[zoneAware.callerShares] ${JSON.stringify(azId)} is not an AZ ID`);
        if (!(typeof share === "number" && share >= 0 && share < Infinity))
          problems.push(`[zoneAware.callerShares] ${azId}: must be a number >= 0, got ${String(share)}`);
      }
  }
  return problems;
}

/** The selection settings of a resolver whose AZ is `localAzId`, from its (checked) `zoneAware` option. */
function zoneSettings(option: boolean | ZoneAwareOptions | undefined, localAzId: string): ZoneSettings {
  const o = typeof option === "object" ? option : {};
  return {
    localAzId,
    minEndpointsPerZone: o.minEndpointsPerZone ?? DEFAULT_MIN_ENDPOINTS_PER_ZONE,
    callerShares: o.callerShares,
  };
}

/**
 * A resolver's own AZ, found once, in the background: no lookup waits for it. Until it is known, and when no
 * source gives it, selection is plain RFC 2782. Without options every resolver of the process shares one
 * discovery (discoverAvailabilityZone memoizes it), so tests and tools that make many resolvers ask once.
 */
export class OwnZone {
  /** The discovery's result; undefined while it runs, and when turned off. */
  result: AvailabilityZoneResult | undefined;
  /** Settles with {@link result} once it is known (undefined when turned off). */
  readonly known: Promise<AvailabilityZoneResult | undefined>;

  constructor(option: boolean | ZoneAwareOptions | undefined, onFound: (zone: ZoneSettings) => void) {
    if (option === false) {
      this.known = Promise.resolve(undefined);
      return;
    }
    const discovery =
      typeof option === "object" ? discoverAvailabilityZone(option) : discoverAvailabilityZone();
    this.known = discovery.then(
      (result) => {
        this.result = result;
        if (result.azId !== undefined) onFound(zoneSettings(option, result.azId));
        return result;
      },
      // discoverAvailabilityZone does not throw; should it ever, selection stays plain, and no rejection escapes.
      () => undefined,
    );
  }
}

/**
 * Which AZ each endpoint of an answer is in, and the rule over a priority group. Made by an EndpointSet for an
 * answer whose endpoints span the caller's AZ and at least one other (anything else is plain RFC 2782).
 *
 * The rule, for the endpoints of the group that are not avoided (those RFC 2782 could pick: the weighted ones,
 * or all when none is weighted): with w_z the weight in AZ z, W their sum, N the number of AZs holding any, and
 * s_z each AZ's share of the callers (1/N unless `callerShares` says otherwise): when the local AZ's share of the
 * weight w_L/W is at least s_L, pick only in the local AZ; else pick local with probability (w_L/W)/s_L and
 * otherwise an AZ in proportion to its spare capacity w_z/W - s_z (positive ones only); then by weight within
 * the AZ. Off (plain RFC 2782) when an endpoint's AZ is unknown, when the local AZ holds none, and when there
 * are fewer than minEndpointsPerZone × N endpoints.
 *
 * An answer that may be a sample (as many SRV records as a Route53 multivalue answer holds, MULTIVALUE_LIMIT,
 * drawn at random from a larger set) shows each AZ's capacity with an error of about one endpoint (the standard
 * deviation of the local AZ's count, drawing 8 of a 10/10/10 fleet, is 1.16), and the plain rule's threshold
 * turns that error into cross-AZ picks where capacity is even (18.2% of them there). So for such an answer the
 * local AZ keeps all its callers while w_L/W >= s_L - w_max/W (w_max the heaviest endpoint counted). Below that
 * threshold the rule is the plain one, (w_L/W)/s_L, not shifted by the slack: it is linear in the sample's count,
 * so over the samples an AZ's load averages to its true share. One endpoint, not more, because a wider slack
 * overloads an AZ that is truly short (the README's "Same AZ first" has the figures). A complete answer is read
 * exactly: fewer records, or more from a server that sends them all.
 */
export class ZonePlan {
  /** Per endpoint (in the set's order): the index of its AZ, -1 when unknown. */
  private readonly zoneOf: Int32Array;
  private readonly local: number;
  /** Per AZ: its callers' share as given, or undefined when callers are taken to be spread evenly. */
  private readonly callerShare: Float64Array | undefined;
  private readonly minPerZone: number;
  /** Whether the answer may be a random sample of a larger set: the local AZ is then given one endpoint of slack. */
  private readonly sampled: boolean;
  // Scratch, per AZ, rewritten by every pick that meets an avoided endpoint: no allocation per pick.
  private readonly weight: Float64Array;
  private readonly count: Float64Array;
  private readonly mass: Float64Array;
  /** The first group's cumulative probabilities with nothing avoided; undefined when the rule is off there. */
  private readonly firstCumulative: Float64Array | undefined;
  /** The last endpoint of the first group with a probability above 0: where a rounded-up draw lands. */
  private readonly firstLast: number;
  /** Whether the last {@link zoneMasses} weighed endpoints by their SRV weight (else each counted 1). */
  private byWeight = true;

  /**
   * Undefined when the rule could never apply: the caller's AZ holds no endpoint, or it is the only AZ. `sampled`:
   * the answer may be a random sample of a larger set (see the class's comment).
   */
  static make(
    endpoints: readonly Endpoint[],
    firstEnd: number,
    settings: ZoneSettings,
    sampled = false,
  ): ZonePlan | undefined {
    const ids: string[] = [];
    for (const e of endpoints) if (e.azId !== undefined && !ids.includes(e.azId)) ids.push(e.azId);
    if (ids.length < 2 || !ids.includes(settings.localAzId)) return undefined;
    return new ZonePlan(endpoints, firstEnd, settings, ids, sampled);
  }

  private constructor(
    endpoints: readonly Endpoint[],
    firstEnd: number,
    settings: ZoneSettings,
    ids: string[],
    sampled: boolean,
  ) {
    this.sampled = sampled;
    this.zoneOf = new Int32Array(endpoints.length);
    for (let i = 0; i < endpoints.length; i++) {
      const azId = endpoints[i]!.azId;
      this.zoneOf[i] = azId === undefined ? -1 : ids.indexOf(azId);
    }
    this.local = ids.indexOf(settings.localAzId);
    const shares = settings.callerShares;
    // Shares that leave out the caller's own AZ say nothing about the caller: taken as even instead.
    if (shares !== undefined && (shares[settings.localAzId] ?? 0) > 0) {
      this.callerShare = new Float64Array(ids.length);
      for (let z = 0; z < ids.length; z++) this.callerShare[z] = shares[ids[z]!] ?? 0;
    }
    this.minPerZone = settings.minEndpointsPerZone;
    this.weight = new Float64Array(ids.length);
    this.count = new Float64Array(ids.length);
    this.mass = new Float64Array(ids.length);
    let last = -1;
    if (this.zoneMasses(endpoints, undefined, 0, firstEnd, undefined)) {
      const cumulative = new Float64Array(firstEnd);
      const byWeight = this.byWeight;
      let running = 0;
      for (let i = 0; i < firstEnd; i++) {
        const z = this.zoneOf[i]!;
        const w = byWeight ? endpoints[i]!.weight : 1;
        const p = z < 0 || w === 0 ? 0 : (this.mass[z]! * w) / (byWeight ? this.weight[z]! : this.count[z]!);
        running += p;
        cumulative[i] = running;
        if (p > 0) last = i;
      }
      this.firstCumulative = cumulative;
    }
    this.firstLast = last;
  }

  /** Whether the first group, with nothing avoided, is picked by the rule (else plain RFC 2782). */
  get zonedFirst(): boolean {
    return this.firstCumulative !== undefined;
  }

  /** The index of an endpoint of the first group by the rule, nothing avoided: one draw, a short scan. */
  pickFirst(random: RandomSource): number {
    const cumulative = this.firstCumulative!;
    const last = this.firstLast;
    const x = random() * cumulative[last]!;
    let i = 0;
    while (i < last && cumulative[i]! <= x) i++;
    return i;
  }

  /**
   * The index of an endpoint in [start, end) not avoided, by the rule; -1 when the rule is off for what is left
   * (the caller then picks by plain RFC 2782).
   */
  pickAvoiding(
    endpoints: readonly Endpoint[],
    keys: readonly string[],
    start: number,
    end: number,
    avoid: AvoidTest,
    random: RandomSource,
  ): number {
    if (!this.zoneMasses(endpoints, keys, start, end, avoid)) return -1;
    const mass = this.mass;
    let u = random();
    let z = 0;
    for (; z < mass.length - 1; z++) {
      if (u < mass[z]!) break;
      u -= mass[z]!;
    }
    // A draw rounded past the last AZ with any mass goes to the local AZ, which always has some.
    if (mass[z] === 0) z = this.local;
    const byWeight = this.byWeight;
    const total = byWeight ? this.weight[z]! : this.count[z]!;
    let x = Math.min(total - 1, Math.floor(random() * total));
    for (let i = start; i < end; i++) {
      if (this.zoneOf[i] !== z || avoid(keys[i]!)) continue;
      const w = byWeight ? endpoints[i]!.weight : 1;
      if (x < w) return i;
      x -= w;
    }
    return -1;
  }

  /**
   * Fills `mass` with each AZ's probability for the endpoints of [start, end) not avoided; false when the rule
   * is off for them. `weight` and `count` are left with each AZ's weight and number of endpoints.
   */
  private zoneMasses(
    endpoints: readonly Endpoint[],
    keys: readonly string[] | undefined,
    start: number,
    end: number,
    avoid: AvoidTest | undefined,
  ): boolean {
    const weight = this.weight;
    const count = this.count;
    const mass = this.mass;
    weight.fill(0);
    count.fill(0);
    mass.fill(0);
    let total = 0;
    let all = 0;
    let weighted = 0;
    let heaviest = 0;
    let unknownWeighted = false;
    let unknownAny = false;
    for (let i = start; i < end; i++) {
      if (avoid?.(keys![i]!)) continue;
      const w = endpoints[i]!.weight;
      const z = this.zoneOf[i]!;
      all++;
      total += w;
      if (w > 0) weighted++;
      if (z < 0) {
        unknownAny = true;
        if (w > 0) unknownWeighted = true;
        continue;
      }
      // Only weighted endpoints count while any is weighted: RFC 2782 picks weight 0 only when all are.
      if (w > 0) {
        weight[z]! += w;
        count[z]!++;
        if (w > heaviest) heaviest = w;
      }
    }
    if (all === 0) return false;
    const byWeight = total > 0;
    this.byWeight = byWeight;
    if (byWeight ? unknownWeighted : unknownAny) return false;
    if (!byWeight) {
      // Every endpoint weighs 0: each counts as one, as RFC 2782 picks among them evenly.
      for (let i = start; i < end; i++) if (!avoid?.(keys![i]!)) count[this.zoneOf[i]!]!++;
    }
    const have = byWeight ? weight : count;
    const sum = byWeight ? total : all;
    const endpointCount = byWeight ? weighted : all;
    let zones = 0;
    for (let z = 0; z < have.length; z++) if (have[z]! > 0) zones++;
    const local = this.local;
    if (have[local] === 0 || endpointCount < this.minPerZone * zones) return false;
    // Callers' shares over the AZs in play: as given, or even.
    const given = this.callerShare;
    let shareSum = 0;
    if (given !== undefined) for (let z = 0; z < have.length; z++) if (have[z]! > 0) shareSum += given[z]!;
    const localShare = given !== undefined ? given[local]! / shareSum : 1 / zones;
    const localCapacity = have[local]! / sum;
    // One endpoint of slack for a sampled answer (see the class's comment): each counts 1 when none is weighted.
    const slack = this.sampled ? (byWeight ? heaviest : 1) / sum : 0;
    // And a hair more: equal shares computed two ways may differ in the last bit.
    if (localCapacity >= localShare - slack - 1e-12) {
      mass[local] = 1;
      return true;
    }
    const stay = localCapacity / localShare;
    let spare = 0;
    for (let z = 0; z < have.length; z++) {
      if (z === local || have[z] === 0) continue;
      const r = have[z]! / sum - (given !== undefined ? given[z]! / shareSum : 1 / zones);
      if (r > 0) {
        mass[z] = r;
        spare += r;
      }
    }
    if (spare <= 0) {
      mass[local] = 1;
      return true;
    }
    for (let z = 0; z < have.length; z++) mass[z] = z === local ? stay : (mass[z]! * (1 - stay)) / spare;
    return true;
  }
}
