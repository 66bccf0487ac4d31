// Desired vs applied record sets → the changes that make the zone equal to the desired state, cut into
// batches Route53 accepts. Pure.
import { canonicalName, type RecordSet, recordSetKey } from "../records";
import type { RecordChange } from "./zoneWriter";

/** Route53 limits per ChangeResourceRecordSets (UPSERT counts twice toward both). */
export const MAX_CHANGES = 1000;
export const MAX_RECORD_ELEMENTS = 1000;
export const MAX_VALUE_CHARACTERS = 32000;

function normalizedValue(rs: RecordSet, value: string): string {
  return rs.Type === "SRV" ? canonicalName(value.trim()) : value.trim();
}

/** Two record sets with the same key are equal when Route53 would serve the same thing. */
export function sameRecordSet(a: RecordSet, b: RecordSet): boolean {
  if (recordSetKey(a) !== recordSetKey(b)) return false;
  if (a.TTL !== b.TTL) return false;
  if (Boolean(a.MultiValueAnswer) !== Boolean(b.MultiValueAnswer)) return false;
  if ((a.Weight ?? null) !== (b.Weight ?? null)) return false;
  const va = a.ResourceRecords.map((r) => normalizedValue(a, r.Value)).sort();
  const vb = b.ResourceRecords.map((r) => normalizedValue(b, r.Value)).sort();
  return va.length === vb.length && va.every((v, i) => v === vb[i]);
}

/** A fingerprint of a change, to recognise one that the zone rejected on its own. */
export function changeFingerprint(c: RecordChange): string {
  return `${c.action}|${JSON.stringify(c.recordSet)}`;
}

/**
 * Every change that turns `applied` into `desired`: deletions first (leaving DNS is the urgent part of a
 * stop), then creations and updates. A key present in both with other content is one UPSERT.
 */
export function diffRecordSets(
  desired: ReadonlyMap<string, RecordSet>,
  applied: ReadonlyMap<string, RecordSet>,
): RecordChange[] {
  const deletes: RecordChange[] = [];
  const writes: RecordChange[] = [];
  for (const [key, rs] of applied) {
    if (!desired.has(key)) deletes.push({ action: "DELETE", recordSet: rs });
  }
  for (const [key, rs] of desired) {
    const current = applied.get(key);
    if (!current) writes.push({ action: "CREATE", recordSet: rs });
    else if (!sameRecordSet(current, rs)) writes.push({ action: "UPSERT", recordSet: rs });
  }
  return [...deletes, ...writes];
}

/** The longest prefix of `changes` that fits one request (and never more than `limit` changes). */
export function firstBatch(changes: readonly RecordChange[], limit = MAX_CHANGES): RecordChange[] {
  const batch: RecordChange[] = [];
  let elements = 0;
  let characters = 0;
  for (const c of changes) {
    const factor = c.action === "UPSERT" ? 2 : 1;
    const e = c.recordSet.ResourceRecords.length * factor;
    const chars = c.recordSet.ResourceRecords.reduce((n, r) => n + r.Value.length, 0) * factor;
    if (batch.length >= Math.min(limit, MAX_CHANGES)) break;
    if (
      batch.length > 0 &&
      (elements + e > MAX_RECORD_ELEMENTS || characters + chars > MAX_VALUE_CHARACTERS)
    ) {
      break;
    }
    batch.push(c);
    elements += e;
    characters += chars;
  }
  return batch;
}
