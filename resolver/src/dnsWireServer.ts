// The server's half of the DNS codec (RFC 1035 §4): a query read, records and whole messages written. The
// resolver's half (queries written, answers read) is dnsWire.ts, whose name reader and writer this shares, as both
// share dnsProtocol.ts's numbers; it lives apart so that the resolver never loads it. The local zone answers
// every query through it, and the tests' authoritative server too. Written by hand for the same reasons as
// dnsWire.ts: the query read is on the local zone's per-query path (a general decoder made that path 25-30% more
// costly per query when it was measured), and one codec with its constants written once is easier to hold
// correct than two. dns-packet stays the oracle: the tests compare this codec with it byte for byte.
//
// Like dns-packet, the writers never compress a name; a record may have a compression pointer as its owner
// (RFC 1035 §4.1.4), so that one encoded record can be copied into the answer to any question it answers.
import * as protocol from "./dnsProtocol";
import type { SrvData } from "./dnsWire";
import * as resolverWire from "./dnsWire";

// Imported values read once into constants: where modules are compiled to CommonJS by esbuild (tsx runs the
// local zone and the tests that way), each use of an imported binding calls a getter, and those getters were a
// quarter of the local zone's time per query.
const { copyLabel, MalformedMessageError, writeName } = resolverWire;
const {
  CLASS_IN,
  HEADER_LENGTH,
  MAX_LABEL,
  MAX_NAME_WIRE,
  OPT_LENGTH,
  PLAIN_UDP_SIZE,
  TYPE_CODES,
  TYPE_OPT,
} = protocol;

/** A query as a server reads it: its header, its one question and its OPT record (RFC 6891). */
export interface WireQuery {
  readonly id: number;
  /** The 16 header flag bits as sent. */
  readonly flags: number;
  /**
   * The question's name in presentation form, as {@link decodeMessage} writes names: lower case, no trailing dot,
   * "" for the root, `.`, `\` and unprintable bytes escaped (`\DDD` in decimal, RFC 1035 §5.1).
   */
  readonly name: string;
  readonly type: number;
  readonly class: number;
  /** Where the question ends: a response repeats the bytes from the header to here. */
  readonly questionEnd: number;
  /** Whether the query carries an OPT record. */
  readonly edns: boolean;
  /** The UDP payload size the OPT record offers; 512 without one. */
  readonly udpPayloadSize: number;
  readonly ednsVersion: number;
}

/** The text of a name is built here; escapes make it up to 4 bytes per wire byte. */
const nameText = Buffer.allocUnsafe(4 * MAX_NAME_WIRE);

/**
 * Reads a query: the header, its one question (whose name may hold no compression pointer: coming first, it could
 * only point into the header) and the OPT record, which must be the only one, in the additional section, owned by
 * the root (RFC 6891 §6.1.1). Other records are skipped unread. Throws {@link MalformedMessageError} for anything
 * else, and leaves the header's meaning (QR, opcode) to the caller.
 */
export function decodeQuery(msg: Buffer): WireQuery {
  if (msg.length < HEADER_LENGTH) throw new MalformedMessageError("shorter than a header");
  if (msg.readUInt16BE(4) !== 1) throw new MalformedMessageError("a query asks exactly one question");
  let at = HEADER_LENGTH;
  let n = 0;
  let wire = 1; // the root label
  for (;;) {
    if (at >= msg.length) throw new MalformedMessageError("name runs past the end");
    const length = msg[at]!;
    if (length === 0) break;
    if (length > MAX_LABEL) throw new MalformedMessageError("the question's name is not plain labels");
    const end = at + 1 + length;
    if (end > msg.length) throw new MalformedMessageError("name runs past the end");
    wire += length + 1;
    if (wire > MAX_NAME_WIRE) throw new MalformedMessageError("name longer than 255 bytes");
    if (n > 0) nameText[n++] = 0x2e;
    n = copyLabel(msg, at + 1, end, nameText, n);
    at = end;
  }
  const questionEnd = at + 5; // the root label, type and class
  if (questionEnd > msg.length) throw new MalformedMessageError("question runs past the end");
  let edns = false;
  let udpPayloadSize = PLAIN_UDP_SIZE;
  let ednsVersion = 0;
  const before = msg.readUInt16BE(6) + msg.readUInt16BE(8);
  const total = before + msg.readUInt16BE(10);
  let off = questionEnd;
  for (let i = 0; i < total; i++) {
    const start = off;
    off = skipName(msg, off);
    if (off + 10 > msg.length) throw new MalformedMessageError("record header runs past the end");
    if (msg.readUInt16BE(off) === TYPE_OPT) {
      if (i < before || edns || msg[start] !== 0)
        throw new MalformedMessageError("OPT record out of place (RFC 6891 §6.1.1)");
      edns = true;
      udpPayloadSize = msg.readUInt16BE(off + 2);
      ednsVersion = msg[off + 5]!;
    }
    off += 10 + msg.readUInt16BE(off + 8);
    if (off > msg.length) throw new MalformedMessageError("record data runs past the end");
  }
  return {
    id: msg.readUInt16BE(0),
    flags: msg.readUInt16BE(2),
    name: n === 0 ? "" : nameText.toString("latin1", 0, n),
    type: msg.readUInt16BE(at + 1),
    class: msg.readUInt16BE(at + 3),
    questionEnd,
    edns,
    udpPayloadSize,
    ednsVersion,
  };
}

/** The offset past a name that is skipped, not read (a pointer is not followed). */
function skipName(msg: Buffer, start: number): number {
  let off = start;
  for (;;) {
    if (off >= msg.length) throw new MalformedMessageError("name runs past the end");
    const length = msg[off]!;
    if (length === 0) return off + 1;
    if ((length & 0xc0) === 0xc0) {
      if (off + 2 > msg.length) throw new MalformedMessageError("name runs past the end");
      return off + 2;
    }
    if (length > MAX_LABEL)
      throw new MalformedMessageError(`unknown label type 0x${(length & 0xc0).toString(16)}`);
    off += length + 1;
  }
}

/** MX record data (RFC 1035 §3.3.9). */
export interface MxData {
  readonly preference: number;
  readonly exchange: string;
}

/** SOA record data (RFC 1035 §3.3.13). */
export interface SoaData {
  readonly mname: string;
  readonly rname: string;
  readonly serial: number;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  readonly minimum: number;
}

/** CAA record data (RFC 8659 §4.1). */
export interface CaaData {
  readonly flags: number;
  readonly tag: string;
  readonly value: string;
}

/**
 * A record to write (class IN unless given), in the shapes dns-packet takes. Names are in presentation form
 * (`\.`, `\\` and `\DDD` escapes stand for one byte; a trailing dot is allowed); addresses are text.
 */
export type RecordToEncode = {
  readonly name: string;
  readonly ttl: number;
  readonly class?: number;
} & (
  | { readonly type: "A" | "AAAA" | "CNAME" | "NS" | "PTR"; readonly data: string }
  | { readonly type: "SRV"; readonly data: Omit<SrvData, "target"> & { readonly target: string } }
  | { readonly type: "MX"; readonly data: MxData }
  | { readonly type: "SOA"; readonly data: SoaData }
  /** Character-strings of at most 255 bytes each (RFC 1035 §3.3.14; SPF: RFC 7208 §3.1). */
  | { readonly type: "TXT" | "SPF"; readonly data: readonly (Buffer | string)[] }
  | { readonly type: "CAA"; readonly data: CaaData }
);

/** An OPT pseudo-record (RFC 6891 §6.1.2), without options. */
export interface OptToEncode {
  readonly type: "OPT";
  readonly udpPayloadSize: number;
  /** The upper 8 bits of the response code. Default 0. */
  readonly extendedRcode?: number;
  readonly ednsVersion?: number;
  /** The 16 flag bits (DO is 0x8000). Default 0. */
  readonly flags?: number;
}

/** One question to write. */
export interface QuestionToEncode {
  readonly name: string;
  readonly type: number;
  readonly class?: number;
}

/** A whole message to write; `flags` are the 16 header bits (QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE). */
export interface MessageToEncode {
  readonly id: number;
  readonly flags: number;
  readonly questions: readonly QuestionToEncode[];
  readonly answers?: readonly RecordToEncode[];
  readonly authorities?: readonly RecordToEncode[];
  readonly additionals?: readonly (RecordToEncode | OptToEncode)[];
}

/** Largest DNS message (its length must fit the TCP frame's 16 bits, RFC 1035 §4.2.2). */
const MAX_MESSAGE = 65535;
/** Messages are written here, then copied out at their size. */
const out = Buffer.allocUnsafe(MAX_MESSAGE);
/** Where the writer is in {@link out}. */
let at = 0;

function room(bytes: number): void {
  if (at + bytes > MAX_MESSAGE) throw new RangeError("DNS message longer than 65,535 bytes");
}

function u8(value: number): void {
  room(1);
  at = out.writeUInt8(value, at);
}

function u16(value: number): void {
  room(2);
  at = out.writeUInt16BE(value, at);
}

function u32(value: number): void {
  room(4);
  at = out.writeUInt32BE(value, at);
}

/** Writes a name; throws for one that is not a DNS name (an empty or long label, more than 255 bytes). */
function name(text: string): void {
  let body = text;
  // A trailing dot is the root's empty label, unless a backslash escapes it.
  if (body.endsWith(".")) {
    let slashes = 0;
    while (body.charCodeAt(body.length - 2 - slashes) === 0x5c) slashes++;
    if (slashes % 2 === 0) body = body.slice(0, -1);
  }
  room(body.length + 2); // an escape is never shorter than the byte it stands for
  const length = writeName(body, out, at);
  if (length < 0 || length > MAX_NAME_WIRE) throw new TypeError(`not a DNS name: ${JSON.stringify(text)}`);
  at += length;
}

function characterString(s: Buffer | string): void {
  const bytes = typeof s === "string" ? Buffer.from(s) : s;
  if (bytes.length > 255) throw new RangeError("character-string longer than 255 bytes");
  u8(bytes.length);
  room(bytes.length);
  out.set(bytes, at);
  at += bytes.length;
}

function ipv4(text: string): void {
  const parts = text.split(".");
  if (parts.length !== 4) throw new TypeError(`not an IPv4 address: ${text}`);
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) throw new TypeError(`not an IPv4 address: ${text}`);
    u8(Number(part));
  }
}

/** RFC 4291 §2.2 text: eight groups, one `::` for a run of zero groups, an IPv4 address as the last two. */
function ipv6(text: string): void {
  const groups: number[] = [];
  const halves = text.split("::");
  if (halves.length > 2) throw new TypeError(`not an IPv6 address: ${text}`);
  const parts = halves.map((h) => (h === "" ? [] : h.split(":")));
  const last = parts[parts.length - 1]!;
  let tail: number[] = [];
  if (last.length > 0 && last[last.length - 1]!.includes(".")) {
    const v4 = last.pop()!.split(".");
    if (v4.length !== 4 || !v4.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255))
      throw new TypeError(`not an IPv6 address: ${text}`);
    tail = [(Number(v4[0]) << 8) | Number(v4[1]), (Number(v4[2]) << 8) | Number(v4[3])];
  }
  const hexGroups = parts.map((p) =>
    p.map((g) => {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new TypeError(`not an IPv6 address: ${text}`);
      return Number.parseInt(g, 16);
    }),
  );
  const given = hexGroups.reduce((n, p) => n + p.length, 0) + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) throw new TypeError(`not an IPv6 address: ${text}`);
  groups.push(...hexGroups[0]!);
  if (halves.length === 2) {
    for (let i = given; i < 8; i++) groups.push(0);
    groups.push(...hexGroups[1]!);
  }
  groups.push(...tail);
  for (const g of groups) u16(g);
}

function rdata(record: RecordToEncode): void {
  switch (record.type) {
    case "A":
      ipv4(record.data);
      break;
    case "AAAA":
      ipv6(record.data);
      break;
    case "CNAME":
    case "NS":
    case "PTR":
      name(record.data);
      break;
    case "SRV":
      u16(record.data.priority);
      u16(record.data.weight);
      u16(record.data.port);
      name(record.data.target);
      break;
    case "MX":
      u16(record.data.preference);
      name(record.data.exchange);
      break;
    case "SOA": {
      const soa = record.data;
      name(soa.mname);
      name(soa.rname);
      u32(soa.serial);
      u32(soa.refresh);
      u32(soa.retry);
      u32(soa.expire);
      u32(soa.minimum);
      break;
    }
    case "TXT":
    case "SPF":
      for (const s of record.data) characterString(s);
      break;
    case "CAA": {
      u8(record.data.flags);
      characterString(record.data.tag);
      const value = Buffer.from(record.data.value);
      room(value.length);
      out.set(value, at);
      at += value.length;
      break;
    }
  }
}

/** Writes one record at `at`; the owner is a compression pointer to `ownerAt` when given. */
function record(rr: RecordToEncode | OptToEncode, ownerAt?: number): void {
  if (rr.type === "OPT") {
    u8(0); // the root
    u16(TYPE_OPT);
    u16(rr.udpPayloadSize);
    u8(rr.extendedRcode ?? 0);
    u8(rr.ednsVersion ?? 0);
    u16(rr.flags ?? 0);
    u16(0); // no options
    return;
  }
  if (ownerAt === undefined) name(rr.name);
  else u16(0xc000 | ownerAt);
  u16(TYPE_CODES[rr.type]);
  u16(rr.class ?? CLASS_IN);
  u32(rr.ttl);
  const lengthAt = at;
  u16(0);
  rdata(rr);
  out.writeUInt16BE(at - lengthAt - 2, lengthAt);
}

function copyOut(): Buffer {
  const bytes = Buffer.allocUnsafe(at);
  out.copy(bytes, 0, 0, at);
  return bytes;
}

/**
 * One resource record. With `ownerAt` (below 0x4000), its owner is a compression pointer to that offset rather than
 * `rr.name`: `encodeRecord(rr, 12)` makes a record that answers whatever the question names. Throws for values that
 * cannot be written (a name that is not a DNS name, an address that is not one, a number out of its field's range).
 */
export function encodeRecord(rr: RecordToEncode, ownerAt?: number): Buffer {
  at = 0;
  record(rr, ownerAt);
  return copyOut();
}

/** A whole message, names uncompressed (as dns-packet writes them). Throws as {@link encodeRecord} does. */
export function encodeMessage(message: MessageToEncode): Buffer {
  const answers = message.answers ?? [];
  const authorities = message.authorities ?? [];
  const additionals = message.additionals ?? [];
  at = 0;
  u16(message.id);
  u16(message.flags);
  u16(message.questions.length);
  u16(answers.length);
  u16(authorities.length);
  u16(additionals.length);
  for (const q of message.questions) {
    name(q.name);
    u16(q.type);
    u16(q.class ?? CLASS_IN);
  }
  for (const rr of answers) record(rr);
  for (const rr of authorities) record(rr);
  for (const rr of additionals) record(rr);
  return copyOut();
}

/**
 * Writes an OPT record without options at `offset` in `buf` (RFC 6891 §6.1.2): version 0, no flags, `rcode`'s
 * upper 8 bits as the extended RCODE. Returns the offset past it ({@link OPT_LENGTH} bytes).
 */
export function writeOpt(buf: Buffer, offset: number, udpPayloadSize: number, rcode: number): number {
  buf[offset] = 0; // the root
  buf.writeUInt16BE(TYPE_OPT, offset + 1);
  buf.writeUInt16BE(udpPayloadSize, offset + 3);
  buf[offset + 5] = rcode >> 4;
  buf[offset + 6] = 0; // version
  buf.writeUInt16BE(0, offset + 7); // flags
  buf.writeUInt16BE(0, offset + 9); // no options
  return offset + OPT_LENGTH;
}
