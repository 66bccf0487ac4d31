// DNS messages for one question: the query id we draw and the checks an answer must pass.
import { randomFillSync } from "node:crypto";
import * as protocol from "./dnsProtocol";
import { decodeMessage, type SrvData, sameQuestion, type WireMessage, type WireRecord } from "./dnsWire";

// Imported values read once into constants: where modules are compiled to CommonJS by esbuild (tsx runs the
// local zone and the tests that way), each use of an imported binding calls a getter, and those getters were a
// quarter of the local zone's time per query.
const { FLAG_QR, HEADER_LENGTH, OPCODE_MASK, RCODE_NAMES, RCODE_NXDOMAIN } = protocol;

/** Record types the resolver asks for. */
export type QueryType = "SRV" | "A" | "TXT";

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
 * Decodes `msg` if it answers `query`, which asked for `name` (RFC 5452 §9.1: the id and the one question's
 * name, type and class must match; the caller checks the source address and port). Returns undefined for
 * anything else, including bytes that do not decode, so a hostile packet is ignored rather than trusted.
 */
export function matchResponse(msg: Buffer, query: Buffer, name: string): WireMessage | undefined {
  if (msg.length < HEADER_LENGTH || msg[0] !== query[0] || msg[1] !== query[1]) return undefined;
  const flags = msg.readUInt16BE(2);
  if ((flags & FLAG_QR) === 0 || (flags & OPCODE_MASK) !== 0) return undefined;
  const questionEnd = sameQuestion(msg, query);
  if (questionEnd < 0) return undefined;
  try {
    return decodeMessage(msg, name, questionEnd);
  } catch {
    return undefined;
  }
}

/** What an accepted answer means for the question asked. */
export type Interpretation =
  | { readonly kind: "records"; readonly records: WireRecord[]; readonly owner: string }
  | {
      readonly kind: "negative";
      readonly reason: "NXDOMAIN" | "NODATA";
      readonly negativeTtl: number | undefined;
    }
  | { readonly kind: "failure"; readonly outcome: string };

const MAX_CNAME_CHAIN = 8;

/** RFC 2308 §5: a negative answer is cached for min(SOA TTL, SOA MINIMUM) of the authority SOA. */
function negativeTtl(message: WireMessage): number | undefined {
  for (const rr of message.authorities) if (rr.type === "SOA") return rr.data as number;
  return undefined;
}

/**
 * Reads an accepted answer: the records of the asked type (following a CNAME chain inside the
 * answer), a negative answer with its cache time, or a failure code that sends us to the next server.
 */
export function interpret(message: WireMessage, name: string, type: QueryType): Interpretation {
  const rcode = message.rcode;
  if (rcode === RCODE_NXDOMAIN)
    return { kind: "negative", reason: "NXDOMAIN", negativeTtl: negativeTtl(message) };
  if (rcode !== 0) return { kind: "failure", outcome: RCODE_NAMES[rcode] ?? `RCODE${rcode}` };
  const answers = message.answers;
  let owner = name;
  for (let hops = 0; hops < MAX_CNAME_CHAIN; hops++) {
    const cname = answers.find((rr) => rr.type === "CNAME" && rr.name === owner);
    if (!cname) break;
    owner = cname.data as string;
  }
  const records = answers.filter((rr) => rr.type === type && rr.name === owner);
  if (records.length === 0) return { kind: "negative", reason: "NODATA", negativeTtl: negativeTtl(message) };
  return { kind: "records", records, owner };
}

export type { SrvData, WireMessage, WireRecord };
