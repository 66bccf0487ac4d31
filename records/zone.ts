// Zone and host naming: the one place that decides what a valid zone name and host id look like.
import { type Problem, problem } from "./problems";

export const DEFAULT_ZONE = "servicediscovery.internal";
/** TTL of instance (SRV) records: short, so that a stop leaves caches quickly. */
export const DEFAULT_SRV_TTL = 10;
/** TTL of host (A) records: hosts change far less often than containers. */
export const HOST_TTL = 60;

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** Host ids are one DNS label; 53 characters keeps every SetIdentifier within Route53's 128 (see setIdentifier.ts). */
export const MAX_HOST_ID_LENGTH = 53;

/** Lower-cases a zone name and drops a trailing dot; returns a problem when it is not a DNS name. */
export function normalizeZone(zone: string): { zone: string } | { problem: Problem } {
  const z = zone.trim().toLowerCase().replace(/\.$/, "");
  const labels = z.split(".");
  if (z.length === 0 || z.length > 253 || labels.length < 2 || !labels.every((l) => LABEL.test(l))) {
    return {
      problem: problem(
        "invalid-zone",
        zone,
        `zone "${zone}" is not a DNS name of two or more labels of a-z, 0-9 and "-"`,
      ),
    };
  }
  return { zone: z };
}

/** Checks a host id (EC2 instance id, or a configured name in the local stack). */
export function checkHostId(hostId: string): Problem | undefined {
  if (hostId.length > MAX_HOST_ID_LENGTH || !LABEL.test(hostId)) {
    return problem(
      "invalid-host-id",
      hostId,
      `host id "${hostId}" must be one DNS label of at most ${MAX_HOST_ID_LENGTH} characters: lower-case a-z, 0-9 and "-", not starting or ending with "-"`,
    );
  }
  return undefined;
}

// The shapes of the names our writers give address records: EC2 instance ids (`i-` and 8 or 17 hex digits),
// ECS task ids (32 hex digits, or a UUID in older accounts). A service label of one of these shapes would
// make `_<label>._tcp.<zone>` a service beside `<label>.<zone>`, a host or task that has an address.
const INSTANCE_ID = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;
const TASK_ID = /^([0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** Whether a DNS label (lower case) has the shape of a host's or a task's record name. */
export function isHostOrTaskLabel(label: string): boolean {
  return INSTANCE_ID.test(label) || TASK_ID.test(label);
}

/**
 * The same shapes, and the services', as IAM name patterns relative to the zone (`?` one character, `*` any
 * run, dots included), so that a role can change the names our writers use and no other name in a zone a
 * customer shares with us. A host on AWS is named by its EC2 instance id.
 */
export const RECORD_NAME_PATTERNS = {
  /** `_<service>._tcp`, `_<service>._udp` (SRV sets and the TXT markers beside them). */
  services: ["_*._tcp", "_*._udp"],
  /** `<EC2 instance id>`: `i-` and 8 or 17 hex digits. */
  hosts: [`i-${"?".repeat(8)}`, `i-${"?".repeat(17)}`],
  /** `<ECS task id>`: 32 hex digits, or a UUID in older accounts. */
  tasks: ["?".repeat(32), "????????-????-????-????-????????????"],
} as const;

/** `<taskId>.<zone>` (lower-case), the name of an awsvpc task's A record and the target of its SRV records. */
export function taskRecordName(taskId: string, zone: string): string {
  return `${taskId.toLowerCase()}.${zone}`;
}

/** `<hostId>.<zone>`, the name of a host's A record and the target of its SRV records. */
export function hostRecordName(hostId: string, zone: string): string {
  return `${hostId}.${zone}`;
}

/** Lower-cases a DNS name and removes the trailing dot, for comparing names from any source. */
export function canonicalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}

// DNS names in presentation form, as Route53 takes and returns them: `\ddd` (octal) and `\c`
// escapes allowed, any other byte printable ASCII. The canonical form is lower case, has no
// trailing dot, and writes every byte other than a-z, 0-9, `-` and `_` as a backslash and three
// octal digits, as Route53 does ("*" comes back as "\052"); the root is "". For names of letters,
// digits, `-` and `_` (every name the record contract builds) it equals canonicalName.

const MAX_NAME_WIRE_LENGTH = 255;
const MAX_LABEL_LENGTH = 63;

function isPlainByte(b: number): boolean {
  return (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x5f;
}

/** Canonical text of one label given as raw bytes (from the wire or from parsed input). */
export function canonicalLabel(bytes: ArrayLike<number>, start = 0, end = bytes.length): string {
  let out = "";
  for (let i = start; i < end; i++) {
    let b = bytes[i]!;
    if (b >= 0x41 && b <= 0x5a) b += 0x20;
    out += isPlainByte(b) ? String.fromCharCode(b) : `\\${b.toString(8).padStart(3, "0")}`;
  }
  return out;
}

/** Label bytes of a name in presentation form, or why it is not a DNS name (a phrase: "has ..."). */
function parseLabels(text: string): number[][] | string {
  if (typeof text !== "string" || text.length === 0) return "is empty";
  const body = text.endsWith(".") && !text.endsWith("\\.") ? text.slice(0, -1) : text;
  const labels: number[][] = [];
  if (body.length === 0) return labels;
  let current: number[] = [];
  let i = 0;
  while (i < body.length) {
    const code = body.charCodeAt(i);
    if (code === 0x5c) {
      const octal = body.slice(i + 1, i + 4);
      if (/^[0-3][0-7]{2}$/.test(octal)) {
        current.push(Number.parseInt(octal, 8));
        i += 4;
        continue;
      }
      const next = body.charCodeAt(i + 1);
      if (Number.isNaN(next)) return "ends with a lone backslash";
      current.push(next);
      i += 2;
      continue;
    }
    if (code === 0x2e) {
      if (current.length === 0) return "has an empty label";
      labels.push(current);
      current = [];
      i++;
      continue;
    }
    if (code < 0x21 || code > 0x7e) {
      return `contains the character ${JSON.stringify(body[i])}, which is not printable ASCII (use an octal escape such as \\052)`;
    }
    current.push(code);
    i++;
  }
  if (current.length === 0) return "has an empty label";
  labels.push(current);
  let wire = 1;
  for (const label of labels) {
    if (label.length > MAX_LABEL_LENGTH) return `has a label longer than ${MAX_LABEL_LENGTH} bytes`;
    wire += label.length + 1;
  }
  if (wire > MAX_NAME_WIRE_LENGTH) return `is longer than ${MAX_NAME_WIRE_LENGTH} bytes on the wire`;
  return labels;
}

/**
 * The canonical form of a DNS name given in presentation form, e.g. `_Calc._tcp.Example.internal.`
 * → `_calc._tcp.example.internal`, `*.example.internal` → `\052.example.internal`, `.` → ``.
 * Returns a problem when it is not a valid DNS name; its `reason` says why as a phrase ("has an
 * empty label") for callers that word their own message.
 */
export function parseDnsName(text: string): { name: string } | { problem: Problem; reason: string } {
  const labels = parseLabels(text);
  if (typeof labels === "string") {
    return {
      problem: problem("invalid-dns-name", String(text), `DNS name ${JSON.stringify(text)} ${labels}`),
      reason: labels,
    };
  }
  return { name: labels.map((l) => canonicalLabel(l)).join(".") };
}

/** Why `text` is not a valid DNS name in presentation form, or undefined when it is one. */
export function dnsNameProblem(text: string): Problem | undefined {
  const parsed = parseDnsName(text);
  return "problem" in parsed ? parsed.problem : undefined;
}
