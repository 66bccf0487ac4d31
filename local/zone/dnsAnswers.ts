// Pre-encoded answers for one hosted zone: everything the per-query path needs, indexed by
// canonical name and type code, so a query costs a map lookup and a few copies. Answers are
// encoded lazily, one name at a time, and a change drops only the names its batch touched, so
// a change costs time in proportion to the batch, not to the zone.
import { nameLabels, storedName } from "./dnsName";
import { encodeRecord, TYPE_CODES } from "./dnsWire";
import { type RecordSet, storedRouting } from "./route53Records";
import type { HostedZone } from "./zoneStore";

/** The record sets of one owner name, all types (the store's per-name index). */
export type SetsAt = (name: string) => readonly RecordSet[];

/** A block of RRs that is always answered together, with the glue it brings along. */
export interface AnswerChoice {
  /** Concatenated RRs whose owner is the question name (compression pointer to offset 12). */
  answer: Buffer;
  ancount: number;
  /** Where each RR of `answer` starts, so a copy can point the owners elsewhere (CNAME chains). */
  rrStarts: number[];
  /** For a CNAME choice: the canonical name it points to. */
  cnameTarget?: string;
  /** Concatenated A/AAAA RRs of in-zone SRV targets. */
  additional: Buffer;
  arcount: number;
  /** Which targets `additional` covers, so glue shared by several choices is sent once. */
  targets: string[];
  weight: number;
}

export enum AnswerKind {
  /** Every choice, in stored order. */
  All = 0,
  /** Multivalue answer: up to 8 choices at random (each choice is one record). */
  MultiValue = 1,
  /** Weighted: one choice, drawn by weight. */
  Weighted = 2,
}

export interface TypeAnswer {
  kind: AnswerKind;
  choices: AnswerChoice[];
  totalWeight: number;
}

/** Route53 returns at most eight records of a multivalue answer set (the resolver allows for it too). */
export { MULTIVALUE_LIMIT } from "../../resolver/src/dnsProtocol";

interface EncodedSet {
  /** One RR per value, owner = pointer to the question name. */
  answers: Buffer[];
  /** Canonical SRV targets, one per value (SRV sets only). */
  targets: string[];
  cnameTarget?: string;
  /** One RR per value with the set's own name as owner, for glue (A and AAAA sets only). */
  glue?: Buffer[];
}

// Stored record sets are never mutated (a change replaces the object), so what was encoded for
// one stays valid until it is dropped; a rebuild after a change only encodes the sets it brought.
const encodedSets = new WeakMap<RecordSet, EncodedSet>();

/** One RR per value; the owner is the question name unless one is given (see encodeRecord). */
function encodeRecords(set: RecordSet, owner?: string): Buffer[] {
  if (TYPE_CODES[set.type] === undefined) return [];
  const out: Buffer[] = [];
  for (const value of set.values) {
    const rr = encodeRecord(set.type, set.ttl, value, owner);
    if (rr) out.push(rr);
  }
  return out;
}

function encodeSet(set: RecordSet): EncodedSet {
  const cached = encodedSets.get(set);
  if (cached) return cached;
  const encoded: EncodedSet = { answers: encodeRecords(set), targets: [] };
  if (set.type === "SRV") {
    for (const value of set.values) {
      const target = value.trim().split(/\s+/)[3];
      if (target !== undefined) encoded.targets.push(storedName(target));
    }
  } else if (set.type === "CNAME" && set.values[0] !== undefined) {
    encoded.cnameTarget = storedName(set.values[0].trim());
  } else if (set.type === "A" || set.type === "AAAA") {
    encoded.glue = encodeRecords(set, set.name);
  }
  encodedSets.set(set, encoded);
  return encoded;
}

interface Glue {
  bytes: Buffer;
  count: number;
}

const NO_GLUE: Buffer = Buffer.alloc(0);
const GLUE_TYPES = ["A", "AAAA"];

/**
 * The answers of one hosted zone. Each owner name is encoded on its first query and kept until
 * a change touches it; the set of existing names is kept up to date per change. Callers must
 * pass every applied change to `update` (or build a new instance when one was missed).
 */
export class ZoneAnswers {
  /** Canonical zone name, and the same with a leading dot for suffix tests. */
  readonly name: string;
  readonly dotName: string;
  /** The zone version these answers reflect. */
  version: number;
  /** SOA for the authority section of negative answers, TTL per RFC 2308 §5. */
  negativeSoa: Buffer = NO_GLUE;
  private readonly records = new Map<string, Map<number, TypeAnswer>>();
  /** Glue per target name; null when the name has no A/AAAA records. */
  private readonly glue = new Map<string, Glue | null>();
  /** For each in-zone SRV target, the owners whose encoded answers carry (or lack) its glue. */
  private readonly glueUsers = new Map<string, Set<string>>();
  /** Names that own record sets. */
  private readonly owners = new Set<string>();
  /** Every existing name with the number of owners at or below it (RFC 8020: ancestors exist). */
  private readonly ownersBelow = new Map<string, number>();
  private readonly depth: number;

  constructor(
    private readonly zone: HostedZone,
    private readonly setsAt: SetsAt,
  ) {
    this.name = zone.name;
    this.dotName = `.${zone.name}`;
    this.version = zone.version;
    this.depth = nameLabels(zone.name).length;
    for (const set of zone.sets.values()) if (!this.owners.has(set.name)) this.addOwner(set.name);
    this.negativeSoa = this.encodeNegativeSoa();
  }

  /** Whether the name exists in the zone: it owns records or is an ancestor of an owner. */
  exists(name: string): boolean {
    return this.ownersBelow.has(name);
  }

  /** The answers owned by `name`, by type code; undefined when it owns no records. */
  typesAt(name: string): Map<number, TypeAnswer> | undefined {
    if (!this.owners.has(name)) return undefined;
    let types = this.records.get(name);
    if (!types) {
      types = this.encodeName(name);
      this.records.set(name, types);
    }
    return types;
  }

  /** Brings the answers to the zone's current version after a change that touched `names`. */
  update(names: Iterable<string>): void {
    for (const name of names) {
      this.records.delete(name);
      this.glue.delete(name);
      const users = this.glueUsers.get(name);
      if (users) {
        for (const user of users) this.records.delete(user);
        this.glueUsers.delete(name);
      }
      const owns = this.setsAt(name).length > 0;
      if (owns && !this.owners.has(name)) this.addOwner(name);
      else if (!owns && this.owners.has(name)) this.removeOwner(name);
      if (name === this.name) this.negativeSoa = this.encodeNegativeSoa();
    }
    this.version = this.zone.version;
  }

  private ancestors(name: string): string[] {
    const labels = nameLabels(name);
    const out: string[] = [];
    for (let i = 0; i <= labels.length - this.depth; i++) out.push(`${labels.slice(i).join(".")}.`);
    return out;
  }

  private addOwner(name: string): void {
    this.owners.add(name);
    for (const a of this.ancestors(name)) this.ownersBelow.set(a, (this.ownersBelow.get(a) ?? 0) + 1);
  }

  private removeOwner(name: string): void {
    this.owners.delete(name);
    for (const a of this.ancestors(name)) {
      const n = (this.ownersBelow.get(a) ?? 1) - 1;
      if (n === 0) this.ownersBelow.delete(a);
      else this.ownersBelow.set(a, n);
    }
  }

  private isInZone(name: string): boolean {
    return name === this.name || name.endsWith(this.dotName);
  }

  /** Every A/AAAA of a name, owner written out in full. */
  private glueOf(name: string): Glue | null {
    const cached = this.glue.get(name);
    if (cached !== undefined) return cached;
    const rrs: Buffer[] = [];
    const sets = this.setsAt(name);
    for (const t of GLUE_TYPES)
      for (const set of sets) if (set.type === t) rrs.push(...(encodeSet(set).glue ?? []));
    const glue = rrs.length > 0 ? { bytes: Buffer.concat(rrs), count: rrs.length } : null;
    this.glue.set(name, glue);
    return glue;
  }

  private choiceOf(
    owner: string,
    rrs: Buffer[],
    targets: string[],
    weight: number,
    cnameTarget?: string,
  ): AnswerChoice {
    const unique = targets.length <= 1 ? targets : [...new Set(targets)];
    const glueParts: Glue[] = [];
    const covered: string[] = [];
    for (const t of unique) {
      if (!this.isInZone(t)) continue;
      // Registered even when the target has no address yet, so one added later brings its glue.
      let users = this.glueUsers.get(t);
      if (!users) {
        users = new Set();
        this.glueUsers.set(t, users);
      }
      users.add(owner);
      const g = this.glueOf(t);
      if (g) {
        glueParts.push(g);
        covered.push(t);
      }
    }
    const rrStarts: number[] = [];
    let at = 0;
    for (const rr of rrs) {
      rrStarts.push(at);
      at += rr.length;
    }
    return {
      answer: rrs.length === 1 ? rrs[0]! : Buffer.concat(rrs),
      ancount: rrs.length,
      rrStarts,
      cnameTarget,
      additional:
        glueParts.length === 0
          ? NO_GLUE
          : glueParts.length === 1
            ? glueParts[0]!.bytes
            : Buffer.concat(glueParts.map((g) => g.bytes)),
      arcount: glueParts.reduce((n, g) => n + g.count, 0),
      targets: covered,
      weight,
    };
  }

  private encodeName(name: string): Map<number, TypeAnswer> {
    const byType = new Map<string, RecordSet[]>();
    for (const set of this.setsAt(name)) {
      const list = byType.get(set.type);
      if (list) list.push(set);
      else byType.set(set.type, [set]);
    }
    const answers = new Map<number, TypeAnswer>();
    for (const sets of byType.values()) {
      const code = TYPE_CODES[sets[0]!.type];
      if (code === undefined) continue;
      const policy = storedRouting(sets[0]!);
      let answer: TypeAnswer;
      if (policy === "multivalue") {
        const choices: AnswerChoice[] = [];
        for (const set of sets) {
          const { answers: rrs, targets } = encodeSet(set);
          rrs.forEach((rr, i) => {
            choices.push(this.choiceOf(name, [rr], targets[i] === undefined ? [] : [targets[i]!], 1));
          });
        }
        answer = { kind: AnswerKind.MultiValue, choices, totalWeight: choices.length };
      } else if (policy === "weighted") {
        const choices = sets.map((set) => {
          const encoded = encodeSet(set);
          return this.choiceOf(name, encoded.answers, encoded.targets, set.weight ?? 0, encoded.cnameTarget);
        });
        answer = {
          kind: AnswerKind.Weighted,
          choices,
          totalWeight: choices.reduce((n, c) => n + c.weight, 0),
        };
      } else {
        const encoded = sets.map(encodeSet);
        const rrs = encoded.flatMap((e) => e.answers);
        const targets = encoded.flatMap((e) => e.targets);
        answer = {
          kind: AnswerKind.All,
          choices: [this.choiceOf(name, rrs, targets, 0, encoded[0]?.cnameTarget)],
          totalWeight: 0,
        };
      }
      if (answer.choices.some((c) => c.ancount > 0)) answers.set(code, answer);
    }
    return answers;
  }

  /** RFC 2308 §5: negative answers are cached for min(SOA TTL, SOA MINIMUM). */
  private encodeNegativeSoa(): Buffer {
    const soa = this.setsAt(this.name).find((s) => s.type === "SOA");
    if (soa?.values[0] === undefined) return NO_GLUE;
    const minimum = Number(soa.values[0].trim().split(/\s+/)[6]);
    return encodeRecord("SOA", Math.min(soa.ttl, minimum), soa.values[0], this.name) ?? NO_GLUE;
  }
}
