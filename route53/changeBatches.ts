// Route53's limits on one ChangeResourceRecordSets request, and the splitter that keeps batches within
// them. Pure, no SDK import: the agent's core plans its batches with it.
//
// "Maximums on API requests" in the Route 53 Developer Guide's quotas
// (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html#limits-api-requests):
// a request holds at most 1,000 ResourceRecord elements and at most 32,000 characters of values, and an
// UPSERT counts twice toward both (Route53 handles it as a DELETE plus a CREATE).
import type { ZoneRecordSet } from "../records";

export const CHANGE_BATCH_LIMITS = {
  /** Changes per request: never more than the 1,000 values, since each change has at least one. */
  changes: 1_000,
  resourceRecords: 1_000,
  valueCharacters: 32_000,
} as const;

export type ChangeAction = "CREATE" | "UPSERT" | "DELETE";

/** What the splitter needs to know of a change. */
export interface SizedChange {
  action: ChangeAction;
  recordSet: Pick<ZoneRecordSet, "ResourceRecords">;
}

/** What one change counts toward the limits. */
export function changeSize(c: SizedChange): { resourceRecords: number; valueCharacters: number } {
  const factor = c.action === "UPSERT" ? 2 : 1;
  const values = c.recordSet.ResourceRecords;
  return {
    resourceRecords: values.length * factor,
    valueCharacters: values.reduce((n, r) => n + r.Value.length, 0) * factor,
  };
}

/**
 * The longest prefix of `changes` that fits one request, and never more than `limit` changes. A single
 * change over the limits still goes alone: Route53, not the splitter, is the judge of it.
 */
export function firstBatch<C extends SizedChange>(
  changes: readonly C[],
  limit: number = CHANGE_BATCH_LIMITS.changes,
): C[] {
  const batch: C[] = [];
  let records = 0;
  let characters = 0;
  for (const c of changes) {
    if (batch.length >= Math.min(limit, CHANGE_BATCH_LIMITS.changes)) break;
    const size = changeSize(c);
    if (
      batch.length > 0 &&
      (records + size.resourceRecords > CHANGE_BATCH_LIMITS.resourceRecords ||
        characters + size.valueCharacters > CHANGE_BATCH_LIMITS.valueCharacters)
    ) {
      break;
    }
    batch.push(c);
    records += size.resourceRecords;
    characters += size.valueCharacters;
  }
  return batch;
}

/** Cuts every change into consecutive batches within the limits, in order. */
export function splitIntoBatches<C extends SizedChange>(changes: readonly C[]): C[][] {
  const batches: C[][] = [];
  for (let i = 0; i < changes.length; ) {
    const batch = firstBatch(changes.slice(i));
    batches.push(batch);
    i += batch.length;
  }
  return batches;
}
