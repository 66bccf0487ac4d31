// Route53's throttling and quotas as they stand today, as figures the local zone can apply. Sources:
// AWS's Developer Guide page "Throttling for Amazon Route 53 API requests" (current since 2026-07-30)
// and "Quotas" (record sets per hosted zone, VPCs per private hosted zone).
import {
  ACCOUNT_REQUEST_BUCKET,
  type BucketFigures,
  CHANGE_BUCKET,
  changeTokens,
} from "../../route53/accountLimits";
import { Route53Error } from "./route53Errors";

// The account-wide figures are the edge's (route53/accountLimits.ts): the coalescer budgets with the same ones.
export { ACCOUNT_REQUEST_BUCKET, type BucketFigures, CHANGE_BUCKET, changeTokens };

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

/** The throttling page: HTTP 400, Code Throttling, Message "Rate exceeded", whichever limit it was. */
export function throttling(): Route53Error {
  return new Route53Error("Throttling", "Rate exceeded", 400);
}
