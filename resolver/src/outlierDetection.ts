// Outlier detection, Envoy's adapted to a client without a sidecar: the passive health of each instance of a
// service, learnt from what requests to it saw. Consecutive 5xx, consecutive gateway errors (502/503/504) or
// consecutive connection failures eject an instance for a time that grows with each ejection; at most a share of a
// service's instances are out at once; and when too few of the RFC 2782 priority group a pick would use are usable,
// selection ignores ejections and back-offs in that group (panic), so a request never fails for want of a healthy
// instance. No timers: an ejection ends when a pick (or stats()) next looks, so nothing here keeps a process alive.
import { type EjectedMessage, ejectedChannel, returnedChannel } from "./diagnostics";
import { ServiceRoster } from "./serviceRoster";
import { type AvoidTest, type Endpoint, type EndpointSet, endpointKey } from "./srvSelect";

/** The `outlierDetection` option of a resolver. Every field is optional; a count of 0 turns that rule off. */
export interface OutlierDetectionOptions {
  /** Consecutive 5xx responses that eject an instance. Default 5 (Envoy: 5). */
  readonly consecutive5xx?: number;
  /** Consecutive 502, 503 or 504 responses that eject an instance (any other status resets it). Default 5 (Envoy: 5). */
  readonly consecutiveGatewayErrors?: number;
  /** Consecutive connections refused, reset or timed out that eject an instance. Default 5 (Envoy: 5, local origin). */
  readonly consecutiveConnectionFailures?: number;
  /** An ejection lasts this × the number of times the instance was ejected. Default 30,000 ms (Envoy: 30 s). */
  readonly baseEjectionMs?: number;
  /** The longest an ejection lasts. Default 300,000 ms (Envoy: 300 s). */
  readonly maxEjectionMs?: number;
  /** At most this share of a service's instances is ejected at once, but one always may be. Default 10 (Envoy: 10). */
  readonly maxEjectionPercent?: number;
  /**
   * Below this share of usable instances (neither ejected nor in their connection back-off) in the priority group
   * a pick would use, the pick ignores both and balances across every instance of that group. 0 turns panic off.
   * Default 50 (Envoy: 50, per priority).
   */
  readonly panicThresholdPercent?: number;
}

/** The settings in force: every field of {@link OutlierDetectionOptions}, defaults filled in. */
export type OutlierSettings = { readonly [K in keyof OutlierDetectionOptions]-?: number };

/** Envoy's defaults, with gateway errors enforced too (Envoy counts them but does not eject on them by default). */
export const OUTLIER_DEFAULTS: OutlierSettings = {
  consecutive5xx: 5,
  consecutiveGatewayErrors: 5,
  consecutiveConnectionFailures: 5,
  baseEjectionMs: 30_000,
  maxEjectionMs: 300_000,
  maxEjectionPercent: 10,
  panicThresholdPercent: 50,
};

/** What one request to an instance saw: an HTTP status, a connection made, or a connection that failed. */
export type Outcome = number | "connected" | "connection-failed";

/** A connection made or a response under 500: what resets counts, and needs nothing while none is on record. */
function isSuccess(outcome: Outcome): boolean {
  return outcome === "connected" || (typeof outcome === "number" && outcome < 500);
}

/** An instance in {@link OutlierStats}. */
export interface InstanceOutlierStats {
  /** `address:port`, the key instances are known by. */
  readonly instance: string;
  /** The SRV target. */
  readonly host: string;
  readonly consecutive5xx: number;
  readonly consecutiveGatewayErrors: number;
  readonly consecutiveConnectionFailures: number;
  readonly ejected: boolean;
  /** While ejected: when it returns, in the resolver's clock (milliseconds since the epoch by default). */
  readonly ejectedUntil?: number;
  /** Times ejected since it was last forgotten (once its ejection time multiplier has decayed to 0). */
  readonly ejections: number;
}

/** A service in {@link OutlierStats}. */
export interface ServiceOutlierStats {
  /** The SRV name (`_calc._tcp.<domain>`). */
  readonly service: string;
  /** Its instances: those of its cached answer, and any other with a record here. */
  readonly instances: readonly InstanceOutlierStats[];
  /** How many are ejected now. */
  readonly ejected: number;
  /**
   * Whether picks ignore ejections and back-offs now in the priority group they use, too few of its instances
   * being usable (or none in any group).
   */
  readonly panic: boolean;
  /** While in panic: the SRV priority of the group picks balance across. */
  readonly panicPriority?: number;
}

/** What `resolver.stats().outlierDetection` holds: plain data, safe to serialize. */
export interface OutlierStats {
  readonly enabled: boolean;
  readonly settings?: OutlierSettings;
  /** Every service with an instance on record (one that failed recently, or is or was ejected). */
  readonly services: readonly ServiceOutlierStats[];
  readonly totals: {
    /** Ejections since the resolver was made. */
    readonly ejections: number;
    /** Ejections that ended. */
    readonly returns: number;
    /** Instances ejected now, across services. */
    readonly ejectedNow: number;
    /** Ejections not made because the service already had its maximum share ejected. */
    readonly refusedByMaxShare: number;
  };
}

const RULES = ["consecutive5xx", "consecutiveGatewayErrors", "consecutiveConnectionFailures"] as const;
const PERCENTS = ["maxEjectionPercent", "panicThresholdPercent"] as const;

function shown(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/**
 * The settings of the `outlierDetection` option (undefined: `false`, turned off), each problem of a bad one added
 * to `problems` as `[outlierDetection.field] ...`, the way the resolver reports its other options.
 */
export function outlierSettings(value: unknown, problems: string[]): OutlierSettings | undefined {
  if (value === false) return undefined;
  if (value === undefined) return OUTLIER_DEFAULTS;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    problems.push(`[outlierDetection] must be false or an object of settings, got ${shown(value)}`);
    return undefined;
  }
  const given = value as Record<string, unknown>;
  for (const name of Object.keys(given)) {
    if (!(name in OUTLIER_DEFAULTS)) {
      problems.push(
        `[outlierDetection.${name}] is not a setting (known: ${Object.keys(OUTLIER_DEFAULTS).join(", ")})`,
      );
    }
  }
  const settings: Record<string, number> = { ...OUTLIER_DEFAULTS };
  const take = (name: keyof OutlierSettings, ok: (n: number) => boolean, must: string): void => {
    const v = given[name];
    if (v === undefined) return;
    if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) {
      problems.push(`[outlierDetection.${name}] must be ${must}, got ${shown(v)}`);
      return;
    }
    settings[name] = v;
  };
  for (const name of RULES)
    take(name, (n) => Number.isInteger(n) && n >= 0, "an integer >= 0 (0 turns it off)");
  take("baseEjectionMs", (n) => n > 0, "a number > 0");
  take("maxEjectionMs", (n) => n > 0, "a number > 0");
  for (const name of PERCENTS) take(name, (n) => n >= 0 && n <= 100, "a number from 0 to 100");
  if (settings.maxEjectionMs! < settings.baseEjectionMs!) {
    problems.push(
      `[outlierDetection.maxEjectionMs] must be >= baseEjectionMs (${settings.baseEjectionMs}), got ${settings.maxEjectionMs}`,
    );
  }
  return settings as OutlierSettings;
}

/** What the detector needs from its resolver: a service's cached answer, and the connection back-off. */
export interface OutlierSources {
  /** The endpoints of a service's cached answer, if it has one. */
  setOf(service: string): EndpointSet | undefined;
  /** Whether an instance is in its back-off after a failed connection (EndpointHealth). */
  inBackoff(key: string, now: number): boolean;
  now(): number;
}

type Reason = EjectedMessage["reason"];

/** The record of one instance of one service. */
class InstanceRecord {
  consecutive5xx = 0;
  consecutiveGatewayErrors = 0;
  consecutiveConnectionFailures = 0;
  /** When its ejection ends; 0 while in rotation. */
  ejectedUntil = 0;
  ejections = 0;
  /** The ejection time's multiplier: one more per ejection, one less per baseEjectionMs back in rotation. */
  multiplier = 0;
  /** When its last ejection ended. */
  returnedAt = 0;

  constructor(
    readonly service: ServiceRecord,
    readonly key: string,
    /** The latest endpoint object reported for it: what the channels' messages carry. */
    public endpoint: Endpoint,
  ) {}
}

/** The records of one service's instances. */
class ServiceRecord {
  readonly instances = new Map<string, InstanceRecord>();
  ejected = 0;
  /** The earliest time one of its ejections ends: before it, a pick has nothing to return to rotation. */
  nextReturn = Number.POSITIVE_INFINITY;
  /** The avoid test of its ejected instances, made once per service. */
  readonly isEjected: AvoidTest = (key) => (this.instances.get(key)?.ejectedUntil ?? 0) !== 0;

  constructor(readonly name: string) {}
}

/**
 * The passive health of the instances of every service a resolver serves, shared by every dispatcher and agent on
 * it. Records at most `maxTracked` instances; the one that failed least recently goes first. The roster of each
 * service's instances, for the share that may be ejected, is bounded the same way.
 */
export class OutlierDetector {
  private readonly services = new Map<string, ServiceRecord>();
  /** Every record, least recently failed first: the bound's eviction order. */
  private readonly order = new Set<InstanceRecord>();
  /** The instances each service's answers held within maxEjectionMs: its size for maxEjectionPercent. */
  private readonly roster: ServiceRoster;
  private ejectedNow = 0;
  /**
   * No ejection of any service ends before this (infinity while none is ejected): until then anyEjected needs no
   * sweep, and past it one sweep of every service returns the instances whose time is over, even of a service no
   * longer picked, so picks of the others go back to the fast path.
   */
  private nextReturn = Number.POSITIVE_INFINITY;
  private ejections = 0;
  private returns = 0;
  private refusedByMaxShare = 0;

  constructor(
    readonly settings: OutlierSettings,
    private readonly sources: OutlierSources,
    private readonly maxTracked = 10_000,
  ) {
    this.roster = new ServiceRoster(settings.maxEjectionMs, maxTracked);
  }

  /** True while some instance is ejected at `now`: lets the pick hot path skip every other check. */
  anyEjected(now: number): boolean {
    if (this.ejectedNow === 0) return false;
    if (now < this.nextReturn) return true;
    this.sweepAll(now);
    return this.ejectedNow > 0;
  }

  /**
   * Whether `outcome` changes nothing: a success while no instance is on record, the path of almost every
   * response. A caller checks it before it works out which service the outcome is of.
   */
  ignores(outcome: Outcome): boolean {
    return this.order.size === 0 && isSuccess(outcome);
  }

  /**
   * Counts in a new answer of `service` (its SRV name), which arrived at `now`: its instances count in the
   * service's size for maxEjectionPercent while they are in its answers and for maxEjectionMs after.
   */
  sawAnswer(service: string, set: EndpointSet, now: number): void {
    this.roster.saw(service, set, now);
  }

  /** Counts one outcome of a request to `endpoint`, an instance of `service` (its SRV name), and ejects on a rule. */
  report(service: string, endpoint: Endpoint, outcome: Outcome): void {
    if (isSuccess(outcome)) {
      // Nothing to reset while nothing is on record.
      if (this.order.size === 0) return;
      const record = this.services.get(service)?.instances.get(endpointKey(endpoint));
      if (record === undefined) return;
      record.consecutiveConnectionFailures = 0;
      if (outcome === "connected") return;
      record.consecutive5xx = 0;
      record.consecutiveGatewayErrors = 0;
      if (this.settled(record, this.sources.now())) this.forget(record);
      return;
    }
    const record = this.recordOf(service, endpoint);
    const s = this.settings;
    let reason: Reason | undefined;
    if (outcome === "connection-failed") {
      record.consecutiveConnectionFailures++;
      if (
        s.consecutiveConnectionFailures > 0 &&
        record.consecutiveConnectionFailures >= s.consecutiveConnectionFailures
      )
        reason = "connection-failures";
    } else {
      // A response, even a 5xx, says the connection works. Envoy's order: gateway errors counted apart, a 5xx
      // that is not one resets them.
      record.consecutiveConnectionFailures = 0;
      record.consecutive5xx++;
      if (outcome === 502 || outcome === 503 || outcome === 504) record.consecutiveGatewayErrors++;
      else record.consecutiveGatewayErrors = 0;
      if (s.consecutiveGatewayErrors > 0 && record.consecutiveGatewayErrors >= s.consecutiveGatewayErrors)
        reason = "consecutive-gateway-errors";
      else if (s.consecutive5xx > 0 && record.consecutive5xx >= s.consecutive5xx) reason = "consecutive-5xx";
    }
    if (reason !== undefined) this.eject(record, reason, this.sources.now());
  }

  /**
   * The avoid test for one pick of `service` from `set`: instances in their back-off (`backoff`, when any is) or
   * ejected; undefined when nothing is to be avoided. Panic, as Envoy decides it per priority: in the group a
   * pick would use (the lowest priority with a usable instance, or the lowest of all when none has one), when
   * fewer than the threshold's share is usable, the test passes over none of that group's instances, so the pick
   * balances across all of them. Undefined too when that group is the whole answer: RFC 2782 alone.
   */
  avoidance(
    service: string,
    set: EndpointSet,
    backoff: AvoidTest | undefined,
    now: number,
  ): AvoidTest | undefined {
    const record = this.anyEjected(now) ? this.ejectedOf(service, now) : undefined;
    if (record === undefined && backoff === undefined) return undefined;
    const ejected = record?.isEjected;
    const avoid: AvoidTest =
      ejected === undefined ? backoff! : backoff === undefined ? ejected : (k) => ejected(k) || backoff(k);
    const g = this.panicGroup(set, avoid);
    if (g < 0) return avoid;
    if (set.groupBounds.length === 2) return undefined;
    const forgiven = set.groupKeys(g);
    return (k) => !forgiven.has(k) && avoid(k);
  }

  /** Plain data: every service with a record, its instances and whether it is in panic; the totals. */
  stats(): OutlierStats {
    const now = this.sources.now();
    this.sweepAll(now);
    const services: ServiceOutlierStats[] = [];
    for (const record of this.services.values()) {
      const set = this.sources.setOf(record.name);
      const keys = set?.keys ?? [];
      const instances: InstanceOutlierStats[] = [];
      const listed = new Set<string>();
      const add = (key: string, host: string): void => {
        listed.add(key);
        const r = record.instances.get(key);
        instances.push({
          instance: key,
          host,
          consecutive5xx: r?.consecutive5xx ?? 0,
          consecutiveGatewayErrors: r?.consecutiveGatewayErrors ?? 0,
          consecutiveConnectionFailures: r?.consecutiveConnectionFailures ?? 0,
          ejected: (r?.ejectedUntil ?? 0) !== 0,
          ...(r !== undefined && r.ejectedUntil !== 0 ? { ejectedUntil: r.ejectedUntil } : {}),
          ejections: r?.ejections ?? 0,
        });
      };
      for (let i = 0; i < keys.length; i++) add(keys[i]!, set!.endpoints[i]!.host);
      for (const r of record.instances.values()) if (!listed.has(r.key)) add(r.key, r.endpoint.host);
      const backoff = (k: string) => this.sources.inBackoff(k, now);
      const g = set === undefined ? -1 : this.panicGroup(set, (k) => record.isEjected(k) || backoff(k));
      services.push({
        service: record.name,
        instances,
        ejected: record.ejected,
        panic: g >= 0,
        ...(g >= 0 ? { panicPriority: set!.endpoints[set!.groupBounds[g]!]!.priority } : {}),
      });
    }
    return {
      enabled: true,
      settings: { ...this.settings },
      services,
      totals: {
        ejections: this.ejections,
        returns: this.returns,
        ejectedNow: this.ejectedNow,
        refusedByMaxShare: this.refusedByMaxShare,
      },
    };
  }

  /** The service's record when it has an instance ejected at `now` (those whose time is over return first). */
  private ejectedOf(service: string, now: number): ServiceRecord | undefined {
    const record = this.services.get(service);
    if (record === undefined || record.ejected === 0) return undefined;
    this.sweep(record, now);
    return record.ejected > 0 ? record : undefined;
  }

  /**
   * The priority group (its index in `set`) in panic, or -1: the lowest group with an instance `avoid` leaves is
   * the one a pick would use, in panic when fewer than the threshold's share of it is left; with none left in any
   * group, the lowest is, as RFC 2782 alone would pick from it.
   */
  private panicGroup(set: EndpointSet, avoid: AvoidTest): number {
    const threshold = this.settings.panicThresholdPercent;
    if (threshold === 0) return -1;
    const bounds = set.groupBounds;
    const keys = set.keys;
    for (let g = 0; g + 1 < bounds.length; g++) {
      const start = bounds[g]!;
      const end = bounds[g + 1]!;
      let usable = 0;
      for (let i = start; i < end; i++) if (!avoid(keys[i]!)) usable++;
      if (usable > 0) return usable * 100 < (end - start) * threshold ? g : -1;
    }
    return 0;
  }

  private eject(record: InstanceRecord, reason: Reason, now: number): void {
    const service = record.service;
    this.sweep(service, now);
    // Answers to requests sent before the ejection still arrive; they change nothing while it lasts.
    if (record.ejectedUntil !== 0) return;
    const s = this.settings;
    // The service's size: the instances its answers held lately, not its answer now, which may be a sample of 8.
    const seen = this.roster.size(service.name, this.sources.setOf(service.name), now);
    const total = Math.max(seen, service.instances.size);
    // At most the share, rounded down; but one may always be ejected (as Envoy does), or small services never would.
    if (service.ejected > 0 && (service.ejected + 1) * 100 > total * s.maxEjectionPercent) {
      this.refusedByMaxShare++;
      return;
    }
    if (record.multiplier > 0) {
      const calm = Math.floor((now - record.returnedAt) / s.baseEjectionMs);
      record.multiplier = Math.max(0, record.multiplier - calm);
    }
    record.multiplier++;
    record.ejections++;
    const durationMs = Math.min(s.maxEjectionMs, s.baseEjectionMs * record.multiplier);
    record.ejectedUntil = now + durationMs;
    // Counted afresh once it is back, as Envoy resets them when it returns a host.
    record.consecutive5xx = 0;
    record.consecutiveGatewayErrors = 0;
    record.consecutiveConnectionFailures = 0;
    service.ejected++;
    if (record.ejectedUntil < service.nextReturn) service.nextReturn = record.ejectedUntil;
    if (record.ejectedUntil < this.nextReturn) this.nextReturn = record.ejectedUntil;
    this.ejectedNow++;
    this.ejections++;
    if (ejectedChannel.hasSubscribers) {
      ejectedChannel.publish({
        service: service.name,
        endpoint: record.endpoint,
        reason,
        ejections: record.ejections,
        durationMs,
      });
    }
  }

  /** Returns to rotation the instances of every service whose ejection is over at `now`. */
  private sweepAll(now: number): void {
    let next = Number.POSITIVE_INFINITY;
    for (const service of this.services.values()) {
      if (service.ejected === 0) continue;
      this.sweep(service, now);
      if (service.ejected > 0 && service.nextReturn < next) next = service.nextReturn;
    }
    this.nextReturn = next;
  }

  /** Returns to rotation the service's instances whose ejection is over at `now`. */
  private sweep(service: ServiceRecord, now: number): void {
    if (now < service.nextReturn) return;
    let next = Number.POSITIVE_INFINITY;
    for (const record of service.instances.values()) {
      if (record.ejectedUntil === 0) continue;
      if (now >= record.ejectedUntil) this.readmit(record, record.ejectedUntil);
      else if (record.ejectedUntil < next) next = record.ejectedUntil;
    }
    service.nextReturn = next;
  }

  private readmit(record: InstanceRecord, at: number): void {
    record.returnedAt = at;
    record.ejectedUntil = 0;
    record.service.ejected--;
    this.ejectedNow--;
    this.returns++;
    if (returnedChannel.hasSubscribers) {
      returnedChannel.publish({ service: record.service.name, endpoint: record.endpoint });
    }
  }

  /** The record of an instance that just failed, made if need be, and moved to the back of the eviction order. */
  private recordOf(service: string, endpoint: Endpoint): InstanceRecord {
    let serviceRecord = this.services.get(service);
    if (serviceRecord === undefined) {
      serviceRecord = new ServiceRecord(service);
      this.services.set(service, serviceRecord);
    }
    const key = endpointKey(endpoint);
    let record = serviceRecord.instances.get(key);
    if (record === undefined) {
      record = new InstanceRecord(serviceRecord, key, endpoint);
      serviceRecord.instances.set(key, record);
    } else {
      record.endpoint = endpoint;
      this.order.delete(record);
    }
    this.order.add(record);
    if (this.order.size > this.maxTracked) {
      const oldest = this.order.values().next().value;
      if (oldest !== undefined && oldest !== record) this.forget(oldest);
    }
    return record;
  }

  /** Nothing left to remember: no count, not ejected, and its ejection time multiplier decayed to 0. */
  private settled(record: InstanceRecord, now: number): boolean {
    return (
      record.consecutive5xx === 0 &&
      record.consecutiveGatewayErrors === 0 &&
      record.consecutiveConnectionFailures === 0 &&
      record.ejectedUntil === 0 &&
      now - record.returnedAt >= record.multiplier * this.settings.baseEjectionMs
    );
  }

  private forget(record: InstanceRecord): void {
    // Only the bound forgets an ejected instance: it returns early rather than memory growing without end.
    if (record.ejectedUntil !== 0) this.readmit(record, this.sources.now());
    this.order.delete(record);
    const service = record.service;
    service.instances.delete(record.key);
    if (service.instances.size === 0) this.services.delete(service.name);
  }
}
