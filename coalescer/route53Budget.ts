// The coalescer's share of the account's Route53 budget, and the pace it keeps within it. The account has one
// request bucket and one change bucket for every writer in it, ours and the customer's own tools alike
// (route53/accountLimits.ts); the coalescer takes no more than a configured share of each, and less when Route53
// says the account is busy anyway: a throttled request halves its pace, each accepted one wins a twentieth of the
// share back (additive increase, multiplicative decrease, as TCP and the AWS SDK's adaptive retry mode do). The
// SDK's adaptive mode is not used itself: it paces one client's requests, not the changes inside them, and its
// rate is learnt per process with no ceiling of our choosing.
import { ACCOUNT_REQUEST_BUCKET, type BucketFigures, CHANGE_BUCKET } from "../route53/accountLimits";
import { TokenBucket } from "../route53/tokenBucket";
import type { Parsed } from "../settings/settingsTable";

/** Shares (0 < x ≤ 1) of the account's request rate and change rate that our writers may use together. */
export interface Route53Budget {
  requests: number;
  changes: number;
}

/**
 * The default leaves the customer most of the request rate, the one their tools feel (the console, Terraform and
 * external-dns each make requests of a few changes), and 40% of the change rate. 60% of the changes is what the
 * issue's cold start needs: 500 hosts × 20 containers are 10,500 record sets, and at 60 changes a second they
 * are in within three minutes (fleet benchmark, agent/README.md "Fleets").
 */
export const DEFAULT_ROUTE53_BUDGET: Readonly<Route53Budget> = Object.freeze({ requests: 0.4, changes: 0.6 });

const KEYS = ["requests", "changes"] as const;

/** Reads `requests=0.4,changes=0.6` (either may be left out: its default stays). */
export function parseRoute53Budget(text: string): Parsed<Route53Budget> {
  const out: Route53Budget = { ...DEFAULT_ROUTE53_BUDGET };
  const problems: string[] = [];
  const parts = text
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  if (parts.length === 0) problems.push(`expected requests=<share>,changes=<share>, got "${text}"`);
  for (const part of parts) {
    const m = /^([a-z]+)\s*=\s*(\S+)$/.exec(part);
    const key = m?.[1] as (typeof KEYS)[number] | undefined;
    if (!m || key === undefined || !KEYS.includes(key)) {
      problems.push(`"${part}" is not requests=<share> or changes=<share>`);
      continue;
    }
    const share = Number(m[2]);
    if (!Number.isFinite(share) || share <= 0 || share > 1) {
      problems.push(`${key} must be a share of the account's rate, more than 0 and at most 1, got "${m[2]}"`);
      continue;
    }
    out[key] = share;
  }
  return problems.length > 0 ? { problems } : { value: out };
}

export function formatRoute53Budget(b: Route53Budget): string {
  for (const key of KEYS) {
    if (!(b[key] > 0 && b[key] <= 1))
      throw new Error(`route53Budget.${key} must be in (0, 1], got ${b[key]}`);
  }
  return `requests=${b.requests},changes=${b.changes}`;
}

/** Slowest pace after repeated throttling: a tenth of the share. */
const MIN_FACTOR = 0.1;
/** What one accepted request wins back. */
const RECOVERY_STEP = 0.05;

export interface PaceStatus {
  /** Requests and changes a second the pace allows now (share × account rate × factor). */
  requestsPerSecond: number;
  changesPerSecond: number;
  /** The factor throttling left (1: the whole share). */
  factor: number;
}

/**
 * Two token buckets, requests and changes, each the share of the account's bucket (its burst and its rate),
 * their rates scaled down by throttling and back up by success.
 */
export class Route53Pace {
  private readonly requests: TokenBucket;
  private readonly changes: TokenBucket;
  private factor = 1;
  private readonly requestRate: number;
  private readonly changeRate: number;

  constructor(
    budget: Route53Budget,
    private readonly now: () => number = () => performance.now(),
    account: { requests: BucketFigures; changes: BucketFigures } = {
      requests: ACCOUNT_REQUEST_BUCKET,
      changes: CHANGE_BUCKET,
    },
  ) {
    this.requestRate = account.requests.rps * budget.requests;
    this.changeRate = account.changes.rps * budget.changes;
    this.requests = new TokenBucket(
      Math.max(1, account.requests.burst * budget.requests),
      this.requestRate,
      now,
    );
    this.changes = new TokenBucket(Math.max(1, account.changes.burst * budget.changes), this.changeRate, now);
  }

  /** The most change tokens one request may carry: a batch never needs more than the bucket holds. */
  get maxChangesPerRequest(): number {
    return Math.floor(this.changes.capacity);
  }

  /** Milliseconds until a request may go out. */
  msUntilRequest(): number {
    return this.requests.msUntil(1);
  }

  /** Change tokens there now. */
  changesAvailable(): number {
    return Math.floor(this.changes.available() + 1e-9);
  }

  /** Milliseconds until `n` change tokens are there (never more than a full bucket's worth is waited for). */
  msUntilChanges(n: number): number {
    return this.changes.msUntil(n);
  }

  /** A request goes out with `changeTokens` changes (reads carry none). */
  take(changeTokens: number): void {
    this.requests.take(1);
    if (changeTokens > 0) this.changes.take(changeTokens);
  }

  /** Route53 throttled a request: halve the pace. */
  throttled(): void {
    this.setFactor(Math.max(MIN_FACTOR, this.factor / 2));
  }

  /** Route53 accepted a request: win back a step of the pace. */
  accepted(): void {
    if (this.factor < 1) this.setFactor(Math.min(1, this.factor + RECOVERY_STEP));
  }

  status(): PaceStatus {
    return {
      requestsPerSecond: this.requestRate * this.factor,
      changesPerSecond: this.changeRate * this.factor,
      factor: this.factor,
    };
  }

  private setFactor(f: number): void {
    this.factor = f;
    this.requests.setRate(this.requestRate * f);
    this.changes.setRate(this.changeRate * f);
  }
}
