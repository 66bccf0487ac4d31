// Resource records from Route53 value strings (RFC 1035 §3.2, §4.1.3), written by the resolver's DNS codec (its
// server half). Records are encoded once per owner name and zone version and copied into answers, so this is not
// on the per-query path; what is ours is turning a Route53 value into the record the codec writes.
import { TYPE_CODES as CODEC_TYPE_CODES, HEADER_LENGTH } from "../../resolver/src/dnsProtocol";
import { encodeRecord as encodeWireRecord, type RecordToEncode } from "../../resolver/src/dnsWireServer";
import { packetName, storedName } from "./dnsName";
import { parseCharacterStrings, type RecordType } from "./route53Records";

/** RR type codes of the types the DNS side serves: those the resolver's codec writes. */
export const TYPE_CODES: Partial<Record<RecordType, number>> = CODEC_TYPE_CODES;

/** A domain name inside a value, as the codec takes it; undefined when it is not served (see packetName). */
function nameIn(text: string | undefined): string | undefined {
  return text === undefined ? undefined : packetName(storedName(text));
}

/** The record the codec writes for one value, or null for a value the DNS side does not serve. */
function recordOf(type: RecordType, ttl: number, owner: string, value: string): RecordToEncode | null {
  const f = value.trim().split(/\s+/);
  switch (type) {
    case "A":
    case "AAAA":
      return { type, name: owner, ttl, data: value };
    case "SRV": {
      const target = nameIn(f[3]);
      if (target === undefined) return null;
      const [priority, weight, port] = f.map(Number);
      return { type, name: owner, ttl, data: { priority: priority!, weight: weight!, port: port!, target } };
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
      return {
        type,
        name: owner,
        ttl,
        data: {
          mname,
          rname,
          serial: serial!,
          refresh: refresh!,
          retry: retry!,
          expire: expire!,
          minimum: minimum!,
        },
      };
    }
    case "TXT": {
      const strings = parseCharacterStrings(value);
      return typeof strings === "string" ? null : { type, name: owner, ttl, data: strings };
    }
    case "SPF": {
      const strings = parseCharacterStrings(value);
      return typeof strings === "string" ? null : { type, name: owner, ttl, data: strings };
    }
    case "CAA": {
      const m = /^(\d{1,3})\s+([A-Za-z0-9]+)\s+(.*)$/.exec(value.trim());
      if (!m) return null;
      const raw = m[3]!.startsWith('"') && m[3]!.endsWith('"') ? m[3]!.slice(1, -1) : m[3]!;
      return { type, name: owner, ttl, data: { flags: Number(m[1]), tag: m[2]!, value: raw } };
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
  try {
    const record = recordOf(type, ttl, ownerName, value);
    // Without an owner, a pointer to the question name takes its place (RFC 1035 §4.1.4).
    return record === null ? null : encodeWireRecord(record, owner === undefined ? HEADER_LENGTH : undefined);
  } catch {
    // The API validates values, but a restored data file is only as good as whoever wrote it:
    // a value the codec cannot encode is not served, rather than failing every query at the name.
    return null;
  }
}
