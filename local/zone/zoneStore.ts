// The hosted zones and their record sets, with Route53's change semantics: a batch is checked
// as a whole against the zone as it would be after each change (batchRules.ts), and applied all or
// nothing.
import { randomBytes } from "node:crypto";
import { type Change, planChangeBatch } from "./batchRules";
import { DomainNameError, reversedNameKey, storedName } from "./dnsName";
import { noSuchChange, noSuchHostedZone, Route53Error } from "./route53Errors";
import { keyOf, nameTypeKey, type RecordType, type StoredRecordSet, storedSetKey } from "./route53Records";

export {
  type Change,
  type ChangeAction,
  MAX_CHARACTERS_PER_BATCH,
  MAX_RECORDS_PER_BATCH,
  MAX_SETS_PER_NAME_AND_TYPE,
} from "./batchRules";
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
  sets: Map<string, StoredRecordSet>;
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

export interface ListRecordsQuery {
  startName?: string;
  startType?: RecordType;
  startIdentifier?: string;
  maxItems: number;
}

export interface RecordPage {
  sets: StoredRecordSet[];
  isTruncated: boolean;
  next?: { name: string; type: string; identifier?: string };
}

export interface CreateZoneInput {
  name: string;
  callerReference: string;
  comment?: string;
  vpc?: Vpc;
}

/** What persistence writes; `sets` holds StoredRecordSet objects as they are in memory. */
export interface StoreSnapshot {
  format: "ecssd-local-zone/1";
  zones: Array<Omit<HostedZone, "sets" | "version"> & { sets: StoredRecordSet[] }>;
}

const ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

function randomId(prefix: string, length: number): string {
  const bytes = randomBytes(length);
  let out = prefix;
  for (const b of bytes) out += ID_ALPHABET[b % ID_ALPHABET.length];
  return out;
}

/** The tie-breakers of compareRecordPosition, for entries whose reversed names are known equal. */
function compareTypeAndIdentifier(a: StoredRecordSet, b: StoredRecordSet): number {
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  const x = a.setIdentifier ?? "";
  const y = b.setIdentifier ?? "";
  return x < y ? -1 : x > y ? 1 : 0;
}

interface SortedEntry {
  set: StoredRecordSet;
  reversedName: string;
}

/** Per-zone indexes that are derived from `sets` and rebuilt on change. */
interface ZoneIndex {
  byNameType: Map<string, Map<string, StoredRecordSet>>;
  typesByName: Map<string, Set<string>>;
  sorted: SortedEntry[] | null;
}

function indexSet(index: ZoneIndex, key: string, set: StoredRecordSet): void {
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

function unindexSet(index: ZoneIndex, key: string, set: StoredRecordSet): void {
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
  setsAt(zoneId: string, name: string): StoredRecordSet[] {
    const index = this.indexes.get(zoneId);
    const types = index?.typesByName.get(name);
    if (!index || !types) return [];
    const out: StoredRecordSet[] = [];
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
    const soa: StoredRecordSet = {
      name,
      type: "SOA",
      ttl: 900,
      values: [`${LOCAL_NAME_SERVERS[0]} hostmaster.${name} 1 7200 900 1209600 ${this.soaMinimumTtl}`],
    };
    const ns: StoredRecordSet = { name, type: "NS", ttl: 172800, values: [...LOCAL_NAME_SERVERS] };
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
   * Applies a batch atomically, as batchRules.ts plans it: every problem is reported together in one
   * InvalidChangeBatch, as Route53 does; nothing is changed unless all changes are valid. With
   * `maxRecordSets`, a batch that would leave the zone above it is refused (the record-set quota).
   */
  changeResourceRecordSets(
    id: string,
    changes: Change[],
    comment?: string,
    maxRecordSets?: number,
  ): ChangeInfo {
    const zone = this.get(id);
    const index = this.index(zone);
    const { staged, names } = planChangeBatch(
      {
        name: zone.name,
        setAt: (key) => zone.sets.get(key),
        group: (name, type) => index.byNameType.get(nameTypeKey(name, type)) ?? [],
        typesAt: (name) => index.typesByName.get(name) ?? [],
        setCount: zone.sets.size,
      },
      changes,
      maxRecordSets,
    );
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
    this.notify(zone, names);
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
      const sets = new Map<string, StoredRecordSet>();
      for (const s of z.sets) sets.set(storedSetKey(s.name, s.type, s.setIdentifier), s);
      this.add({ ...z, sets, version: 1 });
    }
    this.notify(undefined);
  }
}
