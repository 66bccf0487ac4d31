// DNS messages on the wire, through dns-packet: the bytes of a query, and an answer decoded into
// the few fields the resolver reads. dns-packet does the parsing (it rejects pointer loops and
// runs past the end); this module adds what it leaves to the caller: a fixed-prefix error for
// anything that does not decode, the checks it skips (record data that runs past the message,
// addresses that are not addresses), and lower-case names.
import { SocketAddress } from "node:net";
import * as dnsPacket from "dns-packet";

/** SRV record data (RFC 2782). */
export interface SrvData {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  /** Lower case, no trailing dot; "" for the root ("."). */
  readonly target: string;
}

/** One resource record; `data` is decoded for A, AAAA, CNAME, SRV and SOA, undefined for the rest. */
export interface WireRecord {
  /** Owner name, lower case, no trailing dot. */
  readonly name: string;
  /** Type mnemonic as dns-packet names it ("SRV", "A", ...). */
  readonly type: string;
  readonly ttl: number;
  /** A/AAAA: address text; CNAME: name; SRV: SrvData; SOA: the negative TTL min(TTL, MINIMUM). */
  readonly data: string | SrvData | number | undefined;
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

const FLAG_TC = 0x0200;
/** RFC 6891 payload size recommended by DNS Flag Day 2020: no IP fragmentation on common paths. */
export const EDNS_UDP_PAYLOAD = 1232;

// Extended RCODE 0, version 0, no DO bit, no options (RFC 6891 §6.1.2).
const EDNS_OPT: dnsPacket.OptAnswer = {
  type: "OPT",
  name: ".",
  udpPayloadSize: EDNS_UDP_PAYLOAD,
  extendedRcode: 0,
  ednsVersion: 0,
  flags: 0,
  flag_do: false,
  options: [],
};

/** The wire form of a recursive query for `name` (lower case, no trailing dot), EDNS0 unless `edns` is false. */
export function encodeQuery(id: number, name: string, type: "SRV" | "A", edns: boolean): Buffer {
  return dnsPacket.encode({
    type: "query",
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type, class: "IN" }],
    additionals: edns ? [EDNS_OPT] : [],
  });
}

function bareName(name: string): string {
  return name === "." ? "" : name.toLowerCase();
}

/** The RFC 5952 text Node prints for an IPv6 address (dns-packet leaves runs of zeros long). */
function ipv6Text(text: string): string {
  return new SocketAddress({ address: text, family: "ipv6" }).address;
}

/** RFC 2181 §8: a TTL with the top bit set is to be taken as zero. */
function ttlOf(raw: number | undefined): number {
  return raw === undefined || raw > 0x7fffffff ? 0 : raw;
}

function toRecord(a: dnsPacket.Answer): WireRecord {
  const name = bareName(a.name);
  if (a.type === "OPT") return { name, type: a.type, ttl: 0, data: undefined };
  const ttl = ttlOf(a.ttl);
  switch (a.type) {
    case "A":
      if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(a.data))
        throw new MalformedMessageError("A record data is not 4 bytes");
      return { name, type: a.type, ttl, data: a.data };
    case "AAAA":
      return { name, type: a.type, ttl, data: ipv6Text(a.data) };
    case "CNAME":
      return { name, type: a.type, ttl, data: bareName(a.data) };
    case "SRV": {
      const { priority = 0, weight = 0, port, target } = a.data;
      return { name, type: a.type, ttl, data: { priority, weight, port, target: bareName(target) } };
    }
    case "SOA":
      return { name, type: a.type, ttl, data: Math.min(ttl, ttlOf(a.data.minimum)) };
    default:
      return { name, type: a.type, ttl, data: undefined };
  }
}

/**
 * Decodes a whole message. Throws {@link MalformedMessageError} for anything that does not
 * parse; records of types the resolver does not read are kept with undefined data. A truncated
 * answer (TC) may stop anywhere: only its header and question are read, since we go to TCP.
 */
export function decodeMessage(buf: Buffer): WireMessage {
  if (buf.length < 12) throw new MalformedMessageError("shorter than a header");
  const flags = buf.readUInt16BE(2);
  const truncated = (flags & FLAG_TC) !== 0;
  let bytes = buf;
  if (truncated) {
    bytes = Buffer.from(buf);
    bytes.fill(0, 6, 12);
  }
  let packet: dnsPacket.DecodedPacket;
  try {
    packet = dnsPacket.decode(bytes);
  } catch (err) {
    throw new MalformedMessageError((err as Error).message, { cause: err });
  }
  // dns-packet reads fixed-size record data without checking what is left: a short message
  // yields `undefined` bytes rather than an error, so the length it consumed is checked here.
  if (dnsPacket.decode.bytes > buf.length) throw new MalformedMessageError("record data runs past the end");
  const question = packet.questions?.[0];
  return {
    id: packet.id ?? 0,
    flags,
    rcode: flags & 0x0f,
    truncated,
    questionName: question ? bareName(question.name) : "",
    questionType: question?.type ?? "",
    questionClass: question?.class ?? "",
    questionCount: packet.questions?.length ?? 0,
    answers: (packet.answers ?? []).map(toRecord),
    authorities: (packet.authorities ?? []).map(toRecord),
    additionals: (packet.additionals ?? []).map(toRecord),
  };
}
