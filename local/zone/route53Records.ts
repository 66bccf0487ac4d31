// Route53 resource record sets as the local zone stores them: the model, the ordering that
// ListResourceRecordSets documents, the equality DELETE requires, and value validation.
import { isIPv4, isIPv6 } from "node:net";
import { DomainNameError, reversedNameKey, storedName } from "./dnsName";

/** Record types Route53 accepts in ChangeResourceRecordSets (RRType in the API reference). */
export const RECORD_TYPES = [
  "A",
  "AAAA",
  "CAA",
  "CNAME",
  "DS",
  "HTTPS",
  "MX",
  "NAPTR",
  "NS",
  "PTR",
  "SOA",
  "SPF",
  "SRV",
  "SSHFP",
  "SVCB",
  "TLSA",
  "TXT",
] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export function isRecordType(value: string): value is RecordType {
  return (RECORD_TYPES as readonly string[]).includes(value);
}

/**
 * One resource record set as the local zone stores it: `name` in the stored form (see dnsName.ts), values as
 * strings. Not records/'s RecordSet, which is Route53's wire shape (`Name`, `ResourceRecords`) that our
 * writers send.
 */
export interface StoredRecordSet {
  name: string;
  type: RecordType;
  setIdentifier?: string;
  /** Weighted routing: 0–255. */
  weight?: number;
  /** Multivalue answer routing. */
  multiValueAnswer?: boolean;
  ttl: number;
  values: string[];
  healthCheckId?: string;
}

/** @deprecated The old name of StoredRecordSet, kept while code still uses it. */
export type RecordSet = StoredRecordSet;

/** The routing policy a record set uses; a name and type never mixes two of them. */
export type StoredRouting = "simple" | "weighted" | "multivalue";

export function storedRouting(set: StoredRecordSet): StoredRouting {
  if (set.setIdentifier === undefined) return "simple";
  return set.weight !== undefined ? "weighted" : "multivalue";
}

export function storedSetKey(name: string, type: string, setIdentifier?: string): string {
  return `${name}\u0000${type}\u0000${setIdentifier ?? ""}`;
}

export function keyOf(set: StoredRecordSet): string {
  return storedSetKey(set.name, set.type, set.setIdentifier);
}

/** The key of a name and type, for the rules and indexes about all the sets they hold. */
export function nameTypeKey(name: string, type: string): string {
  return `${name}\u0000${type}`;
}

/** How Route53 names a record set in InvalidChangeBatch messages. */
export function describeSet(set: { name: string; type: string; setIdentifier?: string }): string {
  const id = set.setIdentifier === undefined ? "" : `, set-identifier='${set.setIdentifier}'`;
  return `[name='${set.name}', type='${set.type}'${id}]`;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * ListResourceRecordSets order: name with labels reversed, then type, then SetIdentifier
 * (a set without one first).
 */
export function compareRecordPosition(
  a: { name: string; type: string; setIdentifier?: string },
  b: { name: string; type: string; setIdentifier?: string },
): number {
  return (
    compareStrings(reversedNameKey(a.name), reversedNameKey(b.name)) ||
    compareStrings(a.type, b.type) ||
    compareStrings(a.setIdentifier ?? "", b.setIdentifier ?? "")
  );
}

/** Which whitespace-separated fields of a value are domain names, per type (RFC 1035, RFC 2782). */
const DOMAIN_NAME_FIELDS: Partial<Record<RecordType, readonly number[]>> = {
  CNAME: [0],
  NS: [0],
  PTR: [0],
  MX: [1],
  SRV: [3],
  SOA: [0, 1],
};

/**
 * A value as DELETE compares it: domain names inside it made canonical (trailing dot, lower
 * case). Route53 takes every domain name as fully qualified with or without the trailing dot
 * (API reference, ResourceRecordSet `Name`: "treats www.example.com (without a trailing dot) and
 * www.example.com. (with a trailing dot) as identical"), and it applies this to names inside
 * values too: a change that only adds the dot to a CNAME value is a no-op on Route53, and a
 * DELETE written without the dot removes a value stored with it (octodns/octodns-route53#96).
 * Values of other types, and fields that do not parse as names, are compared as written.
 */
export function comparableValue(type: RecordType, value: string): string {
  const fields = DOMAIN_NAME_FIELDS[type];
  if (!fields) return value;
  const parts = value.trim().split(/\s+/);
  for (const i of fields) {
    const part = parts[i];
    if (part === undefined || !isDomainName(part)) return value;
    parts[i] = storedName(part);
  }
  return parts.join(" ");
}

/**
 * DELETE must name the current set exactly: TTL, values (in any order, domain names in them
 * compared as fully qualified, see comparableValue) and routing fields.
 */
export function sameRecordSet(a: StoredRecordSet, b: StoredRecordSet): boolean {
  if (a.ttl !== b.ttl || a.weight !== b.weight || a.healthCheckId !== b.healthCheckId) return false;
  if (Boolean(a.multiValueAnswer) !== Boolean(b.multiValueAnswer)) return false;
  if (a.values.length !== b.values.length) return false;
  const left = a.values.map((v) => comparableValue(a.type, v)).sort();
  const right = b.values.map((v) => comparableValue(b.type, v)).sort();
  return left.every((v, i) => v === right[i]);
}

/** Route53's longest accepted value, in characters. */
export const MAX_VALUE_LENGTH = 4000;

function fatal(code: string, explanation: string, value: string): string {
  return `Invalid Resource Record: 'FATAL problem: ${code} (${explanation}) encountered with '${value}''`;
}

function isUint(text: string | undefined, max: number): boolean {
  return text !== undefined && /^\d{1,10}$/.test(text) && Number(text) <= max;
}

function isDomainName(text: string | undefined): boolean {
  if (text === undefined) return false;
  try {
    storedName(text);
    return true;
  } catch (err) {
    if (err instanceof DomainNameError) return false;
    throw err;
  }
}

/**
 * Splits a TXT/SPF value into its character-strings: `"a b" "c"` → ["a b", "c"]; an unquoted
 * value is whitespace-separated words. Escapes: `\"`, `\\` and Route53's octal `\ddd`.
 * Returns a problem text instead when the quoting is unbalanced or a string is too long.
 */
export function parseCharacterStrings(value: string): Buffer[] | string {
  const out: Buffer[] = [];
  let i = 0;
  while (i < value.length) {
    while (i < value.length && /\s/.test(value[i]!)) i++;
    if (i >= value.length) break;
    const quoted = value[i] === '"';
    if (quoted) i++;
    const bytes: number[] = [];
    let closed = !quoted;
    while (i < value.length) {
      const ch = value[i]!;
      if (ch === "\\") {
        const octal = value.slice(i + 1, i + 4);
        if (/^[0-3][0-7]{2}$/.test(octal)) {
          bytes.push(Number.parseInt(octal, 8));
          i += 4;
          continue;
        }
        if (i + 1 >= value.length) return "ends with a lone backslash";
        bytes.push(...Buffer.from(value[i + 1]!, "utf8"));
        i += 2;
        continue;
      }
      if (quoted && ch === '"') {
        closed = true;
        i++;
        break;
      }
      if (!quoted && /\s/.test(ch)) break;
      bytes.push(...Buffer.from(ch, "utf8"));
      i++;
    }
    if (!closed) return "has an unterminated quoted string";
    if (bytes.length > 255) return "has a character-string longer than 255 bytes";
    out.push(Buffer.from(bytes));
  }
  if (out.length === 0) out.push(Buffer.alloc(0));
  return out;
}

/**
 * Checks one value of a record of `type`; returns the InvalidChangeBatch message, or null.
 */
export function valueProblem(type: RecordType, value: string): string | null {
  if (value.length > MAX_VALUE_LENGTH) {
    return fatal("RRDATATooLong", `Value is longer than ${MAX_VALUE_LENGTH} characters`, value.slice(0, 64));
  }
  const fields = value.trim().split(/\s+/);
  switch (type) {
    case "A":
      return isIPv4(value) && !/(^|\.)0\d/.test(value)
        ? null
        : fatal("ARRDATAIllegalIPv4Address", "Value is not a valid IPv4 address", value);
    case "AAAA":
      return isIPv6(value)
        ? null
        : fatal("AAAARRDATAIllegalIPv6Address", "Value is not a valid IPv6 address", value);
    case "SRV": {
      if (fields.length < 4)
        return fatal("SRVRDATATooFewFields", "SRV value must be 'priority weight port target'", value);
      if (fields.length > 4)
        return fatal("SRVRDATATooManyFields", "SRV value must be 'priority weight port target'", value);
      const [priority, weight, port, target] = fields;
      if (!isUint(priority, 65535))
        return fatal("SRVRDATAIllegalPriority", "Priority must be 0-65535", value);
      if (!isUint(weight, 65535)) return fatal("SRVRDATAIllegalWeight", "Weight must be 0-65535", value);
      if (!isUint(port, 65535)) return fatal("SRVRDATAIllegalPort", "Port must be 0-65535", value);
      return isDomainName(target)
        ? null
        : fatal("SRVRDATAIllegalTarget", "Target is not a valid domain name", value);
    }
    case "MX":
      if (fields.length !== 2)
        return fatal("MXRDATAWrongFieldCount", "MX value must be 'preference host'", value);
      if (!isUint(fields[0], 65535))
        return fatal("MXRDATAIllegalPreference", "Preference must be 0-65535", value);
      return isDomainName(fields[1])
        ? null
        : fatal("MXRDATAIllegalHost", "Host is not a valid domain name", value);
    case "CNAME":
    case "NS":
    case "PTR":
      return fields.length === 1 && isDomainName(fields[0])
        ? null
        : fatal(`${type}RDATAIllegalName`, "Value is not a valid domain name", value);
    case "SOA": {
      if (fields.length !== 7) {
        return fatal("SOARDATAWrongFieldCount", "SOA value must have 7 fields", value);
      }
      if (!isDomainName(fields[0]) || !isDomainName(fields[1])) {
        return fatal("SOARDATAIllegalName", "MNAME and RNAME must be domain names", value);
      }
      return fields.slice(2).every((f) => isUint(f, 4294967295))
        ? null
        : fatal("SOARDATAIllegalNumber", "Serial and timers must be 0-4294967295", value);
    }
    case "TXT":
    case "SPF": {
      const parsed = parseCharacterStrings(value);
      return typeof parsed === "string" ? fatal(`${type}RDATAMalformed`, `Value ${parsed}`, value) : null;
    }
    case "CAA": {
      const m = /^(\d{1,3})\s+([A-Za-z0-9]+)\s+(".*"|\S+)$/.exec(value.trim());
      return m && Number(m[1]) <= 255
        ? null
        : fatal("CAARDATAMalformed", "CAA value must be 'flags tag \"value\"'", value);
    }
    default:
      return value.trim().length > 0 ? null : fatal("RRDATAEmpty", "Value is empty", value);
  }
}
