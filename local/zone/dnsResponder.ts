// Turns one DNS query message into one response message for the hosted zones of a store.
// This is the per-query hot path: the query is read by the DNS codec's server half (the question and
// the OPT record, nothing else), and the answer is assembled by copying RRs the codec encoded once
// per owner name, until a change touches it (dnsAnswers.ts, dnsWire.ts).
//
// The query read is hand-written (in the codec) because it was measured: `npm run bench -- zone` on
// this 2-core machine, back to back, CPU per query of the local zone with it 6.9 / 7.4 / 7.7 / 8.2 µs,
// and with dns-packet's decode of every query added (before even building the name) 8.9 / 9.6 / 10.2 /
// 10.6 µs: 25-30% more. In a loop, respond() costs 1.4 µs and dnsPacket.decode of the same query
// 0.65-0.86 µs on its own.

import { canonicalLabel } from "../../records/zone";
import * as protocol from "../../resolver/src/dnsProtocol";
import type { WireQuery } from "../../resolver/src/dnsWireServer";
import * as codec from "../../resolver/src/dnsWireServer";
import { type AnswerChoice, AnswerKind, MULTIVALUE_LIMIT, type TypeAnswer, ZoneAnswers } from "./dnsAnswers";
import type { HostedZone, ZoneStore } from "./zoneStore";

// Imported values read once into constants: where modules are compiled to CommonJS by esbuild (tsx runs the
// local zone and the tests that way), each use of an imported binding calls a getter, and those getters were a
// quarter of the local zone's time per query.
const { decodeQuery, writeOpt } = codec;
const {
  CLASS_ANY,
  CLASS_IN,
  EDNS_UDP_PAYLOAD,
  FLAG_AA,
  FLAG_QR,
  FLAG_RD,
  FLAG_TC,
  HEADER_LENGTH,
  OPCODE_MASK,
  OPT_LENGTH,
  PLAIN_UDP_SIZE,
  RCODE_BADVERS,
  RCODE_FORMERR,
  RCODE_NOERROR,
  RCODE_NOTIMP,
  RCODE_NXDOMAIN,
  RCODE_REFUSED,
  TYPE_ANY,
  TYPE_CNAME,
  TYPE_OPT,
} = protocol;

/** Largest UDP response sent, whatever the client offers. */
const MAX_UDP_SIZE = 4096;
const MAX_TCP_SIZE = 65535;
/** `*` as the canonical form writes it (dnsName.ts). */
const WILDCARD_LABEL = "\\052.";

/** How a query arrived: its size limit depends on it. */
export type Transport = "udp" | "tcp";

const EMPTY: Buffer = Buffer.alloc(0);
const EMPTY_LIST: Buffer[] = [];
const EMPTY_CHOICES: AnswerChoice[] = [];

/**
 * The stored form of the question's name (dnsName.ts) from the codec's text of it: the same text
 * with a trailing dot when every byte is a letter, digit, `-` or `_` (every name the record contract
 * builds); otherwise each label again from the wire, where the codec found plain labels only.
 */
function storedQuestionName(msg: Buffer, text: string): string {
  if (text === "") return ".";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x2d && c <= 0x39 && c !== 0x2f) || c === 0x5f)) {
      let name = "";
      for (let p = HEADER_LENGTH; msg[p]! !== 0; p += msg[p]! + 1)
        name += canonicalLabel(msg, p + 1, p + 1 + msg[p]!) + ".";
      return name;
    }
  }
  return `${text}.`;
}

/** Answers DNS queries from the zones of a ZoneStore. */
export class DnsResponder {
  /** Served zones, most specific first, with the suffix a name below each ends with. */
  private zones: Array<{ zone: HostedZone; dotName: string }> = [];
  // Scratch arrays reused by every query: the per-query path allocates only the answer.
  private readonly chosen: AnswerChoice[] = [];
  private readonly additional: Buffer[] = [];
  private readonly glueSent: string[] = [];
  private readonly answers = new Map<string, ZoneAnswers>();
  private scratch = new Int32Array(128);

  constructor(
    private readonly store: ZoneStore,
    private readonly random: () => number = Math.random,
  ) {
    store.onChange((zone, names) => {
      // A batch names what it touched: only those names are re-encoded (on their next query).
      const cached = zone && this.answers.get(zone.id);
      if (zone && cached) {
        if (names && cached.version === zone.version - 1) cached.update(names);
        else this.answers.delete(zone.id);
      } else if (!zone) {
        // A zone was deleted or every zone replaced (restore): nothing cached can be trusted.
        this.answers.clear();
      }
      this.refreshZones();
    });
    this.refreshZones();
  }

  private refreshZones(): void {
    const seen = new Set<string>();
    const zones: HostedZone[] = [];
    // Two hosted zones may share a name; the first created answers, as one view would.
    for (const z of this.store.list()) {
      if (!seen.has(z.name)) {
        seen.add(z.name);
        zones.push(z);
      }
    }
    // Most specific zone first.
    this.zones = zones
      .sort((a, b) => b.name.length - a.name.length)
      .map((zone) => ({ zone, dotName: zone.name === "." ? "" : "." + zone.name }));
    for (const id of this.answers.keys()) if (!zones.some((z) => z.id === id)) this.answers.delete(id);
  }

  private answersFor(name: string): ZoneAnswers | undefined {
    for (const { zone, dotName } of this.zones) {
      if (name === zone.name || name.endsWith(dotName)) {
        let cached = this.answers.get(zone.id);
        if (!cached || cached.version !== zone.version) {
          cached = new ZoneAnswers(zone, (owner) => this.store.setsAt(zone.id, owner));
          this.answers.set(zone.id, cached);
        }
        return cached;
      }
    }
    return undefined;
  }

  /**
   * The response to one query message, or null when nothing must be sent back (the message is
   * too short to carry an id, or is itself a response). Never throws on hostile input.
   */
  respond(msg: Buffer, transport: Transport): Buffer | null {
    if (msg.length < 2) return null;
    const id = msg.readUInt16BE(0);
    if (msg.length < HEADER_LENGTH) return this.headerOnly(id, 0, RCODE_FORMERR);
    const flags = msg.readUInt16BE(2);
    if (flags & FLAG_QR) return null;
    if (flags & OPCODE_MASK) return this.headerOnly(id, flags, RCODE_NOTIMP);
    let q: WireQuery;
    try {
      q = decodeQuery(msg);
    } catch {
      return this.headerOnly(id, flags, RCODE_FORMERR);
    }

    const limit =
      transport === "tcp"
        ? MAX_TCP_SIZE
        : q.edns
          ? Math.min(Math.max(q.udpPayloadSize, PLAIN_UDP_SIZE), MAX_UDP_SIZE)
          : PLAIN_UDP_SIZE;
    if (q.edns && q.ednsVersion !== 0)
      return this.build(msg, q, RCODE_BADVERS, 0, EMPTY_CHOICES, 0, EMPTY, 0, EMPTY_LIST, 0, limit);
    if (q.type === TYPE_OPT)
      return this.build(msg, q, RCODE_FORMERR, 0, EMPTY_CHOICES, 0, EMPTY, 0, EMPTY_LIST, 0, limit);
    // Zone transfers are not offered; meta types (TKEY, TSIG, IXFR, AXFR, MAILB, MAILA) are not implemented.
    if (q.type >= 249 && q.type <= 254)
      return this.build(msg, q, RCODE_NOTIMP, 0, EMPTY_CHOICES, 0, EMPTY, 0, EMPTY_LIST, 0, limit);
    if (q.class !== CLASS_IN && q.class !== CLASS_ANY) {
      return this.build(msg, q, RCODE_REFUSED, 0, EMPTY_CHOICES, 0, EMPTY, 0, EMPTY_LIST, 0, limit);
    }
    const name = storedQuestionName(msg, q.name);
    const zone = this.answersFor(name);
    if (!zone) return this.build(msg, q, RCODE_REFUSED, 0, EMPTY_CHOICES, 0, EMPTY, 0, EMPTY_LIST, 0, limit);

    let types = zone.typesAt(name);
    if (!types) {
      if (zone.exists(name)) {
        return this.negative(msg, q, RCODE_NOERROR, zone.negativeSoa, limit);
      }
      // RFC 4592 §3.3.1: the closest existing ancestor's wildcard, if any, answers for the name.
      let encloser = name;
      while (encloser !== zone.name && !zone.exists(encloser))
        encloser = encloser.slice(encloser.indexOf(".") + 1);
      types = zone.typesAt(WILDCARD_LABEL + encloser);
      if (!types) {
        return this.negative(msg, q, RCODE_NXDOMAIN, zone.negativeSoa, limit);
      }
    }
    const chosen = this.chosen;
    chosen.length = 0;
    if (q.type === TYPE_ANY) {
      for (const t of types.values()) this.select(t, chosen);
    } else {
      const t = types.get(q.type);
      if (t) {
        this.select(t, chosen);
      } else {
        const cname = types.get(TYPE_CNAME);
        if (cname) {
          this.select(cname, chosen);
          this.chase(zone, q, chosen);
        }
      }
    }
    if (chosen.length === 0) return this.negative(msg, q, RCODE_NOERROR, zone.negativeSoa, limit);

    let ancount = 0;
    let arcount = 0;
    const additional = this.additional;
    additional.length = 0;
    const glueSent = this.glueSent;
    glueSent.length = 0;
    for (const c of chosen) {
      ancount += c.ancount;
      if (c.arcount === 0) continue;
      if (c.targets.length === 1) {
        if (glueSent.includes(c.targets[0]!)) continue;
        glueSent.push(c.targets[0]!);
      }
      additional.push(c.additional);
      arcount += c.arcount;
    }
    return this.build(msg, q, RCODE_NOERROR, FLAG_AA, chosen, ancount, EMPTY, 0, additional, arcount, limit);
  }

  /**
   * Follows a CNAME chain inside the zone (RFC 1034 §4.3.2 step 3a), appending the records of
   * each hop. A hop's records were encoded with the question name as owner, so each copy gets
   * its owners pointed at the previous CNAME's RDATA instead. Stops after 8 hops (loops).
   */
  private chase(zone: ZoneAnswers, q: WireQuery, chosen: AnswerChoice[]): void {
    let cname = chosen[0];
    let at = q.questionEnd;
    for (let hop = 0; hop < 8 && cname?.cnameTarget !== undefined; hop++) {
      const target = cname.cnameTarget;
      // RDATA of the CNAME RR: after its owner pointer (2) and TYPE, CLASS, TTL, RDLENGTH (10).
      const pointer = at + 12;
      if (pointer >= 0x4000 || !(target === zone.name || target.endsWith(zone.dotName))) return;
      const types = zone.typesAt(target);
      const t = types?.get(q.type) ?? types?.get(TYPE_CNAME);
      if (!t) return;
      const picked: AnswerChoice[] = [];
      this.select(t, picked);
      at += cname.answer.length;
      cname = undefined;
      for (const c of picked) {
        const answer = Buffer.from(c.answer);
        for (const start of c.rrStarts) answer.writeUInt16BE(0xc000 | pointer, start);
        const copy = { ...c, answer };
        chosen.push(copy);
        if (c.cnameTarget !== undefined && t !== types?.get(q.type)) cname = copy;
      }
    }
  }

  /** Picks the choices of one RR set per its routing policy, appending to `out`. */
  private select(t: TypeAnswer, out: AnswerChoice[]): void {
    const n = t.choices.length;
    if (t.kind === AnswerKind.All) {
      out.push(t.choices[0]!);
    } else if (t.kind === AnswerKind.Weighted) {
      if (t.totalWeight === 0) {
        out.push(t.choices[Math.floor(this.random() * n)]!);
        return;
      }
      let r = this.random() * t.totalWeight;
      for (const c of t.choices) {
        if (c.weight === 0) continue;
        r -= c.weight;
        if (r < 0) {
          out.push(c);
          return;
        }
      }
      // Floating point left a sliver: the last non-zero weight takes it.
      for (let i = n - 1; i >= 0; i--) {
        if (t.choices[i]!.weight > 0) {
          out.push(t.choices[i]!);
          return;
        }
      }
    } else {
      // Partial Fisher-Yates: a uniformly random ordered sample of up to eight.
      if (this.scratch.length < n) this.scratch = new Int32Array(n * 2);
      const idx = this.scratch;
      for (let i = 0; i < n; i++) idx[i] = i;
      const k = Math.min(n, MULTIVALUE_LIMIT);
      for (let i = 0; i < k; i++) {
        const j = i + Math.floor(this.random() * (n - i));
        const tmp = idx[i]!;
        idx[i] = idx[j]!;
        idx[j] = tmp;
        out.push(t.choices[idx[i]!]!);
      }
    }
  }

  /** A response of a header alone, with the query's id, opcode and RD (from `flags`). */
  private headerOnly(id: number, flags: number, rcode: number): Buffer {
    const out = Buffer.alloc(HEADER_LENGTH);
    out.writeUInt16BE(id, 0);
    out.writeUInt16BE(FLAG_QR | (flags & (OPCODE_MASK | FLAG_RD)) | rcode, 2);
    return out;
  }

  /** An authoritative answer with no records: NXDOMAIN or NODATA, with the zone's SOA for negative caching. */
  private negative(msg: Buffer, q: WireQuery, rcode: number, soa: Buffer, limit: number): Buffer {
    return this.build(msg, q, rcode, FLAG_AA, EMPTY_CHOICES, 0, soa, 1, EMPTY_LIST, 0, limit);
  }

  private build(
    msg: Buffer,
    q: WireQuery,
    rcode: number,
    aa: number,
    answers: AnswerChoice[],
    ancount: number,
    authority: Buffer,
    nscount: number,
    additional: Buffer[],
    arcount: number,
    limit: number,
  ): Buffer {
    const questionLength = q.questionEnd - HEADER_LENGTH;
    const opt = q.edns ? OPT_LENGTH : 0;
    let answerLength = 0;
    for (const a of answers) answerLength += a.answer.length;
    let additionalLength = 0;
    for (const a of additional) additionalLength += a.length;
    let tc = 0;
    let size = HEADER_LENGTH + questionLength + answerLength + authority.length + additionalLength + opt;
    if (size > limit) {
      // Glue is optional (RFC 2181 §9): drop it before truncating the answer itself.
      size -= additionalLength;
      additional = EMPTY_LIST;
      arcount = 0;
      if (size > limit) {
        tc = FLAG_TC;
        answers = EMPTY_CHOICES;
        ancount = 0;
        authority = EMPTY;
        nscount = 0;
        size = HEADER_LENGTH + questionLength + opt;
      }
    }
    const out = Buffer.allocUnsafe(size);
    out.writeUInt16BE(q.id, 0);
    out.writeUInt16BE(FLAG_QR | (q.flags & (OPCODE_MASK | FLAG_RD)) | aa | tc | (rcode & 0xf), 2);
    out.writeUInt16BE(1, 4);
    out.writeUInt16BE(ancount, 6);
    out.writeUInt16BE(nscount, 8);
    out.writeUInt16BE(arcount + (opt ? 1 : 0), 10);
    // TypedArray#set: Buffer#copy validates its arguments in JS first, which shows per query.
    out.set(msg.subarray(HEADER_LENGTH, q.questionEnd), HEADER_LENGTH);
    let off = q.questionEnd;
    for (const a of answers) {
      out.set(a.answer, off);
      off += a.answer.length;
    }
    out.set(authority, off);
    off += authority.length;
    for (const a of additional) {
      out.set(a, off);
      off += a.length;
    }
    if (opt) writeOpt(out, off, EDNS_UDP_PAYLOAD, rcode);
    return out;
  }
}
