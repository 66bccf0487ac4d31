// Desired vs applied record sets → the changes that make the zone equal to the desired state. Pure. The
// changes are cut into requests by the edge's splitter (route53/changeBatches.ts).
import { canonicalName, type RecordSet, recordSetKey } from "../records";
import type { RecordChange } from "./zoneWriter";

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
