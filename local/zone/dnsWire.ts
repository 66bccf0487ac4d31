// DNS wire encoding of resource records from Route53 value strings (RFC 1035 §3.2, §4.1.3).
// Records are encoded once per zone version and copied into answers, so this is not on the
// per-query path.
import { canonicalName, encodeWireName } from "./dnsName";
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

/** Pointer to the question name, which always starts at offset 12 (RFC 1035 §4.1.4). */
export const QUESTION_NAME_POINTER = Buffer.from([0xc0, 0x0c]);

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function ipv4(text: string): Buffer {
  return Buffer.from(text.split(".").map(Number));
}

function ipv6(text: string): Buffer {
  let head = text;
  let v4: Buffer | undefined;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    v4 = ipv4(text.slice(lastColon + 1));
    head = text.slice(0, lastColon + 1) + "0:0";
  }
  const [left, right] = head.includes("::") ? head.split("::") : [head, undefined];
  const l = left ? left.split(":") : [];
  const r = right ? right.split(":") : [];
  const groups = right === undefined ? l : [...l, ...Array(8 - l.length - r.length).fill("0"), ...r];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => {
    out.writeUInt16BE(Number.parseInt(g || "0", 16), i * 2);
  });
  if (v4) v4.copy(out, 12);
  return out;
}

function name(text: string): Buffer {
  return encodeWireName(canonicalName(text));
}

/** RDATA of one value, or null for a type the DNS side does not serve. */
export function encodeRdata(type: RecordType, value: string): Buffer | null {
  const f = value.trim().split(/\s+/);
  switch (type) {
    case "A":
      return ipv4(value);
    case "AAAA":
      return ipv6(value);
    case "SRV":
      return Buffer.concat([u16(Number(f[0])), u16(Number(f[1])), u16(Number(f[2])), name(f[3]!)]);
    case "CNAME":
    case "NS":
    case "PTR":
      return name(f[0]!);
    case "MX":
      return Buffer.concat([u16(Number(f[0])), name(f[1]!)]);
    case "SOA":
      return Buffer.concat([name(f[0]!), name(f[1]!), ...f.slice(2, 7).map((n) => u32(Number(n)))]);
    case "TXT":
    case "SPF": {
      const strings = parseCharacterStrings(value);
      if (typeof strings === "string") return null;
      return Buffer.concat(strings.flatMap((s) => [Buffer.from([s.length]), s]));
    }
    case "CAA": {
      const m = /^(\d{1,3})\s+([A-Za-z0-9]+)\s+(.*)$/.exec(value.trim());
      if (!m) return null;
      const tag = Buffer.from(m[2]!, "ascii");
      const raw = m[3]!.startsWith('"') && m[3]!.endsWith('"') ? m[3]!.slice(1, -1) : m[3]!;
      return Buffer.concat([Buffer.from([Number(m[1]), tag.length]), tag, Buffer.from(raw, "utf8")]);
    }
    default:
      return null;
  }
}

/** One whole RR: owner (wire name, or the question pointer), type, class IN, TTL, RDATA. */
export function encodeRecord(owner: Buffer, typeCode: number, ttl: number, rdata: Buffer): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(typeCode, 0);
  fixed.writeUInt16BE(CLASS_IN, 2);
  fixed.writeUInt32BE(ttl >>> 0, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([owner, fixed, rdata]);
}
