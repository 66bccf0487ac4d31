// Pre-encoded answers for one hosted zone at one version: everything the per-query path needs,
// indexed by canonical name and type code, so a query costs a map lookup and a few copies.
import { canonicalName, encodeWireName, nameLabels } from "./dnsName";
import { encodeRdata, encodeRecord, QUESTION_NAME_POINTER, TYPE_CODES } from "./dnsWire";
import { type RecordSet, routingPolicy } from "./route53Records";
import type { HostedZone } from "./zoneStore";

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

export interface ZoneAnswers {
  /** Canonical zone name, and the same with a leading dot for suffix tests. */
  name: string;
  dotName: string;
  version: number;
  records: Map<string, Map<number, TypeAnswer>>;
  /** Names that exist: owners of records and their ancestors down to the apex (RFC 8020). */
  existing: Set<string>;
  /** SOA for the authority section of negative answers, TTL per RFC 2308 §5. */
  negativeSoa: Buffer;
  glue: Map<string, { bytes: Buffer; count: number }>;
}

/** Route53 returns at most eight records of a multivalue answer set. */
export const MULTIVALUE_LIMIT = 8;

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

function encodeRecords(set: RecordSet, owner: Buffer): Buffer[] {
  const code = TYPE_CODES[set.type];
  if (code === undefined) return [];
  const out: Buffer[] = [];
  for (const value of set.values) {
    const rdata = encodeRdata(set.type, value);
    if (rdata) out.push(encodeRecord(owner, code, set.ttl, rdata));
  }
  return out;
}

function encodeSet(set: RecordSet): EncodedSet {
  const cached = encodedSets.get(set);
  if (cached) return cached;
  const encoded: EncodedSet = { answers: encodeRecords(set, QUESTION_NAME_POINTER), targets: [] };
  if (set.type === "SRV") {
    for (const value of set.values) {
      const target = value.trim().split(/\s+/)[3];
      if (target !== undefined) encoded.targets.push(canonicalName(target));
    }
  } else if (set.type === "CNAME" && set.values[0] !== undefined) {
    encoded.cnameTarget = canonicalName(set.values[0].trim());
  } else if (set.type === "A" || set.type === "AAAA") {
    encoded.glue = encodeRecords(set, encodeWireName(set.name));
  }
  encodedSets.set(set, encoded);
  return encoded;
}

export function buildZoneAnswers(zone: HostedZone): ZoneAnswers {
  const byName = new Map<string, Map<string, RecordSet[]>>();
  const existing = new Set<string>();
  for (const set of zone.sets.values()) {
    let types = byName.get(set.name);
    if (!types) {
      types = new Map();
      byName.set(set.name, types);
    }
    const list = types.get(set.type);
    if (list) list.push(set);
    else types.set(set.type, [set]);
  }
  const depth = nameLabels(zone.name).length;
  for (const name of byName.keys()) {
    const labels = nameLabels(name);
    for (let i = 0; i <= labels.length - depth; i++) existing.add(labels.slice(i).join(".") + ".");
  }

  // Glue: every A/AAAA of a name, owner written out in full.
  const glue = new Map<string, { bytes: Buffer; count: number }>();
  for (const [name, types] of byName) {
    const rrs: Buffer[] = [];
    for (const t of ["A", "AAAA"])
      for (const set of types.get(t) ?? []) rrs.push(...(encodeSet(set).glue ?? []));
    if (rrs.length > 0) glue.set(name, { bytes: Buffer.concat(rrs), count: rrs.length });
  }

  const NO_GLUE: Buffer = Buffer.alloc(0);
  const choiceOf = (rrs: Buffer[], targets: string[], weight: number, cnameTarget?: string): AnswerChoice => {
    // Glue exists only for names of this zone, so a lookup in `glue` is the in-zone test too.
    const unique = targets.length <= 1 ? targets : [...new Set(targets)];
    const glueParts: Array<{ bytes: Buffer; count: number }> = [];
    const covered: string[] = [];
    for (const t of unique) {
      const g = glue.get(t);
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
  };

  const records = new Map<string, Map<number, TypeAnswer>>();
  for (const [name, types] of byName) {
    const answers = new Map<number, TypeAnswer>();
    for (const sets of types.values()) {
      const code = TYPE_CODES[sets[0]!.type];
      if (code === undefined) continue;
      const policy = routingPolicy(sets[0]!);
      let answer: TypeAnswer;
      if (policy === "multivalue") {
        const choices: AnswerChoice[] = [];
        for (const set of sets) {
          const { answers: rrs, targets } = encodeSet(set);
          rrs.forEach((rr, i) => {
            choices.push(choiceOf([rr], targets[i] === undefined ? [] : [targets[i]!], 1));
          });
        }
        answer = { kind: AnswerKind.MultiValue, choices, totalWeight: choices.length };
      } else if (policy === "weighted") {
        const choices = sets.map((set) => {
          const encoded = encodeSet(set);
          return choiceOf(encoded.answers, encoded.targets, set.weight ?? 0, encoded.cnameTarget);
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
          choices: [choiceOf(rrs, targets, 0, encoded[0]?.cnameTarget)],
          totalWeight: 0,
        };
      }
      if (answer.choices.some((c) => c.ancount > 0)) answers.set(code, answer);
    }
    records.set(name, answers);
  }

  // RFC 2308 §5: negative answers are cached for min(SOA TTL, SOA MINIMUM).
  const soa = byName.get(zone.name)?.get("SOA")?.[0];
  let negativeSoa: Buffer = Buffer.alloc(0);
  if (soa?.values[0] !== undefined) {
    const minimum = Number(soa.values[0].trim().split(/\s+/)[6]);
    const rdata = encodeRdata("SOA", soa.values[0]);
    if (rdata) negativeSoa = encodeRecord(encodeWireName(zone.name), 6, Math.min(soa.ttl, minimum), rdata);
  }
  return {
    name: zone.name,
    dotName: "." + zone.name,
    version: zone.version,
    records,
    existing,
    negativeSoa,
    glue,
  };
}
