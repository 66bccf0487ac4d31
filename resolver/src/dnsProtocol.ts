// The numbers of the DNS protocol that both halves of the codec share (the resolver's queries and answers in
// dnsWire.ts, a server's in dnsWireServer.ts), and the framing of messages over TCP. Flat constants rather than
// enums or objects: they are read on every message, and a `const` is the cheapest thing to read.

/** Size of the fixed header (RFC 1035 §4.1.1). */
export const HEADER_LENGTH = 12;

/** Header flag bits (RFC 1035 §4.1.1, RFC 4035 §3.2). */
export const FLAG_QR = 0x8000;
export const OPCODE_MASK = 0x7800;
export const OPCODE_SHIFT = 11;
export const FLAG_AA = 0x0400;
export const FLAG_TC = 0x0200;
export const FLAG_RD = 0x0100;
export const FLAG_RA = 0x0080;
export const RCODE_MASK = 0x000f;

/** Response codes (RFC 1035 §4.1.1, RFC 6895 §2.3). */
export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;
export const RCODE_REFUSED = 5;
/** RFC 6891 §6.1.3: extended RCODE 16, its upper 8 bits carried in the OPT record. */
export const RCODE_BADVERS = 16;
/** Mnemonics of the response codes that fit the header, by code. */
export const RCODE_NAMES: readonly string[] = [
  "NOERROR",
  "FORMERR",
  "SERVFAIL",
  "NXDOMAIN",
  "NOTIMP",
  "REFUSED",
];

/**
 * Route53 answers a multivalue answer set with at most this many records, chosen at random among the healthy
 * ones: what the local zone's server does too, and what the resolver's same-AZ rule allows for (zoneAware.ts).
 */
export const MULTIVALUE_LIMIT = 8;

/** Record types (RFC 1035, 3596, 2782, 6891, 4034, 9460, 7208, 8659). */
export const TYPE_A = 1;
export const TYPE_NS = 2;
export const TYPE_CNAME = 5;
export const TYPE_SOA = 6;
export const TYPE_PTR = 12;
export const TYPE_MX = 15;
export const TYPE_TXT = 16;
export const TYPE_AAAA = 28;
export const TYPE_SRV = 33;
export const TYPE_OPT = 41;
export const TYPE_SPF = 99;
export const TYPE_ANY = 255;
export const TYPE_CAA = 257;

/**
 * The codes of the record types the DNS codec writes (dnsWireServer.ts), by mnemonic: the local zone serves these,
 * and a resolver's query (dnsWire.ts) names its type by them.
 */
export const TYPE_CODES = {
  A: TYPE_A,
  NS: TYPE_NS,
  CNAME: TYPE_CNAME,
  SOA: TYPE_SOA,
  PTR: TYPE_PTR,
  MX: TYPE_MX,
  TXT: TYPE_TXT,
  AAAA: TYPE_AAAA,
  SRV: TYPE_SRV,
  SPF: TYPE_SPF,
  CAA: TYPE_CAA,
} as const satisfies Readonly<Record<string, number>>;

/** Mnemonics of the types a resolver or the local zone may meet, by code. */
export const TYPE_NAMES: Readonly<Record<number, string>> = {
  [TYPE_A]: "A",
  [TYPE_NS]: "NS",
  [TYPE_CNAME]: "CNAME",
  [TYPE_SOA]: "SOA",
  [TYPE_PTR]: "PTR",
  [TYPE_MX]: "MX",
  [TYPE_TXT]: "TXT",
  [TYPE_AAAA]: "AAAA",
  [TYPE_SRV]: "SRV",
  [TYPE_OPT]: "OPT",
  43: "DS",
  46: "RRSIG",
  47: "NSEC",
  48: "DNSKEY",
  64: "SVCB",
  65: "HTTPS",
  [TYPE_SPF]: "SPF",
  [TYPE_CAA]: "CAA",
};

/** Classes (RFC 1035 §3.2.4, RFC 2136 §2.3). */
export const CLASS_IN = 1;
export const CLASS_ANY = 255;
export const CLASS_NAMES: Readonly<Record<number, string>> = {
  [CLASS_IN]: "IN",
  3: "CH",
  4: "HS",
  254: "NONE",
  [CLASS_ANY]: "ANY",
};

/** The type's mnemonic, or `TYPE<n>` for a type without one (RFC 3597 §5). */
export function typeName(code: number): string {
  return TYPE_NAMES[code] ?? `TYPE${code}`;
}

/** The class's mnemonic, or `CLASS<n>` (RFC 3597 §5). */
export function className(code: number): string {
  return CLASS_NAMES[code] ?? `CLASS${code}`;
}

/** A name's wire length is at most 255 bytes (RFC 1035 §3.1), a label's 63. */
export const MAX_NAME_WIRE = 255;
export const MAX_LABEL = 63;

/** RFC 6891 payload size recommended by DNS Flag Day 2020: no IP fragmentation on common paths. */
export const EDNS_UDP_PAYLOAD = 1232;
/** Largest message over UDP without EDNS (RFC 1035 §4.2.1). */
export const PLAIN_UDP_SIZE = 512;
/** Size of an OPT record with no options (RFC 6891 §6.1.2). */
export const OPT_LENGTH = 11;

/** `msg` with the two-byte length prefix that carries a message over TCP (RFC 1035 §4.2.2). */
export function frameTcp(msg: Buffer): Buffer {
  const framed = Buffer.allocUnsafe(2 + msg.length);
  framed.writeUInt16BE(msg.length, 0);
  framed.set(msg, 2);
  return framed;
}

/**
 * Cuts the bytes read from a TCP connection into messages (RFC 1035 §4.2.2): `push` each chunk, then take
 * `next()` until it gives undefined. A connection may carry several messages, and one message may come in
 * several chunks.
 */
export class TcpFrameReader {
  private pending: Buffer = EMPTY;

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
  }

  /** The next whole message, or undefined until more bytes come. */
  next(): Buffer | undefined {
    const pending = this.pending;
    if (pending.length < 2) return undefined;
    const end = 2 + pending.readUInt16BE(0);
    if (pending.length < end) return undefined;
    this.pending = pending.subarray(end);
    return pending.subarray(2, end);
  }
}

const EMPTY: Buffer = Buffer.alloc(0);
