// Fault injection for the local zone's Route53 API, so clients can be tested against the
// failures Route53 really produces: Throttling (Route53's request and change buckets, or the older
// single-bucket model), the record-set quota, PriorRequestNotComplete, slow answers and 5xx.

import { Route53Error } from "./route53Errors";
import type { BucketFigures } from "./route53Limits";
import { DEFAULT_MAX_RECORD_SETS_PER_ZONE, DEFAULT_MAX_VPCS_PER_ZONE, throttling } from "./route53Limits";
import { TokenBucket } from "./tokenBucket";

/**
 * Faults to inject; every field is optional and an empty object clears them all. A bucket is on when
 * its rate is set above 0, and then needs its burst too. ROUTE53_LIMITS holds today's Route53 figures.
 */
export interface FaultSettings {
  /** The older model, kept as it was: requests per second allowed (one bucket, burst = one second's worth); beyond it, Throttling. 0 = no limit. */
  throttleRps?: number;
  /** Route53's account-level request bucket: requests per second, all actions together (Route53: 10). */
  accountRps?: number;
  /** Capacity of the account-level request bucket (Route53: 50). */
  accountBurst?: number;
  /** Route53's per-action request bucket, for actions not in actionLimits: requests per second (Route53: 10). */
  actionRps?: number;
  /** Capacity of each per-action request bucket not in actionLimits (Route53: 50). */
  actionBurst?: number;
  /** Per-action buckets that differ, by action name (Route53: CreateHostedZone 40/2, DeleteHostedZone 40/5). */
  actionLimits?: Record<string, BucketFigures>;
  /** Route53's change-throughput bucket: record set changes per second, an UPSERT counting two (assumed 100). */
  changesPerSecond?: number;
  /** Capacity of the change-throughput bucket, in changes (assumed 1,000). */
  changeBurst?: number;
  /** Record sets a hosted zone may hold; a batch that would take a zone above it fails. Unset: not enforced. */
  maxRecordSetsPerZone?: number;
  /** What GetHostedZoneLimit reports for MAX_VPCS_ASSOCIATED_BY_ZONE (Route53: 300). */
  maxVpcsPerZone?: number;
  /** Probability (0–1) that a write (ChangeResourceRecordSets, Create/DeleteHostedZone) fails with PriorRequestNotComplete. */
  priorRequestNotCompleteRate?: number;
  /** Delay added before every API answer, in milliseconds. */
  latencyMs?: number;
  /** Probability (0–1) of a 500 InternalError or 503 ServiceUnavailable. */
  serverErrorRate?: number;
}

type NumberField = Exclude<keyof FaultSettings, "actionLimits">;

interface NumberSpec {
  min: number;
  max: number;
  integer?: boolean;
  what: string;
}

const RATE: NumberSpec = { min: 0, max: 1_000_000, what: "a rate per second, at least 0" };
const BURST: NumberSpec = { min: 1, max: 1_000_000, what: "a number of tokens from 1 to 1000000" };
const COUNT: NumberSpec = { min: 1, max: 1_000_000_000, integer: true, what: "a whole number from 1" };
const PROBABILITY: NumberSpec = { min: 0, max: 1, what: "a probability between 0 and 1" };

const FIELDS: Record<NumberField, NumberSpec> = {
  throttleRps: { ...RATE, what: "requests per second, at least 0" },
  accountRps: RATE,
  accountBurst: BURST,
  actionRps: RATE,
  actionBurst: BURST,
  changesPerSecond: RATE,
  changeBurst: BURST,
  maxRecordSetsPerZone: COUNT,
  maxVpcsPerZone: COUNT,
  priorRequestNotCompleteRate: PROBABILITY,
  latencyMs: { min: 0, max: 600_000, what: "milliseconds between 0 and 600000" },
  serverErrorRate: PROBABILITY,
};
const KNOWN = [...Object.keys(FIELDS), "actionLimits"];
/** A rate and its burst go together. */
const PAIRS: Array<[NumberField, NumberField]> = [
  ["accountRps", "accountBurst"],
  ["actionRps", "actionBurst"],
  ["changesPerSecond", "changeBurst"],
];

function numberProblem(key: string, value: unknown, spec: NumberSpec): string | undefined {
  if (
    typeof value !== "number" ||
    !Number.isFinite(value) ||
    value < spec.min ||
    value > spec.max ||
    (spec.integer && !Number.isInteger(value))
  ) {
    return `fault setting "${key}" must be ${spec.what}, got ${JSON.stringify(value)}`;
  }
  return undefined;
}

function actionLimitsProblems(value: unknown, out: Record<string, BucketFigures>): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return [`fault setting "actionLimits" must be an object of {"Action": {"burst": n, "rps": n}}`];
  }
  const problems: string[] = [];
  for (const [action, figures] of Object.entries(value)) {
    const where = `actionLimits.${action}`;
    if (!/^[A-Z][A-Za-z0-9]{0,63}$/.test(action)) {
      problems.push(`fault setting "actionLimits" has "${action}", which is not an API action name`);
      continue;
    }
    if (typeof figures !== "object" || figures === null || Array.isArray(figures)) {
      problems.push(`fault setting "${where}" must be {"burst": n, "rps": n}`);
      continue;
    }
    const extra = Object.keys(figures).filter((k) => k !== "burst" && k !== "rps");
    if (extra.length > 0) problems.push(`fault setting "${where}" has unknown fields: ${extra.join(", ")}`);
    const { burst, rps } = figures as Record<string, unknown>;
    const bad = [
      numberProblem(`${where}.burst`, burst, BURST),
      numberProblem(`${where}.rps`, rps, {
        ...RATE,
        min: Number.MIN_VALUE,
        what: "a rate per second above 0",
      }),
    ].filter((p): p is string => p !== undefined);
    problems.push(...bad);
    if (bad.length === 0) out[action] = { burst: burst as number, rps: rps as number };
  }
  return problems;
}

/** Validates fault settings from JSON or flags; throws one Error naming every bad field. */
export function parseFaultSettings(input: unknown): FaultSettings {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new Error("fault settings must be a JSON object");
  }
  const out: FaultSettings = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (key === "actionLimits") {
      const limits: Record<string, BucketFigures> = {};
      const found = actionLimitsProblems(value, limits);
      problems.push(...found);
      if (found.length === 0) out.actionLimits = limits;
      continue;
    }
    if (!(key in FIELDS)) {
      problems.push(`unknown fault setting "${key}" (known: ${KNOWN.join(", ")})`);
      continue;
    }
    const problem = numberProblem(key, value, FIELDS[key as NumberField]);
    if (problem) problems.push(problem);
    else out[key as NumberField] = value as number;
  }
  for (const [rate, burst] of PAIRS) {
    if ((input as FaultSettings)[rate] !== undefined && (input as FaultSettings)[burst] === undefined) {
      problems.push(`fault setting "${rate}" needs "${burst}" too (the bucket's capacity)`);
    }
    if ((input as FaultSettings)[burst] !== undefined && (input as FaultSettings)[rate] === undefined) {
      problems.push(`fault setting "${burst}" needs "${rate}" too (the bucket's refill per second)`);
    }
  }
  if (problems.length > 0) throw new Error(problems.join("; "));
  return out;
}

const WRITES = new Set(["ChangeResourceRecordSets", "CreateHostedZone", "DeleteHostedZone"]);

function bucket(rps: number | undefined, burst: number | undefined, now: () => number) {
  return rps && burst ? new TokenBucket(burst, rps, now) : undefined;
}

/** Decides, per API call, whether and how it fails. */
export class FaultInjector {
  private settings: FaultSettings = {};
  private legacy: TokenBucket | undefined;
  private account: TokenBucket | undefined;
  private actions = new Map<string, TokenBucket | undefined>();
  private changes: TokenBucket | undefined;

  /** `now` is a clock in milliseconds; tests pass their own to move time without waiting. */
  constructor(
    settings: FaultSettings = {},
    private readonly random: () => number = Math.random,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.set(settings);
  }

  /** Replaces every setting; the buckets start full. */
  set(settings: FaultSettings): void {
    this.settings = parseFaultSettings(settings);
    const s = this.settings;
    // As before: burst = one second's worth, and at least one request.
    this.legacy = s.throttleRps
      ? new TokenBucket(Math.max(1, s.throttleRps), s.throttleRps, this.now)
      : undefined;
    this.account = bucket(s.accountRps, s.accountBurst, this.now);
    this.actions = new Map();
    this.changes = bucket(s.changesPerSecond, s.changeBurst, this.now);
  }

  get(): FaultSettings {
    return structuredClone(this.settings);
  }

  /** Waits the configured latency, then returns the error to answer instead, if any. */
  async before(action: string): Promise<Route53Error | undefined> {
    const { latencyMs, serverErrorRate, priorRequestNotCompleteRate } = this.settings;
    if (latencyMs) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    if (this.legacy && !this.legacy.tryTake(1)) return throttling();
    if (!this.takeRequest(action)) return throttling();
    if (serverErrorRate && this.random() < serverErrorRate) {
      return this.random() < 0.5
        ? new Route53Error("InternalError", "An internal error occurred. Try again.", 500)
        : new Route53Error("ServiceUnavailable", "The service is unavailable. Try again.", 503);
    }
    if (priorRequestNotCompleteRate && WRITES.has(action) && this.random() < priorRequestNotCompleteRate) {
      return new Route53Error(
        "PriorRequestNotComplete",
        "The request was rejected because Route 53 was still processing a prior request.",
        400,
      );
    }
    return undefined;
  }

  /**
   * Throttling when the change-throughput bucket has fewer than `count` tokens, else undefined.
   * Takes nothing: call spendChanges once the batch is applied, so a rejected batch costs no changes.
   */
  changeThrottle(count: number): Route53Error | undefined {
    return this.changes && !this.changes.has(count) ? throttling() : undefined;
  }

  spendChanges(count: number): void {
    this.changes?.take(count);
  }

  /** The record-set quota a batch is checked against; undefined when none is enforced. */
  recordSetQuota(): number | undefined {
    return this.settings.maxRecordSetsPerZone;
  }

  /** What GetHostedZoneLimit reports: the enforced figures, else Route53's defaults. */
  hostedZoneLimits(): { maxRecordSets: number; maxVpcs: number } {
    return {
      maxRecordSets: this.settings.maxRecordSetsPerZone ?? DEFAULT_MAX_RECORD_SETS_PER_ZONE,
      maxVpcs: this.settings.maxVpcsPerZone ?? DEFAULT_MAX_VPCS_PER_ZONE,
    };
  }

  /** A request takes a token from the account bucket and from its action's, or from neither. */
  private takeRequest(action: string): boolean {
    const actionBucket = this.actionBucket(action);
    if (!(this.account?.has(1) ?? true) || !(actionBucket?.has(1) ?? true)) return false;
    this.account?.take(1);
    actionBucket?.take(1);
    return true;
  }

  private actionBucket(action: string): TokenBucket | undefined {
    if (!this.actions.has(action)) {
      const own = this.settings.actionLimits?.[action];
      this.actions.set(
        action,
        own
          ? new TokenBucket(own.burst, own.rps, this.now)
          : bucket(this.settings.actionRps, this.settings.actionBurst, this.now),
      );
    }
    return this.actions.get(action);
  }
}
