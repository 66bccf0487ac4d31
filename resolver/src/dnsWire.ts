// DNS messages on the wire (RFC 1035 §4): the bytes of one query, and an answer decoded into the few
// fields the resolver reads. Written by hand rather than through a general DNS library: it is on every
// uncached lookup's path, where a general decoder's objects for every field and record type cost more
// than the rest of our work together (the resolver benchmark's p50 is measured against c-ares), and it
// keeps undici the package's one runtime dependency. It reads only what the resolver needs and checks
// everything it reads: every length against the message, compression pointers only backwards (no loops) and
// followed at most as many times as the message has bytes, record data exactly the size its type demands.
// What a server needs besides (reading queries, writing answers) is in dnsWireServer.ts, so that none of it
// is loaded by the resolver.
import * as protocol from "./dnsProtocol";

// Imported values read once into constants: where modules are compiled to CommonJS by esbuild (tsx runs the
// local zone and the tests that way), each use of an imported binding calls a getter, and those getters were a
// quarter of the local zone's time per query.
const {
  CLASS_IN,
  className,
  EDNS_UDP_PAYLOAD,
  FLAG_RD,
  FLAG_TC,
  HEADER_LENGTH,
  MAX_NAME_WIRE,
  TYPE_A,
  TYPE_AAAA,
  TYPE_CNAME,
  TYPE_CODES,
  TYPE_OPT,
  TYPE_SOA,
  TYPE_SRV,
  TYPE_TXT,
  typeName,
} = protocol;

/** SRV record data (RFC 2782). */
export interface SrvData {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  /** Lower case, no trailing dot; "" for the root ("."). */
  readonly target: string;
}

/** One resource record; `data` is decoded for A, AAAA, CNAME, SRV, SOA and TXT, undefined for the rest. */
export interface WireRecord {
  /** Owner name, lower case, no trailing dot. */
  readonly name: string;
  /** Type mnemonic ("SRV", "A", ...; `TYPE<n>` for types without one, RFC 3597). */
  readonly type: string;
  readonly ttl: number;
  /**
   * A/AAAA: address text; CNAME: name; SRV: SrvData; SOA: the negative TTL min(TTL, MINIMUM); TXT: its
   * character-strings, each byte one character (latin1).
   */
  readonly data: string | SrvData | number | readonly string[] | undefined;
}

/** A decoded message. */
export interface WireMessage {
  readonly id: number;
  /** The 16 header flag bits as sent (QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE). */
  readonly flags: number;
  readonly rcode: number;
  readonly truncated: boolean;
  readonly questionName: string;
  readonly questionType: string;
  readonly questionClass: string;
  readonly questionCount: number;
  readonly answers: WireRecord[];
  readonly authorities: WireRecord[];
  readonly additionals: WireRecord[];
}

/** Thrown for bytes that are not a well-formed DNS message. */
export class MalformedMessageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`malformed DNS message: ${message}`, options);
    this.name = "MalformedMessageError";
  }
}

/**
 * Writes a name in presentation form (no trailing dot, "" for the root) at `offset` in wire form; returns
 * its wire length, or -1 when a label is
 * empty or longer than 63 bytes. `\.`, `\\` and `\DDD` escapes stand for one byte each (RFC 1035 §5.1),
 * as the decoder writes them.
 */
export function writeName(name: string, buf: Buffer, offset: number): number {
  if (name === "") {
    buf[offset] = 0;
    return 1;
  }
  let at = offset + 1;
  let labelStart = offset;
  for (let i = 0; i < name.length; i++) {
    let byte = name.charCodeAt(i);
    if (byte === 0x2e) {
      const length = at - labelStart - 1;
      if (length === 0 || length > 63) return -1;
      buf[labelStart] = length;
      labelStart = at++;
      continue;
    }
    if (byte === 0x5c) {
      const d = name.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(d) && Number(d) <= 255) {
        byte = Number(d);
        i += 3;
      } else {
        byte = name.charCodeAt(++i);
      }
    }
    if (!(byte >= 0 && byte <= 0xff)) return -1;
    buf[at] = byte;
    at++;
  }
  const length = at - labelStart - 1;
  if (length === 0 || length > 63) return -1;
  buf[labelStart] = length;
  buf[at] = 0;
  return at + 1 - offset;
}

/**
 * The wire form of a recursive query for `name` (lower case, no trailing dot), with an EDNS0 OPT record
 * (payload 1232, version 0, no flags or options; RFC 6891 §6.1.2) unless `edns` is false.
 */
export function encodeQuery(id: number, name: string, type: keyof typeof TYPE_CODES, edns: boolean): Buffer {
  // Written once into the scratch buffer, which holds any name that fits a query, then copied.
  const nameLength = name.length > scratch.length - 2 ? -1 : writeName(name, scratch, 0);
  if (nameLength < 0 || nameLength > MAX_NAME_WIRE)
    throw new TypeError(`cannot query "${name}": not a DNS name`);
  const buf = Buffer.allocUnsafe(HEADER_LENGTH + nameLength + 4 + (edns ? 11 : 0));
  buf.writeUInt16BE(id, 0);
  buf.writeUInt16BE(FLAG_RD, 2);
  buf.writeUInt32BE(0x00010000, 4); // one question, no answers
  buf.writeUInt32BE(edns ? 1 : 0, 8); // no authorities; the OPT record is the one additional
  // A byte loop: a name is short, and a subarray of the scratch buffer (a new Buffer object) cost more.
  for (let i = 0; i < nameLength; i++) buf[HEADER_LENGTH + i] = scratch[i]!;
  let at = HEADER_LENGTH + nameLength;
  buf.writeUInt16BE(TYPE_CODES[type], at);
  buf.writeUInt16BE(CLASS_IN, at + 2);
  at += 4;
  if (edns) {
    buf[at] = 0; // root owner name
    buf.writeUInt16BE(TYPE_OPT, at + 1);
    buf.writeUInt16BE(EDNS_UDP_PAYLOAD, at + 3);
    buf.writeUInt32BE(0, at + 5); // extended RCODE, version, DO and Z
    buf.writeUInt16BE(0, at + 9); // no options
  }
  return buf;
}

/** Where the last name read ended in the message (past its first pointer, or its root label). */
let nameEnd = 0;

/**
 * Compression pointers the message being decoded may still have followed. Pointers only point backwards, so no
 * name loops, but thousands of names can each enter a long run of pointers: 64 KB of them once took half a
 * second to read. A pointer is two bytes, and the names servers write are read with a few pointers each (and
 * none once known, see below), so a message is allowed as many as it has bytes; past that it is refused.
 */
let pointersLeft = 0;

/**
 * Names already read in the message being decoded, by the offset they start at, with their wire length:
 * answers point at the question's name and at each other's suffixes (RFC 1035 §4.1.4), so each is read
 * once. A few slots scanned in order: a message names only a handful, and a Map costs more here.
 */
const KNOWN_NAMES = 16;
const knownOffset: number[] = new Array(KNOWN_NAMES).fill(-1);
const knownName: string[] = new Array(KNOWN_NAMES).fill("");
const knownWire: number[] = new Array(KNOWN_NAMES).fill(0);
/** Whether the name's wire form lies in one piece at its offset (no pointer in it). */
const knownFlat: boolean[] = new Array(KNOWN_NAMES).fill(false);
let knownCount = 0;

function knownAt(offset: number): number {
  for (let i = 0; i < knownCount; i++) if (knownOffset[i] === offset) return i;
  return -1;
}

function remember(offset: number, name: string, wire: number, flat: boolean): void {
  if (knownCount === KNOWN_NAMES || knownAt(offset) >= 0) return;
  knownOffset[knownCount] = offset;
  knownName[knownCount] = name;
  knownWire[knownCount] = wire;
  knownFlat[knownCount++] = flat;
}

/**
 * A known name written out again, byte for byte, at `offset`; -1 if there is none. SRV targets are never
 * compressed (RFC 2782), and the instances of a service often share a host, so its name comes several times
 * in one answer: comparing bytes is cheaper than reading the name again.
 */
function repeatAt(buf: Buffer, offset: number): number {
  for (let k = 0; k < knownCount; k++) {
    if (!knownFlat[k]) continue;
    const from = knownOffset[k]!;
    const wire = knownWire[k]!;
    if (buf[from] !== buf[offset] || offset + wire > buf.length) continue;
    let i = 1;
    while (i < wire && buf[from + i] === buf[offset + i]) i++;
    if (i === wire) return k;
  }
  return -1;
}

/** A name's text is built here and turned into a string once; escapes make it up to 4 bytes per wire byte. */
const scratch = Buffer.allocUnsafe(4 * MAX_NAME_WIRE);

/**
 * Appends one label's presentation form to `out` at `n`: lower case, `.`, `\` and unprintable bytes escaped
 * (RFC 1035 §5.1, `\DDD` in decimal). `out` has room for 4 bytes per byte of the label.
 */
export function copyLabel(buf: Buffer, start: number, end: number, out: Buffer, n: number): number {
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c > 0x20 && c < 0x7f && c !== 0x2e && c !== 0x5c) {
      out[n++] = c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
    } else if (c === 0x2e || c === 0x5c) {
      out[n++] = 0x5c;
      out[n++] = c;
    } else {
      out[n++] = 0x5c;
      out[n++] = 0x30 + Math.floor(c / 100);
      out[n++] = 0x30 + (Math.floor(c / 10) % 10);
      out[n++] = 0x30 + (c % 10);
    }
  }
  return n;
}

/**
 * Reads the name at `offset`: lower case, no trailing dot, "" for the root. Compression pointers must point
 * before the labels that led to them (RFC 1035 §4.1.4 speaks of a "prior occurrence"), which rules out loops.
 * Sets {@link nameEnd}.
 */
function readName(buf: Buffer, offset: number): string {
  const known = knownAt(offset);
  if (known >= 0) {
    skipName(buf, offset);
    return knownName[known]!;
  }
  const repeat = repeatAt(buf, offset);
  if (repeat >= 0) {
    nameEnd = offset + knownWire[repeat]!;
    remember(offset, knownName[repeat]!, knownWire[repeat]!, true);
    return knownName[repeat]!;
  }
  let n = 0;
  let wire = 1; // the root label
  let at = offset;
  let floor = offset;
  let end = -1;
  let suffix: string | undefined;
  let jumpTarget = -1;
  let jumpText = 0;
  let jumpWire = 0;
  let jumps = 0;
  for (;;) {
    if (at >= buf.length) throw new MalformedMessageError("name runs past the end");
    const length = buf[at]!;
    if (length === 0) {
      if (end < 0) end = at + 1;
      break;
    }
    const kind = length & 0xc0;
    if (kind === 0xc0) {
      if (at + 1 >= buf.length) throw new MalformedMessageError("name runs past the end");
      const target = ((length & 0x3f) << 8) | buf[at + 1]!;
      if (target >= floor) throw new MalformedMessageError("compression pointer does not point backwards");
      if (end < 0) end = at + 2;
      const cached = knownAt(target);
      if (cached >= 0) {
        wire += knownWire[cached]! - 1;
        if (wire > MAX_NAME_WIRE) throw new MalformedMessageError("name longer than 255 bytes");
        suffix = knownName[cached]!;
        break;
      }
      if (jumpTarget < 0) {
        jumpTarget = target;
        jumpText = n;
        jumpWire = wire;
      }
      jumps++;
      if (--pointersLeft < 0) {
        throw new MalformedMessageError(
          "compression pointers followed more times than the message has bytes",
        );
      }
      at = target;
      floor = target;
      continue;
    }
    if (kind !== 0) throw new MalformedMessageError(`unknown label type 0x${kind.toString(16)}`);
    const labelEnd = at + 1 + length;
    if (labelEnd > buf.length) throw new MalformedMessageError("name runs past the end");
    wire += length + 1;
    if (wire > MAX_NAME_WIRE) throw new MalformedMessageError("name longer than 255 bytes");
    if (n > 0) scratch[n++] = 0x2e;
    n = copyLabel(buf, at + 1, labelEnd, scratch, n);
    at = labelEnd;
  }
  nameEnd = end;
  const text = n === 0 ? "" : scratch.toString("latin1", 0, n);
  const name = suffix === undefined ? text : n === 0 ? suffix : `${text}.${suffix}`;
  remember(offset, name, wire, suffix === undefined && jumpTarget < 0);
  if (jumpTarget >= 0 && knownCount < KNOWN_NAMES) {
    // The labels read after the first pointer are a name of their own, starting where it pointed.
    const tail = scratch.toString("latin1", jumpText === 0 ? 0 : jumpText + 1, n);
    remember(
      jumpTarget,
      suffix === undefined ? tail : tail === "" ? suffix : `${tail}.${suffix}`,
      wire - jumpWire + 1,
      suffix === undefined && jumps === 1,
    );
  }
  return name;
}

/** Sets {@link nameEnd} past a name already read (and so already checked) at `offset`. */
function skipName(buf: Buffer, offset: number): void {
  let at = offset;
  for (;;) {
    const length = buf[at]!;
    if (length === 0) {
      nameEnd = at + 1;
      return;
    }
    if ((length & 0xc0) === 0xc0) {
      nameEnd = at + 2;
      return;
    }
    at += 1 + length;
  }
}

/** RFC 2181 §8: a TTL with the top bit set is to be taken as zero. */
function ttlOf(raw: number): number {
  return raw > 0x7fffffff ? 0 : raw;
}

function hex(n: number): string {
  return n.toString(16);
}

/** RFC 5952 text of an IPv6 address: hex groups without leading zeros, the longest run (≥ 2) of zero groups as "::". */
function ipv6Text(buf: Buffer, at: number): string {
  let bestStart = -1;
  let bestLength = 1;
  let runStart = -1;
  for (let g = 0; g < 8; g++) {
    if (buf.readUInt16BE(at + 2 * g) === 0) {
      if (runStart < 0) runStart = g;
      if (g - runStart + 1 > bestLength) {
        bestStart = runStart;
        bestLength = g - runStart + 1;
      }
    } else {
      runStart = -1;
    }
  }
  let text = "";
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      text += "::";
      g += bestLength - 1;
      continue;
    }
    if (text !== "" && !text.endsWith(":")) text += ":";
    text += hex(buf.readUInt16BE(at + 2 * g));
  }
  return text;
}

/** Where the last record read ended. */
let recordEnd = 0;

function readRecord(buf: Buffer, offset: number): WireRecord {
  const name = readName(buf, offset);
  const at = nameEnd;
  if (at + 10 > buf.length) throw new MalformedMessageError("record header runs past the end");
  const type = buf.readUInt16BE(at);
  const rawTtl = buf.readUInt32BE(at + 4);
  const length = buf.readUInt16BE(at + 8);
  const data = at + 10;
  const end = data + length;
  if (end > buf.length) throw new MalformedMessageError("record data runs past the end");
  recordEnd = end;
  if (type === TYPE_OPT) return { name, type: "OPT", ttl: 0, data: undefined };
  const ttl = ttlOf(rawTtl);
  switch (type) {
    case TYPE_A:
      if (length !== 4) throw new MalformedMessageError("A record data is not 4 bytes");
      return {
        name,
        type: "A",
        ttl,
        data: `${buf[data]}.${buf[data + 1]}.${buf[data + 2]}.${buf[data + 3]}`,
      };
    case TYPE_AAAA:
      if (length !== 16) throw new MalformedMessageError("AAAA record data is not 16 bytes");
      return { name, type: "AAAA", ttl, data: ipv6Text(buf, data) };
    case TYPE_CNAME: {
      const target = readName(buf, data);
      if (nameEnd !== end) throw new MalformedMessageError("CNAME record data is not one name");
      return { name, type: "CNAME", ttl, data: target };
    }
    case TYPE_SRV: {
      if (length < 7) throw new MalformedMessageError("SRV record data is too short");
      const target = readName(buf, data + 6);
      if (nameEnd !== end) throw new MalformedMessageError("SRV record data does not end with its target");
      const srv: SrvData = {
        priority: buf.readUInt16BE(data),
        weight: buf.readUInt16BE(data + 2),
        port: buf.readUInt16BE(data + 4),
        target,
      };
      return { name, type: "SRV", ttl, data: srv };
    }
    case TYPE_SOA: {
      readName(buf, data); // MNAME
      readName(buf, nameEnd); // RNAME
      if (nameEnd + 20 !== end) throw new MalformedMessageError("SOA record data has the wrong size");
      return { name, type: "SOA", ttl, data: Math.min(ttl, ttlOf(buf.readUInt32BE(nameEnd + 16))) };
    }
    case TYPE_TXT:
      return { name, type: "TXT", ttl, data: characterStrings(buf, data, end) };
    default:
      return { name, type: typeName(type), ttl, data: undefined };
  }
}

/**
 * TXT data (RFC 1035 §3.3.14): character-strings, each a length byte and that many bytes, filling the data
 * exactly. No data at all is read as no strings rather than refused: it holds nothing to misread.
 */
function characterStrings(buf: Buffer, start: number, end: number): string[] {
  const strings: string[] = [];
  let at = start;
  while (at < end) {
    const stringEnd = at + 1 + buf[at]!;
    if (stringEnd > end) throw new MalformedMessageError("TXT character-string runs past its record data");
    strings.push(buf.toString("latin1", at + 1, stringEnd));
    at = stringEnd;
  }
  return strings;
}

function readSection(buf: Buffer, count: number, offset: number): WireRecord[] {
  const records: WireRecord[] = [];
  recordEnd = offset;
  for (let i = 0; i < count; i++) records.push(readRecord(buf, recordEnd));
  return records;
}

/**
 * Where the question of `query` ends when `msg` holds the same one question: the same name (ASCII case
 * aside, RFC 4343), type and class; -1 otherwise. `query` is one of ours, as {@link encodeQuery} writes it.
 * Bytes are compared rather than decoded names: it runs on every answer, and the name is then known without
 * being read (see {@link decodeMessage}).
 */
export function sameQuestion(msg: Buffer, query: Buffer): number {
  let at = HEADER_LENGTH;
  while (query[at] !== 0) at += query[at]! + 1;
  const end = at + 5; // the root label, type and class
  if (msg.length < end || msg.readUInt16BE(4) !== 1) return -1;
  for (let i = HEADER_LENGTH; i < end; i++) {
    const a = msg[i]!;
    const b = query[i]!;
    // Equal, or the same ASCII letter in the other case. Our length, type and class bytes are never letters.
    if (a !== b && ((a ^ b) !== 0x20 || ((b | 0x20) - 0x61) >>> 0 >= 26)) return -1;
  }
  return end;
}

/**
 * Decodes a whole message. Throws {@link MalformedMessageError} for anything that does not parse;
 * records of types the resolver does not read are kept with undefined data. A truncated answer (TC)
 * may stop anywhere: only its header and question are read, since we go to TCP.
 *
 * With `askedName`, the caller has found the question to be the one it asked (see {@link sameQuestion},
 * which gives `questionEnd`): the name is taken as `askedName` instead of being read again, and answers
 * pointing at it get the same string.
 */
export function decodeMessage(buf: Buffer, askedName?: string, questionEnd = 0): WireMessage {
  if (buf.length < HEADER_LENGTH) throw new MalformedMessageError("shorter than a header");
  knownCount = 0;
  pointersLeft = buf.length;
  const flags = buf.readUInt16BE(2);
  const truncated = (flags & FLAG_TC) !== 0;
  const questionCount = buf.readUInt16BE(4);
  let at = HEADER_LENGTH;
  let questionName = "";
  let questionType = "";
  let questionClass = "";
  if (askedName !== undefined) {
    remember(HEADER_LENGTH, askedName, questionEnd - 4 - HEADER_LENGTH, true);
    questionName = askedName;
    questionType = typeName(buf.readUInt16BE(questionEnd - 4));
    questionClass = className(buf.readUInt16BE(questionEnd - 2));
    at = questionEnd;
  }
  for (let i = askedName === undefined ? 0 : 1; i < questionCount; i++) {
    const name = readName(buf, at);
    at = nameEnd;
    if (at + 4 > buf.length) throw new MalformedMessageError("question runs past the end");
    if (i === 0) {
      questionName = name;
      questionType = typeName(buf.readUInt16BE(at));
      questionClass = className(buf.readUInt16BE(at + 2));
    }
    at += 4;
  }
  let answers: WireRecord[] = [];
  let authorities: WireRecord[] = [];
  let additionals: WireRecord[] = [];
  if (!truncated) {
    answers = readSection(buf, buf.readUInt16BE(6), at);
    authorities = readSection(buf, buf.readUInt16BE(8), recordEnd);
    additionals = readSection(buf, buf.readUInt16BE(10), recordEnd);
  }
  return {
    id: buf.readUInt16BE(0),
    flags,
    rcode: flags & 0x0f,
    truncated,
    questionName,
    questionType,
    questionClass,
    questionCount,
    answers,
    authorities,
    additionals,
  };
}
