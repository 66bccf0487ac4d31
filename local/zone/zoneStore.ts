// The hosted zones and their record sets, with Route53's change semantics: a batch is checked
// as a whole against the zone as it would be after each change, and applied all or nothing.
import { randomBytes } from "node:crypto";
import { DomainNameError, isInZone, reversedNameKey, storedName } from "./dnsName";
import {
  invalidChangeBatch,
  invalidInput,
  noSuchChange,
  noSuchHostedZone,
  Route53Error,
} from "./route53Errors";
import {
  describeSet,
  keyOf,
  type RecordSet,
  type RecordType,
  sameRecordSet,
  storedRouting,
  storedSetKey,
  valueProblem,
} from "./route53Records";

/** Route53: at most 100 weighted or multivalue record sets per name and type. */
export const MAX_SETS_PER_NAME_AND_TYPE = 100;
/** Route53: at most 1,000 ResourceRecord elements per request, UPSERT counting twice. */
export const MAX_RECORDS_PER_BATCH = 1000;
/** Route53: at most 32,000 characters of values per request, UPSERT counting twice. */
export const MAX_CHARACTERS_PER_BATCH = 32000;
/** Route53: a ListResourceRecordSets page holds at most 300 record sets. */
export const MAX_ITEMS_PER_PAGE = 300;

/** The name servers the local zone names in NS and SOA records (it is the only server). */
export const LOCAL_NAME_SERVERS = ["ns1.local-zone.invalid.", "ns2.local-zone.invalid."];

export interface Vpc {
  region: string;
  id: string;
}

export interface HostedZone {
  /** Without the `/hostedzone/` prefix. */
  id: string;
  /** Canonical, with the trailing dot. */
  name: string;
  callerReference: string;
  comment?: string;
  privateZone: boolean;
  vpc?: Vpc;
  /** Record sets by keyOf(). */
  sets: Map<string, RecordSet>;
  /** Bumped by every applied change; the DNS side rebuilds its answers when it moves. */
  version: number;
}

export interface ChangeInfo {
  /** Without the `/change/` prefix. */
  id: string;
  status: "INSYNC";
  submittedAt: Date;
  comment?: string;
}

export type ChangeAction = "CREATE" | "UPSERT" | "DELETE";

export interface Change {
  action: ChangeAction;
  set: RecordSet;
}

export interface ListRecordsQuery {
  startName?: string;
  startType?: RecordType;
  startIdentifier?: string;
  maxItems: number;
}

export interface RecordPage {
  sets: RecordSet[];
  isTruncated: boolean;
  next?: { name: string; type: string; identifier?: string };
}

export interface CreateZoneInput {
  name: string;
  callerReference: string;
  comment?: string;
  vpc?: Vpc;
}

/** What persistence writes; `sets` holds RecordSet objects as they are in memory. */
export interface StoreSnapshot {
  format: "ecssd-local-zone/1";
  zones: Array<Omit<HostedZone, "sets" | "version"> & { sets: RecordSet[] }>;
}

const ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

function randomId(prefix: string, length: number): string {
  const bytes = randomBytes(length);
  let out = prefix;
  for (const b of bytes) out += ID_ALPHABET[b % ID_ALPHABET.length];
  return out;
}

/** The tie-breakers of compareRecordPosition, for entries whose reversed names are known equal. */
function compareTypeAndIdentifier(a: RecordSet, b: RecordSet): number {
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  const x = a.setIdentifier ?? "";
  const y = b.setIdentifier ?? "";
  return x < y ? -1 : x > y ? 1 : 0;
}

function nameTypeKey(name: string, type: string): string {
  return `${name}\u0000${type}`;
}

interface SortedEntry {
  set: RecordSet;
  reversedName: string;
}

/** Per-zone indexes that are derived from `sets` and rebuilt on change. */
interface ZoneIndex {
  byNameType: Map<string, Map<string, RecordSet>>;
  typesByName: Map<string, Set<string>>;
  sorted: SortedEntry[] | null;
}

function indexSet(index: ZoneIndex, key: string, set: RecordSet): void {
  const nt = nameTypeKey(set.name, set.type);
  let group = index.byNameType.get(nt);
  if (!group) {
    group = new Map();
    index.byNameType.set(nt, group);
  }
  group.set(key, set);
  let types = index.typesByName.get(set.name);
  if (!types) {
    types = new Set();
    index.typesByName.set(set.name, types);
  }
  types.add(set.type);
}

function unindexSet(index: ZoneIndex, key: string, set: RecordSet): void {
  const nt = nameTypeKey(set.name, set.type);
  const group = index.byNameType.get(nt);
  group?.delete(key);
  if (group && group.size === 0) {
    index.byNameType.delete(nt);
    const types = index.typesByName.get(set.name);
    types?.delete(set.type);
    if (types && types.size === 0) index.typesByName.delete(set.name);
  }
}

const KEPT_CHANGES = 10000;

/**
 * Told of every applied change: the zone (undefined when one was deleted or all were replaced)
 * and, for a change batch, the owner names it touched; without `names`, anything may have changed.
 */
export type ChangeListener = (zone: HostedZone | undefined, names?: ReadonlySet<string>) => void;

export class ZoneStore {
  private readonly zones = new Map<string, HostedZone>();
  private readonly indexes = new Map<string, ZoneIndex>();
  private readonly changes = new Map<string, ChangeInfo>();
  private readonly listeners: ChangeListener[] = [];

  constructor(private readonly soaMinimumTtl: number) {}

  /** Called after every applied change; see ChangeListener. */
  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  private notify(zone: HostedZone | undefined, names?: ReadonlySet<string>): void {
    for (const l of this.listeners) l(zone, names);
  }

  /** Every record set owned by `name` (canonical) in a zone, all types; empty when none. */
  setsAt(zoneId: string, name: string): RecordSet[] {
    const index = this.indexes.get(zoneId);
    const types = index?.typesByName.get(name);
    if (!index || !types) return [];
    const out: RecordSet[] = [];
    for (const type of types)
      for (const set of index.byNameType.get(nameTypeKey(name, type))?.values() ?? []) out.push(set);
    return out;
  }

  /** Zones in creation order. */
  list(): HostedZone[] {
    return [...this.zones.values()];
  }

  get(id: string): HostedZone {
    const zone = this.zones.get(id);
    if (!zone) throw noSuchHostedZone(id);
    return zone;
  }

  findByName(name: string): HostedZone | undefined {
    const canonical = storedName(name);
    return this.list().find((z) => z.name === canonical);
  }

  private recordChange(comment?: string): ChangeInfo {
    const info: ChangeInfo = { id: randomId("C", 20), status: "INSYNC", submittedAt: new Date(), comment };
    this.changes.set(info.id, info);
    if (this.changes.size > KEPT_CHANGES) {
      const oldest = this.changes.keys().next().value;
      if (oldest !== undefined) this.changes.delete(oldest);
    }
    return info;
  }

  getChange(id: string): ChangeInfo {
    const info = this.changes.get(id);
    if (!info) throw noSuchChange(id);
    return info;
  }

  createHostedZone(input: CreateZoneInput): { zone: HostedZone; change: ChangeInfo } {
    let name: string;
    try {
      name = storedName(input.name);
    } catch (err) {
      if (err instanceof DomainNameError) {
        throw new Route53Error(
          "InvalidDomainName",
          `${input.name} is not a valid domain name: it ${err.message}`,
          400,
        );
      }
      throw err;
    }
    if (name === ".") throw new Route53Error("InvalidDomainName", "The root cannot be a hosted zone", 400);
    for (const z of this.zones.values()) {
      if (z.callerReference === input.callerReference) {
        throw new Route53Error(
          "HostedZoneAlreadyExists",
          `A hosted zone has already been created with the specified caller reference: ${input.callerReference}`,
          409,
        );
      }
    }
    const zone: HostedZone = {
      id: randomId("Z", 20),
      name,
      callerReference: input.callerReference,
      comment: input.comment,
      privateZone: input.vpc !== undefined,
      vpc: input.vpc,
      sets: new Map(),
      version: 0,
    };
    // Route53 creates the apex SOA and NS record sets with every zone.
    const soa: RecordSet = {
      name,
      type: "SOA",
      ttl: 900,
      values: [`${LOCAL_NAME_SERVERS[0]} hostmaster.${name} 1 7200 900 1209600 ${this.soaMinimumTtl}`],
    };
    const ns: RecordSet = { name, type: "NS", ttl: 172800, values: [...LOCAL_NAME_SERVERS] };
    zone.sets.set(keyOf(soa), soa);
    zone.sets.set(keyOf(ns), ns);
    this.add(zone);
    const change = this.recordChange();
    this.notify(zone);
    return { zone, change };
  }

  private add(zone: HostedZone): void {
    this.zones.set(zone.id, zone);
    this.reindex(zone);
  }

  private reindex(zone: HostedZone): void {
    const index: ZoneIndex = { byNameType: new Map(), typesByName: new Map(), sorted: null };
    for (const [key, set] of zone.sets) indexSet(index, key, set);
    this.indexes.set(zone.id, index);
  }

  deleteHostedZone(id: string): ChangeInfo {
    const zone = this.get(id);
    for (const set of zone.sets.values()) {
      if (!(set.name === zone.name && (set.type === "SOA" || set.type === "NS"))) {
        throw new Route53Error(
          "HostedZoneNotEmpty",
          "The specified hosted zone contains non-required resource record sets and so cannot be deleted.",
          400,
        );
      }
    }
    this.zones.delete(id);
    this.indexes.delete(id);
    const change = this.recordChange();
    this.notify(undefined);
    return change;
  }

  /** ListHostedZonesByName order: reversed labels, then id. */
  listByName(dnsName: string | undefined, hostedZoneId: string | undefined, maxItems: number) {
    const sorted = this.list().sort(
      (a, b) =>
        (reversedNameKey(a.name) < reversedNameKey(b.name)
          ? -1
          : reversedNameKey(a.name) > reversedNameKey(b.name)
            ? 1
            : 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
    let start = 0;
    if (dnsName !== undefined) {
      const key = reversedNameKey(storedName(dnsName));
      start = sorted.findIndex(
        (z) =>
          reversedNameKey(z.name) > key ||
          (reversedNameKey(z.name) === key && (hostedZoneId === undefined || z.id >= hostedZoneId)),
      );
      if (start < 0) start = sorted.length;
    }
    const page = sorted.slice(start, start + maxItems);
    const next = sorted[start + maxItems];
    return { zones: page, isTruncated: next !== undefined, next };
  }

  private index(zone: HostedZone): ZoneIndex {
    const index = this.indexes.get(zone.id);
    if (!index) throw noSuchHostedZone(zone.id);
    return index;
  }

  listResourceRecordSets(id: string, query: ListRecordsQuery): RecordPage {
    const zone = this.get(id);
    const index = this.index(zone);
    if (!index.sorted) {
      index.sorted = [...zone.sets.values()]
        .map((set) => ({ set, reversedName: reversedNameKey(set.name) }))
        .sort(
          (a, b) =>
            (a.reversedName < b.reversedName ? -1 : a.reversedName > b.reversedName ? 1 : 0) ||
            compareTypeAndIdentifier(a.set, b.set),
        );
    }
    const sorted = index.sorted;
    let start = 0;
    if (query.startName !== undefined) {
      const rname = reversedNameKey(query.startName);
      const atOrAfter = (e: SortedEntry): boolean => {
        if (e.reversedName !== rname) return e.reversedName > rname;
        if (query.startType === undefined || e.set.type !== query.startType) {
          return query.startType === undefined || e.set.type > query.startType;
        }
        return query.startIdentifier === undefined || (e.set.setIdentifier ?? "") >= query.startIdentifier;
      };
      let lo = 0;
      let hi = sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (atOrAfter(sorted[mid]!)) hi = mid;
        else lo = mid + 1;
      }
      start = lo;
    }
    const pageSize = Math.min(query.maxItems, MAX_ITEMS_PER_PAGE);
    const sets = sorted.slice(start, start + pageSize).map((e) => e.set);
    const nextEntry = sorted[start + pageSize];
    if (!nextEntry) return { sets, isTruncated: false };
    const next = nextEntry.set;
    return {
      sets,
      isTruncated: true,
      next: { name: next.name, type: next.type, identifier: next.setIdentifier },
    };
  }

  /**
   * Applies a batch atomically. Every problem is collected and reported together in one
   * InvalidChangeBatch, as Route53 does; nothing is changed unless all changes are valid.
   */
  changeResourceRecordSets(id: string, changes: Change[], comment?: string): ChangeInfo {
    const zone = this.get(id);
    const index = this.index(zone);
    if (changes.length === 0) throw invalidInput("ChangeBatch must contain at least one Change");
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

    const messages: string[] = [];
    const staged = new Map<string, RecordSet | null>();
    const current = (key: string): RecordSet | undefined => {
      const s = staged.get(key);
      return s === null ? undefined : (s ?? zone.sets.get(key));
    };
    // The same staged changes grouped by name and type, for the rules about a group as a whole.
    const touched = new Map<string, { name: string; type: string; sets: Map<string, RecordSet | null> }>();
    const stage = (key: string, set: RecordSet, value: RecordSet | null): void => {
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
      if (!isInZone(set.name, zone.name)) {
        messages.push(`RRSet with DNS name ${set.name} is not permitted in zone ${zone.name}`);
        continue;
      }
      const isApexRequired = set.name === zone.name && (set.type === "SOA" || set.type === "NS");
      if (set.type === "SOA" && set.name !== zone.name) {
        messages.push(
          `RRSet of type SOA with DNS name ${set.name} is not permitted: SOA is only allowed at the zone apex`,
        );
        continue;
      }
      if (isApexRequired && set.setIdentifier !== undefined) {
        messages.push(`RRSet of type ${set.type} at the zone apex ${set.name} cannot have a SetIdentifier`);
        continue;
      }
      if (set.type === "CNAME" && set.name === zone.name) {
        messages.push(
          `RRSet of type CNAME with DNS name ${set.name} is not permitted at apex in zone ${zone.name}`,
        );
        continue;
      }
      if (action !== "DELETE") {
        for (const value of set.values) {
          const problem = valueProblem(set.type, value);
          if (problem) messages.push(problem);
        }
        // API reference, ResourceRecordSet `Weight`: "You can only specify one ResourceRecord per
        // weighted resource record set." (The Developer Guide's console page lets a weighted record
        // hold several values; the API reference is what this API follows.) moto accepts several.
        if (storedRouting(set) === "weighted" && set.values.length > 1) {
          messages.push(
            `Weighted resource record set ${describeSet(set)} contains ${set.values.length} values; only one ResourceRecord is allowed per weighted resource record set`,
          );
        }
        if (set.type === "CNAME" && set.values.length > 1) {
          messages.push(`RRSet of type CNAME with DNS name ${set.name} contains more than one value`);
        }
        if (storedRouting(set) === "multivalue" && (set.type === "CNAME" || set.type === "NS")) {
          messages.push(
            `Multivalue answer routing is not permitted for ${set.type} record ${describeSet(set)}`,
          );
        }
      }
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
        if (isApexRequired) {
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
    const finalGroup = (name: string, type: string): RecordSet[] => {
      const out = new Map<string, RecordSet>();
      for (const [k, s] of index.byNameType.get(nameTypeKey(name, type)) ?? []) out.set(k, s);
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
      const group = finalGroup(name, type);
      const policies = new Set(group.map(storedRouting));
      if (policies.has("simple") && policies.size > 1) {
        messages.push(
          `RRSet with DNS name ${name}, type ${type} cannot mix a record set without SetIdentifier and record sets with SetIdentifier`,
        );
      } else if (policies.size > 1) {
        messages.push(
          `RRSet with DNS name ${name}, type ${type} cannot mix routing policies (${[...policies].sort().join(", ")})`,
        );
      }
      if (group.length > MAX_SETS_PER_NAME_AND_TYPE) {
        messages.push(
          `RRSet with DNS name ${name}, type ${type} exceeds the limit of ${MAX_SETS_PER_NAME_AND_TYPE} record sets with the same name and type`,
        );
      }
    }
    for (const [name, stagedTypes] of touchedNames) {
      const types = new Set<string>([...(index.typesByName.get(name) ?? []), ...stagedTypes]);
      for (const t of [...types]) if (finalGroup(name, t).length === 0) types.delete(t);
      if (types.has("CNAME") && types.size > 1) {
        const other = [...types].find((t) => t !== "CNAME");
        messages.push(
          `RRSet of type CNAME with DNS name ${name} is not permitted because a conflicting RRSet of type ${other} with the same DNS name already exists in zone ${zone.name}`,
        );
      }
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
        // A new object, never a mutation: DNS answers are cached per stored RecordSet object.
        if (set.ttl !== ttl) staged.set(keyOf(set), { ...set, ttl });
      }
    }

    for (const [key, set] of staged) {
      const old = zone.sets.get(key);
      if (old) unindexSet(index, key, old);
      if (set === null) {
        zone.sets.delete(key);
      } else {
        zone.sets.set(key, set);
        indexSet(index, key, set);
      }
    }
    index.sorted = null;
    zone.version++;
    const change = this.recordChange(comment);
    this.notify(zone, new Set(touchedNames.keys()));
    return change;
  }

  snapshot(): StoreSnapshot {
    return {
      format: "ecssd-local-zone/1",
      zones: this.list().map(({ sets, version: _version, ...rest }) => ({
        ...rest,
        sets: [...sets.values()],
      })),
    };
  }

  /** Replaces every zone with those of a snapshot (used once, at start). */
  restore(snapshot: StoreSnapshot): void {
    if (snapshot?.format !== "ecssd-local-zone/1" || !Array.isArray(snapshot.zones)) {
      throw new Error("not a local zone data file (format ecssd-local-zone/1 expected)");
    }
    this.zones.clear();
    this.indexes.clear();
    for (const z of snapshot.zones) {
      const sets = new Map<string, RecordSet>();
      for (const s of z.sets) sets.set(storedSetKey(s.name, s.type, s.setIdentifier), s);
      this.add({ ...z, sets, version: 1 });
    }
    this.notify(undefined);
  }
}
