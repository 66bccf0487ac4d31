// DNS messages for one question: the query bytes we send and the checks an answer must pass.
import { randomFillSync } from "node:crypto";
import * as dnsPacket from "dns-packet";

/** Record types the resolver asks for. */
export type QueryType = "SRV" | "A";

const QTYPE_CODE: Record<QueryType, number> = { SRV: 33, A: 1 };
const CLASS_IN = 1;
const TYPE_OPT = 41;
/** RFC 6891 payload size recommended by DNS Flag Day 2020: no IP fragmentation on common paths. */
export const EDNS_UDP_PAYLOAD = 1232;
const FLAG_RD = 0x0100;
const FLAG_QR = 0x8000;

// Query ids come from the CSPRNG (RFC 5452 §9.2); drawing them from a pooled buffer keeps the
// cost off the per-query path.
const idPool = Buffer.alloc(4096);
let idOffset = idPool.length;

/** An unpredictable 16-bit query id. */
export function randomQueryId(): number {
  if (idOffset >= idPool.length) {
    randomFillSync(idPool);
    idOffset = 0;
  }
  const id = idPool.readUInt16BE(idOffset);
  idOffset += 2;
  return id;
}

/**
 * The wire form of a recursive query for `name` (lower case, no trailing dot), with an EDNS0 OPT
 * record advertising {@link EDNS_UDP_PAYLOAD} bytes unless `edns` is false.
 */
export function encodeQuery(id: number, name: string, type: QueryType, edns: boolean): Buffer {
  const nameLength = name.length === 0 ? 1 : name.length + 2;
  const buf = Buffer.allocUnsafe(12 + nameLength + 4 + (edns ? 11 : 0));
  buf.writeUInt16BE(id, 0);
  buf.writeUInt16BE(FLAG_RD, 2);
  buf.writeUInt16BE(1, 4);
  buf.writeUInt16BE(0, 6);
  buf.writeUInt16BE(0, 8);
  buf.writeUInt16BE(edns ? 1 : 0, 10);
  let o = 12;
  if (name.length > 0) {
    for (const label of name.split(".")) {
      buf[o++] = label.length;
      o += buf.write(label, o, "ascii");
    }
  }
  buf[o++] = 0;
  buf.writeUInt16BE(QTYPE_CODE[type], o);
  buf.writeUInt16BE(CLASS_IN, o + 2);
  o += 4;
  if (edns) {
    buf[o++] = 0; // root owner name
    buf.writeUInt16BE(TYPE_OPT, o);
    buf.writeUInt16BE(EDNS_UDP_PAYLOAD, o + 2);
    buf.writeUInt32BE(0, o + 4); // extended rcode, version 0, no DO bit
    buf.writeUInt16BE(0, o + 8);
  }
  return buf;
}

/** A decoded answer that matched our question. */
export type DnsResponse = dnsPacket.Packet & { rcode?: string; flag_tc?: boolean };

/**
 * Decodes `msg` if it answers our question (RFC 5452 §9.1: id, question name, type and class must
 * match; the caller checks the source address and port). Returns undefined for anything else,
 * including bytes that do not decode, so a hostile packet is ignored rather than trusted.
 */
export function matchResponse(
  msg: Buffer,
  id: number,
  name: string,
  type: QueryType,
): DnsResponse | undefined {
  if (msg.length < 12 || msg.readUInt16BE(0) !== id || (msg.readUInt16BE(2) & FLAG_QR) === 0)
    return undefined;
  let packet: DnsResponse;
  try {
    packet = dnsPacket.decode(msg) as DnsResponse;
  } catch {
    return undefined;
  }
  const questions = packet.questions ?? [];
  if (questions.length !== 1) return undefined;
  const q = questions[0]!;
  if (q.type !== type || (q.class ?? "IN") !== "IN") return undefined;
  if (q.name.toLowerCase().replace(/\.$/, "") !== name) return undefined;
  return packet;
}

/** What an accepted answer means for the question asked. */
export type Interpretation =
  | { readonly kind: "records"; readonly records: dnsPacket.Answer[]; readonly owner: string }
  | {
      readonly kind: "negative";
      readonly reason: "NXDOMAIN" | "NODATA";
      readonly negativeTtl: number | undefined;
    }
  | { readonly kind: "failure"; readonly outcome: string };

const MAX_CNAME_CHAIN = 8;

function sameName(a: string, b: string): boolean {
  return a.length === b.length ? a.toLowerCase() === b : a.toLowerCase().replace(/\.$/, "") === b;
}

/** RFC 2308 §5: a negative answer is cached for min(SOA TTL, SOA MINIMUM) of the authority SOA. */
function negativeTtl(packet: DnsResponse): number | undefined {
  for (const rr of packet.authorities ?? []) {
    if (rr.type === "SOA") {
      const ttl = rr.ttl ?? 0;
      const min = rr.data.minimum ?? ttl;
      return Math.min(ttl, min);
    }
  }
  return undefined;
}

/**
 * Reads an accepted answer: the records of the asked type (following a CNAME chain inside the
 * answer), a negative answer with its cache time, or a failure code that sends us to the next server.
 */
export function interpret(packet: DnsResponse, name: string, type: QueryType): Interpretation {
  const rcode = packet.rcode ?? "NOERROR";
  if (rcode === "NXDOMAIN") return { kind: "negative", reason: "NXDOMAIN", negativeTtl: negativeTtl(packet) };
  if (rcode !== "NOERROR") return { kind: "failure", outcome: rcode };
  let owner = name;
  const answers = packet.answers ?? [];
  for (let hops = 0; hops < MAX_CNAME_CHAIN; hops++) {
    const cname = answers.find((rr) => rr.type === "CNAME" && sameName(rr.name, owner));
    if (!cname) break;
    owner = String((cname as dnsPacket.StringAnswer).data)
      .toLowerCase()
      .replace(/\.$/, "");
  }
  const records = answers.filter((rr) => rr.type === type && sameName(rr.name, owner));
  if (records.length === 0) return { kind: "negative", reason: "NODATA", negativeTtl: negativeTtl(packet) };
  return { kind: "records", records, owner };
}
