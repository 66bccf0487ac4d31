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
 * Cuts units, in order, into consecutive requests within the limits, lazily: a unit is one change, or a few
 * that must go in the same request (a delete and the verdict marker that replaces it), and is never split.
 * At most `maxUnits` units per request. A single unit over the limits still goes alone: Route53, not the
 * splitter, is the judge of it.
 */
export function* unitBatches<U>(
  units: readonly U[],
  changesOf: (unit: U) => readonly SizedChange[],
  maxUnits: number = CHANGE_BATCH_LIMITS.changes,
): Generator<U[]> {
  let batch: U[] = [];
  let changes = 0;
  let records = 0;
  let characters = 0;
  for (const u of units) {
    const sizes = changesOf(u).map(changeSize);
    const more = {
      changes: sizes.length,
      records: sizes.reduce((n, s) => n + s.resourceRecords, 0),
      characters: sizes.reduce((n, s) => n + s.valueCharacters, 0),
    };
    if (
      batch.length >= maxUnits ||
      (batch.length > 0 &&
        (changes + more.changes > CHANGE_BATCH_LIMITS.changes ||
          records + more.records > CHANGE_BATCH_LIMITS.resourceRecords ||
          characters + more.characters > CHANGE_BATCH_LIMITS.valueCharacters))
    ) {
      yield batch;
      batch = [];
      changes = records = characters = 0;
    }
    batch.push(u);
    changes += more.changes;
    records += more.records;
    characters += more.characters;
  }
  if (batch.length > 0) yield batch;
}

/** The longest prefix of `changes` that fits one request, and never more than `limit` changes. */
export function firstBatch<C extends SizedChange>(
  changes: readonly C[],
  limit: number = CHANGE_BATCH_LIMITS.changes,
): C[] {
  return unitBatches(changes, (c) => [c], Math.min(limit, CHANGE_BATCH_LIMITS.changes)).next().value ?? [];
}

/** Cuts every change into consecutive batches within the limits, in order. */
export function splitIntoBatches<C extends SizedChange>(changes: readonly C[]): C[][] {
  return [...unitBatches(changes, (c) => [c])];
}
