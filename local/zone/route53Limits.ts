// Route53's throttling and quotas as they stand today, as figures the local zone can apply. Sources:
// AWS's Developer Guide page "Throttling for Amazon Route 53 API requests" (current since 2026-07-30)
// and "Quotas" (record sets per hosted zone, VPCs per private hosted zone).
import type { Change } from "./batchRules";
import { Route53Error } from "./route53Errors";

/** A token bucket's figures: the burst it absorbs when full, and the rate it sustains. */
export interface BucketFigures {
  burst: number;
  rps: number;
}

/** The throttling page: all actions of an account together draw from one bucket of 50, refilling 10/s. */
export const ACCOUNT_REQUEST_BUCKET: BucketFigures = { burst: 50, rps: 10 };
/** The throttling page: each action also has its own bucket, 50 and 10/s unless listed otherwise. */
export const ACTION_REQUEST_BUCKET: BucketFigures = { burst: 50, rps: 10 };
/**
 * The throttling page's figures for the actions the local zone serves whose bucket differs from the
 * default. (The page lists more, for actions the local zone does not serve: AssociateVPCWithHostedZone
 * 20/5, DisassociateVPCFromHostedZone 10/5, health checks, CIDR collections, traffic policies.)
 */
export const ACTION_REQUEST_BUCKETS: Readonly<Record<string, BucketFigures>> = {
  CreateHostedZone: { burst: 40, rps: 2 },
  DeleteHostedZone: { burst: 40, rps: 5 },
};
/**
 * ASSUMPTION, to check against AWS's throttling page: the change-throughput bucket's figures were not
 * in the copies of the page we could read. Burst 1,000: the largest batch Route53 accepts (1,000
 * ResourceRecord elements, an UPSERT counting twice) is never more than 1,000 changes, so any valid
 * batch passes on a full bucket. Rate 100 changes/s: ten changes for each of the 10 requests a second
 * the request bucket sustains, so batching still pays, but no longer without bound.
 */
export const CHANGE_BUCKET: BucketFigures = { burst: 1000, rps: 100 };
/** Quotas: 10,000 record sets per hosted zone by default (GetHostedZoneLimit MAX_RRSETS_BY_ZONE). */
export const DEFAULT_MAX_RECORD_SETS_PER_ZONE = 10_000;
/** Quotas: 300 VPCs associated with a private hosted zone (GetHostedZoneLimit MAX_VPCS_ASSOCIATED_BY_ZONE). */
export const DEFAULT_MAX_VPCS_PER_ZONE = 300;

/**
 * Route53's limits as fault settings (see FaultSettings): what `ecssd zone` applies by default, and
 * what a test or a benchmark passes to meet today's Route53 rather than an unlimited one.
 *
 * @example
 * const zone = await startLocalZone({ faults: ROUTE53_LIMITS });
 */
export const ROUTE53_LIMITS = Object.freeze({
  accountBurst: ACCOUNT_REQUEST_BUCKET.burst,
  accountRps: ACCOUNT_REQUEST_BUCKET.rps,
  actionBurst: ACTION_REQUEST_BUCKET.burst,
  actionRps: ACTION_REQUEST_BUCKET.rps,
  actionLimits: ACTION_REQUEST_BUCKETS,
  changeBurst: CHANGE_BUCKET.burst,
  changesPerSecond: CHANGE_BUCKET.rps,
  maxRecordSetsPerZone: DEFAULT_MAX_RECORD_SETS_PER_ZONE,
  maxVpcsPerZone: DEFAULT_MAX_VPCS_PER_ZONE,
});

/**
 * What a batch costs the change-throughput bucket. The page counts "individual DNS record changes",
 * an UPSERT as two (a DELETE and a CREATE); we read a change as one Change element, i.e. one record
 * set created or deleted, whatever number of values it holds. (For this project's sets, one value
 * each, the other reading, per ResourceRecord, gives the same count.)
 */
export function changeTokens(changes: readonly Change[]): number {
  let n = 0;
  for (const c of changes) n += c.action === "UPSERT" ? 2 : 1;
  return n;
}

/** The throttling page: HTTP 400, Code Throttling, Message "Rate exceeded", whichever limit it was. */
export function throttling(): Route53Error {
  return new Route53Error("Throttling", "Rate exceeded", 400);
}
