// The record sets we write, in the shape of Route53's ResourceRecordSet (so the SDK takes them as they are),
// and the SRV value format. Nothing else in the repository builds these by hand.
import { type Problem, problem } from "./problems";
import type { ServiceDeclaration } from "./serviceDeclarations";
import {
  checkDeployment,
  hostSetIdentifier,
  type InstanceIdentity,
  instanceSetIdentifier,
  parseSetIdentifier,
  taskSetIdentifier,
} from "./setIdentifier";
import { DEFAULT_SRV_TTL, HOST_TTL, hostRecordName, taskRecordName } from "./zone";

export type RoutingPolicy = "multivalue" | "weighted";

/**
 * The record types we write: SRV for instances, A for hosts and tasks, TXT for health markers (healthMarkers.ts)
 * and for the AZ sets beside hosts' and tasks' A sets (availabilityZones.ts).
 */
export type OwnRecordType = "SRV" | "A" | "TXT";
/** Every record type Route53 stores (its RRType): a zone read back holds SOA, NS and others' sets too. */
export type ZoneRecordType =
  | "A"
  | "AAAA"
  | "CAA"
  | "CNAME"
  | "DS"
  | "HTTPS"
  | "MX"
  | "NAPTR"
  | "NS"
  | "PTR"
  | "SOA"
  | "SPF"
  | "SRV"
  | "SSHFP"
  | "SVCB"
  | "TLSA"
  | "TXT";

/**
 * A record set as Route53 stores it; names are lower-case and without the trailing dot. It carries every
 * field a DELETE must repeat exactly (TTL, routing, values, and for sets written by others an alias
 * target or health check), so a set read from the zone can be deleted as it was read.
 */
export interface RecordSet<T extends ZoneRecordType = OwnRecordType> {
  Name: string;
  Type: T;
  /** 0 for an alias record set, which has no TTL of its own. */
  TTL: number;
  /** "" when the set has none (simple routing: never ours). */
  SetIdentifier: string;
  MultiValueAnswer?: boolean;
  Weight?: number;
  /** Empty for an alias record set. */
  ResourceRecords: { Value: string }[];
  AliasTarget?: { HostedZoneId: string; DNSName: string; EvaluateTargetHealth: boolean };
  HealthCheckId?: string;
}

/** Any record set of a zone, ours or somebody else's. */
export type ZoneRecordSet = RecordSet<ZoneRecordType>;

/** True for a set of a type we write that holds values (not an alias): the only kind we ever own. */
export function isOwnType(rs: ZoneRecordSet): rs is RecordSet {
  return (rs.Type === "SRV" || rs.Type === "A" || rs.Type === "TXT") && rs.AliasTarget === undefined;
}

/**
 * True for a set one of our writers made: a type we write, with values, whose SetIdentifier parses as ours
 * and names what that type is written for (an instance's or a task's SRV set, a TXT health marker beside an
 * instance, a host's or a task's A set and the TXT AZ set beside it). Whatever else a zone holds, however close,
 * belongs to somebody else and is left alone.
 */
export function isWrittenByUs(rs: ZoneRecordSet): rs is RecordSet {
  if (!isOwnType(rs)) return false;
  const identity = parseSetIdentifier(rs.SetIdentifier);
  if (identity === undefined) return false;
  if (rs.Type === "A") return identity.kind === "host" || identity.kind === "task";
  if (rs.Type === "SRV") return identity.kind === "instance" || identity.kind === "task-instance";
  // TXT: the health markers beside an agent's instance, and the AZ set beside a host's or a task's A set.
  return identity.kind === "instance" || identity.kind === "host" || identity.kind === "task";
}

export interface SrvValue {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

/** `<priority> <weight> <port> <target>` (RFC 2782 order). */
export function formatSrvValue(v: SrvValue): string {
  return `${v.priority} ${v.weight} ${v.port} ${v.target}`;
}

/** Parses an SRV value as Route53 returns it; the target loses any trailing dot. */
export function parseSrvValue(value: string): SrvValue | undefined {
  const m = /^\s*(\d{1,5})\s+(\d{1,5})\s+(\d{1,5})\s+(\S+?)\.?\s*$/.exec(value);
  if (!m) return undefined;
  const [priority, weight, port] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (priority > 65535 || weight > 65535 || port > 65535) return undefined;
  return { priority, weight, port, target: (m[4] as string).toLowerCase() };
}

function routing(policy: RoutingPolicy, weight: number): Pick<RecordSet, "MultiValueAnswer" | "Weight"> {
  // Route53 weights are 0–255; an SRV weight above that still orders instances the same way.
  return policy === "weighted" ? { Weight: Math.min(weight, 255) } : { MultiValueAnswer: true };
}

export interface InstanceRecordInput extends Omit<InstanceIdentity, "containerPort"> {
  zone: string;
  service: ServiceDeclaration;
  /** The port other hosts connect to: the published host port (bridge) or the container port (host mode). */
  hostPort: number;
  ttl?: number;
  routing?: RoutingPolicy;
}

/** The SRV record set of one (host, container, container port). */
export function instanceRecordSet(
  input: InstanceRecordInput,
): { recordSet: RecordSet } | { problems: Problem[] } {
  const id = instanceSetIdentifier({ ...input, containerPort: input.service.containerPort });
  if ("problems" in id) return id;
  if (!Number.isInteger(input.hostPort) || input.hostPort < 1 || input.hostPort > 65535) {
    return {
      problems: [
        problem("invalid-port", String(input.hostPort), "host port must be an integer from 1 to 65535"),
      ],
    };
  }
  return {
    recordSet: srvRecordSet(
      input,
      id.setIdentifier,
      input.hostPort,
      hostRecordName(input.hostId, input.zone),
    ),
  };
}

/** One declared port's SRV record set: the agent's (host port, host target) and the registrar's (container port, task target). */
function srvRecordSet(
  input: { zone: string; service: ServiceDeclaration; ttl?: number; routing?: RoutingPolicy },
  setIdentifier: string,
  port: number,
  target: string,
): RecordSet {
  const { service } = input;
  return {
    Name: `${service.srvName}.${input.zone}`,
    Type: "SRV",
    TTL: input.ttl ?? DEFAULT_SRV_TTL,
    SetIdentifier: setIdentifier,
    ...routing(input.routing ?? "multivalue", service.weight),
    ResourceRecords: [
      { Value: formatSrvValue({ priority: service.priority, weight: service.weight, port, target }) },
    ],
  };
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The host's A record set, `<hostId>.<zone>` → its private IPv4 address. */
export function hostRecordSet(input: {
  zone: string;
  hostId: string;
  address: string;
  routing?: RoutingPolicy;
  /** The deployment that writes it (ECSSD_DEPLOYMENT); unset: the unattributed `ecssd1` form. */
  deployment?: string;
}): { recordSet: RecordSet } | { problems: Problem[] } {
  const deploymentProblem = input.deployment === undefined ? undefined : checkDeployment(input.deployment);
  if (deploymentProblem) return { problems: [deploymentProblem] };
  if (!IPV4.test(input.address)) {
    return {
      problems: [problem("invalid-address", input.address, "host address must be a dotted IPv4 address")],
    };
  }
  return {
    recordSet: {
      Name: hostRecordName(input.hostId, input.zone),
      Type: "A",
      TTL: HOST_TTL,
      SetIdentifier: hostSetIdentifier(input.hostId, input.deployment),
      ...routing(input.routing ?? "multivalue", 1),
      ResourceRecords: [{ Value: input.address }],
    },
  };
}

export interface TaskRecordInput {
  zone: string;
  taskId: string;
  ttl?: number;
  routing?: RoutingPolicy;
  /** The deployment that writes it (ECSSD_DEPLOYMENT); unset: the unattributed `ecssd1task` form. */
  deployment?: string;
}

/**
 * The A record set of an awsvpc task, `<taskId>.<zone>` → the private IPv4 address of its ENI: the target of
 * the task's SRV records, as a host's A record is of its containers'. Its TTL is the SRV TTL: it lives and
 * dies with the task, not with a host.
 */
export function taskAddressRecordSet(
  input: TaskRecordInput & { address: string },
): { recordSet: RecordSet } | { problems: Problem[] } {
  const id = taskSetIdentifier(input.taskId, undefined, input.deployment);
  if ("problems" in id) return id;
  if (!IPV4.test(input.address)) {
    return {
      problems: [problem("invalid-address", input.address, "task address must be a dotted IPv4 address")],
    };
  }
  return {
    recordSet: {
      Name: taskRecordName(input.taskId, input.zone),
      Type: "A",
      TTL: input.ttl ?? DEFAULT_SRV_TTL,
      SetIdentifier: id.setIdentifier,
      ...routing(input.routing ?? "multivalue", 1),
      ResourceRecords: [{ Value: input.address }],
    },
  };
}

/** The SRV record set of one declared port of an awsvpc task: the container port, at the task's address. */
export function taskInstanceRecordSet(
  input: TaskRecordInput & { service: ServiceDeclaration },
): { recordSet: RecordSet } | { problems: Problem[] } {
  const id = taskSetIdentifier(input.taskId, input.service.containerPort, input.deployment);
  if ("problems" in id) return id;
  return {
    recordSet: srvRecordSet(
      input,
      id.setIdentifier,
      input.service.containerPort,
      taskRecordName(input.taskId, input.zone),
    ),
  };
}

/** A stable key for a record set: Route53 identifies one by name, type and SetIdentifier. */
export function recordSetKey(rs: { Name?: string; Type?: string; SetIdentifier?: string }): string {
  return `${(rs.Name ?? "").toLowerCase().replace(/\.$/, "")}|${rs.Type}|${rs.SetIdentifier ?? ""}`;
}
