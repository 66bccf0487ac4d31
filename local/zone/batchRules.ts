// Route53's rules for a ChangeResourceRecordSets batch, as a pure function of the zone's contents and the
// changes: each change is checked against the zone as the batch's earlier changes leave it, the rules about
// a name and type as a whole against the state the whole batch leads to, and every problem is reported
// together in one InvalidChangeBatch (nothing is applied unless all changes are valid). The store applies
// the plan; this file decides it. Sources: API reference, ChangeResourceRecordSets and ResourceRecordSet;
// Developer Guide, "Quotas" and "Choosing a routing policy".
import { isInZone } from "./dnsName";
import { invalidChangeBatch, invalidInput } from "./route53Errors";
import {
  describeSet,
  keyOf,
  nameTypeKey,
  type StoredRecordSet,
  sameRecordSet,
  storedRouting,
  valueProblem,
} from "./route53Records";

/** Route53: at most 100 weighted or multivalue record sets per name and type. */
export const MAX_SETS_PER_NAME_AND_TYPE = 100;
/** Route53: at most 1,000 ResourceRecord elements per request, UPSERT counting twice. */
export const MAX_RECORDS_PER_BATCH = 1000;
/** Route53: at most 32,000 characters of values per request, UPSERT counting twice. */
export const MAX_CHARACTERS_PER_BATCH = 32000;

export type ChangeAction = "CREATE" | "UPSERT" | "DELETE";

export interface Change {
  action: ChangeAction;
  set: StoredRecordSet;
}

/** What the rules read of a hosted zone. */
export interface ZoneContents {
  /** Canonical, with the trailing dot. */
  readonly name: string;
  /** The set stored under a key (keyOf), if any. */
  setAt(key: string): StoredRecordSet | undefined;
  /** The sets stored under a name and type, by key. */
  group(name: string, type: string): Iterable<[string, StoredRecordSet]>;
  /** The types stored at a name. */
  typesAt(name: string): Iterable<string>;
  /** How many record sets the zone holds, the apex SOA and NS included (as ResourceRecordSetCount). */
  readonly setCount: number;
}

/** A valid batch, ready to apply. */
export interface BatchPlan {
  /** What each key becomes, in the order to apply them: a set, or null for a deleted one. */
  staged: Map<string, StoredRecordSet | null>;
  /** The owner names the batch touches. */
  names: Set<string>;
}

/**
 * Checks a batch against the zone and returns what to apply. Throws InvalidInput for an empty batch,
 * InvalidChangeBatch with one message for a batch over the size limits, and InvalidChangeBatch with every
 * problem for anything else. `maxRecordSets`, when given, is the zone's record-set quota.
 */
export function planChangeBatch(
  zone: ZoneContents,
  changes: readonly Change[],
  maxRecordSets?: number,
): BatchPlan {
  if (changes.length === 0) throw invalidInput("ChangeBatch must contain at least one Change");
  checkBatchSize(changes);

  const messages: string[] = [];
  const staged = new Map<string, StoredRecordSet | null>();
  const current = (key: string): StoredRecordSet | undefined => {
    const s = staged.get(key);
    return s === null ? undefined : (s ?? zone.setAt(key));
  };
  // The same staged changes grouped by name and type, for the rules about a group as a whole.
  const touched = new Map<
    string,
    { name: string; type: string; sets: Map<string, StoredRecordSet | null> }
  >();
  const stage = (key: string, set: StoredRecordSet, value: StoredRecordSet | null): void => {
    staged.set(key, value);
    const nt = nameTypeKey(set.name, set.type);
    let group = touched.get(nt);
    if (!group) {
      group = { name: set.name, type: set.type, sets: new Map() };
      touched.set(nt, group);
    }
    group.sets.set(key, value);
  };

  for (const { action, set } of changes) {
    const placement = placementProblem(zone.name, set);
    if (placement) {
      messages.push(placement);
      continue;
    }
    if (action !== "DELETE") messages.push(...contentProblems(set));
    const key = keyOf(set);
    const existing = current(key);
    if (action === "CREATE") {
      if (existing) {
        messages.push(`Tried to create resource record set ${describeSet(set)} but it already exists`);
        continue;
      }
      stage(key, set, set);
    } else if (action === "UPSERT") {
      stage(key, set, set);
    } else {
      if (!existing) {
        messages.push(`Tried to delete resource record set ${describeSet(set)} but it was not found`);
        continue;
      }
      if (!sameRecordSet(existing, set)) {
        messages.push(
          `Tried to delete resource record set ${describeSet(set)} but the values provided do not match the current values`,
        );
        continue;
      }
      if (isApexRequired(zone.name, set)) {
        messages.push(
          `A HostedZone must contain exactly one SOA record and at least one NS record at its apex; cannot delete ${describeSet(set)}`,
        );
        continue;
      }
      stage(key, set, null);
    }
  }

  // Rules about a name and type as a whole are checked on the state the batch leads to, so a
  // batch may replace a simple set by weighted ones (DELETE + CREATEs) as on Route53.
  const finalGroup = (name: string, type: string): StoredRecordSet[] => {
    const out = new Map<string, StoredRecordSet>();
    for (const [k, s] of zone.group(name, type)) out.set(k, s);
    for (const [k, s] of touched.get(nameTypeKey(name, type))?.sets ?? []) {
      if (s === null) out.delete(k);
      else out.set(k, s);
    }
    return [...out.values()];
  };
  const touchedNames = new Map<string, Set<string>>();
  for (const { name, type } of touched.values()) {
    const stagedTypes = touchedNames.get(name) ?? new Set<string>();
    stagedTypes.add(type);
    touchedNames.set(name, stagedTypes);
    messages.push(...groupProblems(name, type, finalGroup(name, type)));
  }
  for (const [name, stagedTypes] of touchedNames) {
    const types = new Set<string>([...zone.typesAt(name), ...stagedTypes]);
    for (const t of [...types]) if (finalGroup(name, t).length === 0) types.delete(t);
    if (types.has("CNAME") && types.size > 1) {
      const other = [...types].find((t) => t !== "CNAME");
      messages.push(
        `RRSet of type CNAME with DNS name ${name} is not permitted because a conflicting RRSet of type ${other} with the same DNS name already exists in zone ${zone.name}`,
      );
    }
  }

  if (maxRecordSets !== undefined) {
    const problem = quotaProblem(zone, staged, maxRecordSets);
    if (problem) messages.push(problem);
  }

  if (messages.length > 0) throw invalidChangeBatch(messages);

  // Developer Guide, "Values specific for weighted records", TTL: "If you create two or more
  // weighted records that have the same name and type, and you specify different values for TTL,
  // Route 53 changes the TTL for all of the records to the value that you specified last."
  const lastWeightedTtl = new Map<string, number>();
  for (const { action, set } of changes) {
    if (action !== "DELETE" && storedRouting(set) === "weighted") {
      lastWeightedTtl.set(nameTypeKey(set.name, set.type), set.ttl);
    }
  }
  for (const [nt, ttl] of lastWeightedTtl) {
    const { name, type } = touched.get(nt)!;
    for (const set of finalGroup(name, type)) {
      // A new object, never a mutation: DNS answers are cached per stored record set object.
      if (set.ttl !== ttl) staged.set(keyOf(set), { ...set, ttl });
    }
  }
  return { staged, names: new Set(touchedNames.keys()) };
}

/** ChangeResourceRecordSets quotas: values and their characters per request, an UPSERT counting twice. */
function checkBatchSize(changes: readonly Change[]): void {
  let recordCount = 0;
  let characterCount = 0;
  for (const c of changes) {
    const factor = c.action === "UPSERT" ? 2 : 1;
    recordCount += c.set.values.length * factor;
    for (const v of c.set.values) characterCount += v.length * factor;
  }
  if (recordCount > MAX_RECORDS_PER_BATCH) {
    throw invalidChangeBatch([`Number of records limit of ${MAX_RECORDS_PER_BATCH} exceeded.`]);
  }
  if (characterCount > MAX_CHARACTERS_PER_BATCH) {
    throw invalidChangeBatch([`Number of characters limit of ${MAX_CHARACTERS_PER_BATCH} exceeded.`]);
  }
}

/**
 * Quotas, "Records per hosted zone" (GetHostedZoneLimit MAX_RRSETS_BY_ZONE): a batch may not leave the
 * zone with more record sets than its quota. Route53 models no error of its own for this, so it is an
 * InvalidChangeBatch, worded like Route53's message for the per-name limit ("Exceeded limit on number of
 * weighted RRSets for <name>, type <type> in this zone."). A batch that adds nothing is never refused,
 * so a zone above a lowered quota can still be emptied.
 */
function quotaProblem(
  zone: ZoneContents,
  staged: ReadonlyMap<string, StoredRecordSet | null>,
  maxRecordSets: number,
): string | undefined {
  let added = 0;
  for (const [key, set] of staged) {
    const stored = zone.setAt(key) !== undefined;
    if (set !== null && !stored) added++;
    else if (set === null && stored) added--;
  }
  const after = zone.setCount + added;
  if (added <= 0 || after <= maxRecordSets) return undefined;
  return `Exceeded limit on number of RRSets in this zone: the batch would leave ${after} record sets in ${zone.name} and its limit (MAX_RRSETS_BY_ZONE) is ${maxRecordSets}`;
}

/** The apex SOA and NS sets every zone must keep. */
function isApexRequired(zoneName: string, set: StoredRecordSet): boolean {
  return set.name === zoneName && (set.type === "SOA" || set.type === "NS");
}

/** Where a set may be at all, whatever the action: in the zone, SOA only at its apex, no CNAME there. */
function placementProblem(zoneName: string, set: StoredRecordSet): string | undefined {
  if (!isInZone(set.name, zoneName))
    return `RRSet with DNS name ${set.name} is not permitted in zone ${zoneName}`;
  if (set.type === "SOA" && set.name !== zoneName) {
    return `RRSet of type SOA with DNS name ${set.name} is not permitted: SOA is only allowed at the zone apex`;
  }
  if (isApexRequired(zoneName, set) && set.setIdentifier !== undefined) {
    return `RRSet of type ${set.type} at the zone apex ${set.name} cannot have a SetIdentifier`;
  }
  if (set.type === "CNAME" && set.name === zoneName) {
    return `RRSet of type CNAME with DNS name ${set.name} is not permitted at apex in zone ${zoneName}`;
  }
  return undefined;
}

/** What a set written (CREATE or UPSERT) may hold: valid values, and as many as its type and routing allow. */
function contentProblems(set: StoredRecordSet): string[] {
  const problems: string[] = [];
  for (const value of set.values) {
    const problem = valueProblem(set.type, value);
    if (problem) problems.push(problem);
  }
  // API reference, ResourceRecordSet `Weight`: "You can only specify one ResourceRecord per
  // weighted resource record set." (The Developer Guide's console page lets a weighted record
  // hold several values; the API reference is what this API follows.) moto accepts several.
  if (storedRouting(set) === "weighted" && set.values.length > 1) {
    problems.push(
      `Weighted resource record set ${describeSet(set)} contains ${set.values.length} values; only one ResourceRecord is allowed per weighted resource record set`,
    );
  }
  if (set.type === "CNAME" && set.values.length > 1) {
    problems.push(`RRSet of type CNAME with DNS name ${set.name} contains more than one value`);
  }
  if (storedRouting(set) === "multivalue" && (set.type === "CNAME" || set.type === "NS")) {
    problems.push(`Multivalue answer routing is not permitted for ${set.type} record ${describeSet(set)}`);
  }
  return problems;
}

/** One name and type as the batch leaves it: one routing policy, and at most 100 sets. */
function groupProblems(name: string, type: string, group: readonly StoredRecordSet[]): string[] {
  const problems: string[] = [];
  const policies = new Set(group.map(storedRouting));
  if (policies.has("simple") && policies.size > 1) {
    problems.push(
      `RRSet with DNS name ${name}, type ${type} cannot mix a record set without SetIdentifier and record sets with SetIdentifier`,
    );
  } else if (policies.size > 1) {
    problems.push(
      `RRSet with DNS name ${name}, type ${type} cannot mix routing policies (${[...policies].sort().join(", ")})`,
    );
  }
  if (group.length > MAX_SETS_PER_NAME_AND_TYPE) {
    problems.push(
      `RRSet with DNS name ${name}, type ${type} exceeds the limit of ${MAX_SETS_PER_NAME_AND_TYPE} record sets with the same name and type`,
    );
  }
  return problems;
}
