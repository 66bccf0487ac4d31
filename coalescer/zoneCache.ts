// The coalescer's copy of the zone: every record set of our own types (SRV, A, TXT with values), keyed as Route53
// keys them, plus a count of everything else, so the zone's size against its quota is known without asking.
// Filled by one listing, kept equal by the coalescer's own accepted batches (it is the zone's one writer of
// agents' and tasks' sets), and corrected by re-reading names when Route53 refuses a batch and by a periodic
// re-listing (the reconciler and the customer's tools also write). Pure: no requests of its own.
import {
  canonicalName,
  hostOf,
  isOwnType,
  ownedByHost,
  parseSetIdentifier,
  type RecordSet,
  recordSetKey,
  type ZoneRecordSet,
} from "../records";
import type { RecordChange } from "./zoneChanges";

export class ZoneCache {
  /** Our own types' sets by key. */
  private readonly sets = new Map<string, RecordSet>();
  /** Keys by canonical name. */
  private readonly keysByName = new Map<string, Set<string>>();
  /**
   * Keys by the host their SetIdentifier names, so that a host's sets are found without parsing every
   * SetIdentifier of the zone (agents read theirs, and a submit that adds instances is counted, often). Only
   * added to: a key whose set has gone is dropped when its host's sets are next asked for.
   */
  private readonly keysByHost = new Map<string, Set<string>>();
  /** Sets of other types or shapes (SOA, NS, the customer's, aliases) by canonical name: counted only. */
  private readonly othersByName = new Map<string, number>();
  private others = 0;

  /** Record sets in the zone, as Route53 counts them against the quota. */
  get size(): number {
    return this.sets.size + this.others;
  }

  /** Replaces the whole copy with a listing of the zone. */
  replaceAll(listing: Iterable<ZoneRecordSet>): void {
    this.sets.clear();
    this.keysByName.clear();
    this.keysByHost.clear();
    this.othersByName.clear();
    this.others = 0;
    for (const rs of listing) this.add(rs);
  }

  /** Replaces what the copy holds at these names with a fresh read of them. */
  replaceNames(names: Iterable<string>, found: Iterable<ZoneRecordSet>): void {
    const wanted = new Set([...names].map(canonicalName));
    for (const name of wanted) {
      for (const key of this.keysByName.get(name) ?? []) this.sets.delete(key);
      this.keysByName.delete(name);
      this.others -= this.othersByName.get(name) ?? 0;
      this.othersByName.delete(name);
    }
    for (const rs of found) if (wanted.has(canonicalName(rs.Name))) this.add(rs);
  }

  get(key: string): RecordSet | undefined {
    return this.sets.get(key);
  }

  /** Our own types' sets at these names. */
  named(names: Iterable<string>): RecordSet[] {
    const out: RecordSet[] = [];
    for (const name of new Set([...names].map(canonicalName))) {
      for (const key of this.keysByName.get(name) ?? []) {
        const rs = this.sets.get(key);
        if (rs) out.push(rs);
      }
    }
    return out;
  }

  /** The sets an agent on `hostId` owns (its deployment's, or unattributed). */
  hostSets(hostId: string, deployment?: string): RecordSet[] {
    const host = { hostId, ...(deployment !== undefined && { deployment }) };
    const out: RecordSet[] = [];
    const keys = this.keysByHost.get(hostId) ?? new Set<string>();
    for (const key of keys) {
      const rs = this.sets.get(key);
      if (!rs) keys.delete(key);
      else if (ownedByHost(parseSetIdentifier(rs.SetIdentifier), host)) out.push(rs);
    }
    if (keys.size === 0) this.keysByHost.delete(hostId);
    return out;
  }

  /** Takes in a batch Route53 accepted. */
  apply(changes: readonly RecordChange[]): void {
    for (const c of changes) {
      const key = recordSetKey(c.recordSet);
      if (c.action === "DELETE") {
        this.sets.delete(key);
        this.keysByName.get(canonicalName(c.recordSet.Name))?.delete(key);
      } else {
        this.add(c.recordSet);
      }
    }
  }

  /** Takes in one set of a listing. */
  add(rs: ZoneRecordSet): void {
    const name = canonicalName(rs.Name);
    if (!isOwnType(rs)) {
      this.others++;
      this.othersByName.set(name, (this.othersByName.get(name) ?? 0) + 1);
      return;
    }
    const key = recordSetKey(rs);
    this.sets.set(key, rs);
    const hostId = hostOf(parseSetIdentifier(rs.SetIdentifier));
    if (hostId !== undefined) {
      let hostKeys = this.keysByHost.get(hostId);
      if (!hostKeys) {
        hostKeys = new Set();
        this.keysByHost.set(hostId, hostKeys);
      }
      hostKeys.add(key);
    }
    let keys = this.keysByName.get(name);
    if (!keys) {
      keys = new Set();
      this.keysByName.set(name, keys);
    }
    keys.add(key);
  }
}
