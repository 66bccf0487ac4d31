// Resource records from Route53 value strings, encoded by dns-packet (RFC 1035 §3.2, §4.1.3).
// Records are encoded once per owner name and zone version and copied into answers, so this is
// not on the per-query path; what is ours is turning a Route53 value into dns-packet's data.
import * as dnsPacket from "dns-packet";
import { packetName, storedName } from "./dnsName";
import { parseCharacterStrings, type RecordType } from "./route53Records";

/** RR type codes of the types the DNS side serves. */
export const TYPE_CODES: Partial<Record<RecordType, number>> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  SPF: 99,
  CAA: 257,
};

export const QTYPE_ANY = 255;
export const CLASS_IN = 1;

// dns-packet exports a codec per section and per record type (`answer`, `txt`, ...); its type
// declarations only name the whole-packet ones.
const codecs = dnsPacket as unknown as {
  answer: { encode(record: dnsPacket.Answer): Buffer };
  txt: { encode(strings: Buffer[]): Buffer };
};

/** Pointer to the question name, which always starts at offset 12 (RFC 1035 §4.1.4). */
const QUESTION_NAME_POINTER = Buffer.from([0xc0, 0x0c]);

/** A domain name inside a value, as dns-packet takes it; undefined when it cannot be written. */
function nameIn(text: string | undefined): string | undefined {
  return text === undefined ? undefined : packetName(storedName(text));
}

/** What dns-packet encodes for one value, or null for a value the DNS side does not serve. */
function recordOf(type: RecordType, ttl: number, owner: string, value: string): dnsPacket.Answer | null {
  const f = value.trim().split(/\s+/);
  switch (type) {
    case "A":
    case "AAAA":
      return { type, name: owner, ttl, data: value };
    case "SRV": {
      const target = nameIn(f[3]);
      if (target === undefined) return null;
      const [priority, weight, port] = f.map(Number);
      return { type, name: owner, ttl, data: { priority, weight, port: port!, target } };
    }
    case "CNAME":
    case "NS":
    case "PTR": {
      const target = nameIn(f[0]);
      return target === undefined ? null : { type, name: owner, ttl, data: target };
    }
    case "MX": {
      const exchange = nameIn(f[1]);
      return exchange === undefined
        ? null
        : { type, name: owner, ttl, data: { preference: Number(f[0]), exchange } };
    }
    case "SOA": {
      const [mname, rname] = [nameIn(f[0]), nameIn(f[1])];
      if (mname === undefined || rname === undefined) return null;
      const [serial, refresh, retry, expire, minimum] = f.slice(2, 7).map(Number);
      return { type, name: owner, ttl, data: { mname, rname, serial, refresh, retry, expire, minimum } };
    }
    case "TXT": {
      const strings = parseCharacterStrings(value);
      return typeof strings === "string" ? null : { type, name: owner, ttl, data: strings };
    }
    case "SPF": {
      // dns-packet has no SPF codec; SPF RDATA is TXT RDATA (RFC 7208 §3.1), less its length.
      const strings = parseCharacterStrings(value);
      if (typeof strings === "string") return null;
      return { type: "SPF" as "NULL", name: owner, ttl, data: codecs.txt.encode(strings).subarray(2) };
    }
    case "CAA": {
      const m = /^(\d{1,3})\s+([A-Za-z0-9]+)\s+(.*)$/.exec(value.trim());
      if (!m) return null;
      const raw = m[3]!.startsWith('"') && m[3]!.endsWith('"') ? m[3]!.slice(1, -1) : m[3]!;
      // Any tag is written as given; the declared union only lists the tags RFC 8659 defines.
      const tag = m[2]! as dnsPacket.CaaData["tag"];
      return { type, name: owner, ttl, data: { flags: Number(m[1]), tag, value: raw } };
    }
    default:
      return null;
  }
}

/**
 * One whole RR for a value of a set (class IN), or null for a value the DNS side does not serve.
 * `owner` is a stored name, written out in full; without one, the owner is a compression pointer
 * to the question name, so the RR can be copied into the answer to any question it answers.
 */
export function encodeRecord(type: RecordType, ttl: number, value: string, owner?: string): Buffer | null {
  const ownerName = owner === undefined ? "." : packetName(owner);
  if (ownerName === undefined) return null;
  let bytes: Buffer;
  try {
    const record = recordOf(type, ttl, ownerName, value);
    if (record === null) return null;
    bytes = codecs.answer.encode(record);
  } catch {
    // The API validates values, but a restored data file is only as good as whoever wrote it:
    // a value dns-packet cannot encode is not served, rather than failing every query at the name.
    return null;
  }
  if (owner !== undefined) return bytes;
  // The root owner is one zero byte; the pointer takes its place (RFC 1035 §4.1.4).
  return Buffer.concat([QUESTION_NAME_POINTER, bytes.subarray(1)]);
}
