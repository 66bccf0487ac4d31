// Decoding of DNS answers (RFC 1035 §4): only what the resolver reads (SRV, A, AAAA, CNAME, SOA),
// with bounds checks on every read so hostile bytes make a clear error, never a bad answer.

/** Record type codes the resolver reads. */
export const TYPE = { A: 1, CNAME: 5, SOA: 6, AAAA: 28, SRV: 33, OPT: 41 } as const;

/** SRV record data (RFC 2782). */
export interface SrvData {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  /** Lower case, no trailing dot; "" for the root ("."). */
  readonly target: string;
}

/** One resource record; `data` is decoded for the types above and undefined for the rest. */
export interface WireRecord {
  /** Owner name, lower case, no trailing dot. */
  readonly name: string;
  readonly type: number;
  readonly ttl: number;
  /** A/AAAA: address text; CNAME: name; SRV: SrvData; SOA: the negative TTL min(TTL, MINIMUM). */
  readonly data: string | SrvData | number | undefined;
}

/** A decoded message. */
export interface WireMessage {
  readonly id: number;
  readonly flags: number;
  readonly rcode: number;
  readonly truncated: boolean;
  readonly questionName: string;
  readonly questionType: number;
  readonly questionClass: number;
  readonly questionCount: number;
  readonly answers: WireRecord[];
  readonly authorities: WireRecord[];
  readonly additionals: WireRecord[];
}

/** Thrown for bytes that are not a well-formed DNS message. */
export class MalformedMessageError extends Error {
  constructor(message: string) {
    super(`malformed DNS message: ${message}`);
    this.name = "MalformedMessageError";
  }
}

const MAX_NAME_LENGTH = 255;
const MAX_POINTER_HOPS = 64;

/** Decodes a name at `offset`; returns it and the offset just past it in the record. */
function readName(buf: Buffer, offset: number, out: { end: number }): string {
  let name = "";
  let length = 0;
  let jumped = false;
  let hops = 0;
  let pos = offset;
  for (;;) {
    if (pos >= buf.length) throw new MalformedMessageError("name runs past the end");
    const len = buf[pos]!;
    if (len === 0) {
      if (!jumped) out.end = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= buf.length) throw new MalformedMessageError("name pointer runs past the end");
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      // Pointers must go backwards (RFC 1035 §4.1.4), which also rules out loops.
      if (target >= pos) throw new MalformedMessageError("name pointer does not point backwards");
      if (++hops > MAX_POINTER_HOPS) throw new MalformedMessageError("too many name pointers");
      if (!jumped) out.end = pos + 2;
      jumped = true;
      pos = target;
      continue;
    }
    if (kind !== 0) throw new MalformedMessageError("unknown label type");
    if (pos + 1 + len > buf.length) throw new MalformedMessageError("label runs past the end");
    length += len + 1;
    if (length > MAX_NAME_LENGTH) throw new MalformedMessageError("name longer than 255 bytes");
    const label = buf.toString("latin1", pos + 1, pos + 1 + len);
    name = name.length === 0 ? label : `${name}.${label}`;
    pos += 1 + len;
  }
  return name.toLowerCase();
}

function ipv6(buf: Buffer, o: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(buf.readUInt16BE(o + i).toString(16));
  // Compress the longest run of zero groups (RFC 5952), so the text matches what Node prints.
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (parts[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && parts[j] === "0") j++;
    if (j - i > bestLength && j - i > 1) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return parts.join(":");
  return `${parts.slice(0, bestStart).join(":")}::${parts.slice(bestStart + bestLength).join(":")}`;
}

function readRecords(
  buf: Buffer,
  offset: number,
  count: number,
  into: WireRecord[],
  cursor: { end: number },
): number {
  let o = offset;
  for (let i = 0; i < count; i++) {
    const name = readName(buf, o, cursor);
    o = cursor.end;
    if (o + 10 > buf.length) throw new MalformedMessageError("record header runs past the end");
    const type = buf.readUInt16BE(o);
    const ttlRaw = buf.readUInt32BE(o + 4);
    // RFC 2181 §8: a TTL with the top bit set is to be taken as zero.
    const ttl = ttlRaw > 0x7fffffff ? 0 : ttlRaw;
    const rdlength = buf.readUInt16BE(o + 8);
    const rdata = o + 10;
    const end = rdata + rdlength;
    if (end > buf.length) throw new MalformedMessageError("record data runs past the end");
    let data: WireRecord["data"];
    if (type === TYPE.A) {
      if (rdlength !== 4) throw new MalformedMessageError("A record data is not 4 bytes");
      data = `${buf[rdata]}.${buf[rdata + 1]}.${buf[rdata + 2]}.${buf[rdata + 3]}`;
    } else if (type === TYPE.AAAA) {
      if (rdlength !== 16) throw new MalformedMessageError("AAAA record data is not 16 bytes");
      data = ipv6(buf, rdata);
    } else if (type === TYPE.SRV) {
      if (rdlength < 7) throw new MalformedMessageError("SRV record data too short");
      const target = readName(buf, rdata + 6, cursor);
      if (cursor.end > end) throw new MalformedMessageError("SRV target runs past its record");
      data = {
        priority: buf.readUInt16BE(rdata),
        weight: buf.readUInt16BE(rdata + 2),
        port: buf.readUInt16BE(rdata + 4),
        target,
      };
    } else if (type === TYPE.CNAME) {
      data = readName(buf, rdata, cursor);
      if (cursor.end > end) throw new MalformedMessageError("CNAME target runs past its record");
    } else if (type === TYPE.SOA) {
      readName(buf, rdata, cursor); // MNAME
      readName(buf, cursor.end, cursor); // RNAME
      if (cursor.end + 20 > end) throw new MalformedMessageError("SOA record data too short");
      const minimum = buf.readUInt32BE(cursor.end + 16);
      data = Math.min(ttl, minimum > 0x7fffffff ? 0 : minimum);
    }
    into.push({ name, type, ttl, data });
    o = end;
  }
  return o;
}

/**
 * Decodes a whole message. Throws {@link MalformedMessageError} for anything that does not
 * parse; records of types the resolver does not read are kept with undefined data.
 */
export function decodeMessage(buf: Buffer): WireMessage {
  if (buf.length < 12) throw new MalformedMessageError("shorter than a header");
  const flags = buf.readUInt16BE(2);
  const qdcount = buf.readUInt16BE(4);
  const ancount = buf.readUInt16BE(6);
  const nscount = buf.readUInt16BE(8);
  const arcount = buf.readUInt16BE(10);
  const cursor = { end: 12 };
  let questionName = "";
  let questionType = 0;
  let questionClass = 0;
  let o = 12;
  for (let i = 0; i < qdcount; i++) {
    const name = readName(buf, o, cursor);
    o = cursor.end;
    if (o + 4 > buf.length) throw new MalformedMessageError("question runs past the end");
    if (i === 0) {
      questionName = name;
      questionType = buf.readUInt16BE(o);
      questionClass = buf.readUInt16BE(o + 2);
    }
    o += 4;
  }
  const answers: WireRecord[] = [];
  const authorities: WireRecord[] = [];
  const additionals: WireRecord[] = [];
  const truncated = (flags & 0x0200) !== 0;
  // A truncated answer may stop anywhere; only its header and question matter (we go to TCP).
  if (!truncated) {
    o = readRecords(buf, o, ancount, answers, cursor);
    o = readRecords(buf, o, nscount, authorities, cursor);
    readRecords(buf, o, arcount, additionals, cursor);
  }
  return {
    id: buf.readUInt16BE(0),
    flags,
    rcode: flags & 0x0f,
    truncated,
    questionName,
    questionType,
    questionClass,
    questionCount: qdcount,
    answers,
    authorities,
    additionals,
  };
}
