// Route53's account-wide budget as AWS publishes it: the request bucket every action of an account shares, and
// the change-throughput bucket (since 2026-07-30). The local zone applies these figures (local/zone/route53Limits.ts)
// and the coalescer takes its share of them (coalescer/route53Budget.ts): one copy of each figure.
// Source: AWS's Developer Guide page "Throttling for Amazon Route 53 API requests".

/** A token bucket's figures: the burst it absorbs when full, and the rate it sustains. */
export interface BucketFigures {
  burst: number;
  rps: number;
}

/** The throttling page: all actions of an account together draw from one bucket of 50, refilling 10/s. */
export const ACCOUNT_REQUEST_BUCKET: BucketFigures = { burst: 50, rps: 10 };
/**
 * ASSUMPTION, to check against AWS's throttling page: the change-throughput bucket's figures were not
 * in the copies of the page we could read. Burst 1,000: the largest batch Route53 accepts (1,000
 * ResourceRecord elements, an UPSERT counting twice) is never more than 1,000 changes, so any valid
 * batch passes on a full bucket. Rate 100 changes/s: ten changes for each of the 10 requests a second
 * the request bucket sustains, so batching still pays, but no longer without bound.
 */
export const CHANGE_BUCKET: BucketFigures = { burst: 1000, rps: 100 };

/**
 * What a batch costs the change-throughput bucket. The page counts "individual DNS record changes",
 * an UPSERT as two (a DELETE and a CREATE); we read a change as one Change element, i.e. one record
 * set created or deleted, whatever number of values it holds. (For this project's sets, one value
 * each, the other reading, per ResourceRecord, gives the same count.)
 */
export function changeTokens(changes: readonly { action: string }[]): number {
  let n = 0;
  for (const c of changes) n += c.action === "UPSERT" ? 2 : 1;
  return n;
}
