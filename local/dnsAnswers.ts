// Pre-encoded answers for one hosted zone at one version: everything the per-query path needs,
// indexed by canonical name and type code, so a query costs a map lookup and a few copies.
import { canonicalName, encodeWireName, isInZone, nameLabels } from "./dnsName";
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

function encodeSetRecords(set: RecordSet, owner: Buffer): Buffer[] {
  const code = TYPE_CODES[set.type];
  if (code === undefined) return [];
  const out: Buffer[] = [];
  for (const value of set.values) {
    const rdata = encodeRdata(set.type, value);
    if (rdata) out.push(encodeRecord(owner, code, set.ttl, rdata));
  }
  return out;
}

function srvTargets(set: RecordSet): string[] {
  if (set.type !== "SRV") return [];
  const out: string[] = [];
  for (const value of set.values) {
    const target = value.trim().split(/\s+/)[3];
    if (target !== undefined) out.push(canonicalName(target));
  }
  return out;
}

function cnameTargetOf(set: RecordSet): string | undefined {
  return set.type === "CNAME" && set.values[0] !== undefined
    ? canonicalName(set.values[0].trim())
    : undefined;
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
    const labels = nameLabels(set.name);
    const depth = nameLabels(zone.name).length;
    for (let i = 0; i <= labels.length - depth; i++) existing.add(labels.slice(i).join(".") + ".");
  }

  // Glue: every A/AAAA of a name, owner written out in full.
  const glue = new Map<string, { bytes: Buffer; count: number }>();
  for (const [name, types] of byName) {
    const rrs: Buffer[] = [];
    const owner = encodeWireName(name);
    for (const t of ["A", "AAAA"])
      for (const set of types.get(t) ?? []) rrs.push(...encodeSetRecords(set, owner));
    if (rrs.length > 0) glue.set(name, { bytes: Buffer.concat(rrs), count: rrs.length });
  }

  const choiceOf = (rrs: Buffer[], targets: string[], weight: number, cnameTarget?: string): AnswerChoice => {
    const unique = [...new Set(targets)].filter((t) => isInZone(t, zone.name) && glue.has(t));
    const glueParts = unique.map((t) => glue.get(t)!);
    const rrStarts: number[] = [];
    let at = 0;
    for (const rr of rrs) {
      rrStarts.push(at);
      at += rr.length;
    }
    return {
      answer: Buffer.concat(rrs),
      ancount: rrs.length,
      rrStarts,
      cnameTarget,
      additional: Buffer.concat(glueParts.map((g) => g.bytes)),
      arcount: glueParts.reduce((n, g) => n + g.count, 0),
      targets: unique,
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
          const rrs = encodeSetRecords(set, QUESTION_NAME_POINTER);
          const targets = srvTargets(set);
          rrs.forEach((rr, i) => {
            choices.push(choiceOf([rr], targets[i] === undefined ? [] : [targets[i]!], 1));
          });
        }
        answer = { kind: AnswerKind.MultiValue, choices, totalWeight: choices.length };
      } else if (policy === "weighted") {
        const choices = sets.map((set) =>
          choiceOf(
            encodeSetRecords(set, QUESTION_NAME_POINTER),
            srvTargets(set),
            set.weight ?? 0,
            cnameTargetOf(set),
          ),
        );
        answer = {
          kind: AnswerKind.Weighted,
          choices,
          totalWeight: choices.reduce((n, c) => n + c.weight, 0),
        };
      } else {
        const rrs = sets.flatMap((set) => encodeSetRecords(set, QUESTION_NAME_POINTER));
        answer = {
          kind: AnswerKind.All,
          choices: [choiceOf(rrs, sets.flatMap(srvTargets), 0, cnameTargetOf(sets[0]!))],
          totalWeight: 0,
        };
      }
      if (answer.choices.some((c) => c.ancount > 0)) answers.set(code, answer);
    }
    records.set(name, answers);
  }

  // RFC 2308 §5: negative answers are cached for min(SOA TTL, SOA MINIMUM).
  const soa = [...zone.sets.values()].find((s) => s.name === zone.name && s.type === "SOA");
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
