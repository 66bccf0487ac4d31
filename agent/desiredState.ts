// Containers → the record sets that should exist for them. Pure: no Docker, no AWS, no clock.
import {
  agentCheckMarker,
  availabilityZoneRecordSet,
  capPorts,
  hostRecordSet,
  instanceKey,
  instanceRecordSet,
  ownershipProblem,
  type Problem,
  parseServiceDeclarations,
  problem,
  type RecordSet,
  type RoutingPolicy,
  type ServiceDeclaration,
  type ServiceOwners,
  taskIdFromArn,
} from "../records";
import type { CheckTarget } from "./checkSchedule";
import type { ContainerDescription } from "./containerSource";

/** Docker label ECS puts on every container of a task. */
export const ECS_TASK_ARN_LABEL = "com.amazonaws.ecs.task-arn";
/** Docker label ECS puts on every container of a task: the family of its task definition. */
export const ECS_FAMILY_LABEL = "com.amazonaws.ecs.task-definition-family";

/**
 * Whether ECS confirms a container's task labels (ecsIntrospectionSource.ts sets it on containers that carry
 * them, unless confirmation is off). Not Docker's: Docker reports only what the container was started with.
 */
export type EcsConfirmation =
  | { readonly confirmed: true }
  | { readonly confirmed: false; readonly code: EcsProblemCode; readonly message: string };

/** Why a container's ECS labels were not believed: ECS does not list it so, or ECS could not be asked. */
export type EcsProblemCode = "ecs-task-unknown" | "ecs-task-unconfirmed";

/** A description as the core reads it: Docker's, and what ECS said about its labels when it was asked. */
export type ConfirmableDescription = ContainerDescription & { readonly ecsConfirmation?: EcsConfirmation };

/** A declaration skipped: a contract problem, or ECS not confirming the container's task. */
export type SkipProblem = Problem | { code: EcsProblemCode; subject: string; message: string };

/** Whether a container says it belongs to an ECS task (either label): only ECS may confirm that. */
export function claimsEcsTask(c: ContainerDescription): boolean {
  const labels = c.Config?.Labels ?? {};
  return labels[ECS_TASK_ARN_LABEL] !== undefined || labels[ECS_FAMILY_LABEL] !== undefined;
}

/** What the agent knows about the host it runs on and how it writes records. */
export interface HostContext {
  hostId: string;
  /** Private IPv4 address other hosts reach this one at. */
  address: string;
  /** Normalized zone name (no trailing dot). */
  zone: string;
  srvTtl: number;
  routing: RoutingPolicy;
  /** Who may offer which name; names not in it may be offered by any container. */
  serviceOwners?: ServiceOwners;
  /** Declared ports one container may publish (the lowest container ports are kept); unbounded when absent. */
  maxPortsPerContainer?: number;
  /** Its deployment's mark (ECSSD_DEPLOYMENT) in every SetIdentifier; unset: unattributed `ecssd1` sets. */
  deployment?: string;
  /** The AZ ID the host runs in (ECSSD_AZ_ID, or found at start): written beside its A set; unknown, none is. */
  azId?: string;
}

/** Why a container is (not) in DNS right now. */
export type ServingVerdict =
  | { serving: true }
  | { serving: false; reason: "not-running" | "paused" | "restarting" | "unhealthy" | "health-starting" };

/**
 * A container serves when it runs, is not paused or restarting, and — when it has a HEALTHCHECK — is
 * healthy. A paused container cannot answer, so it leaves DNS until it is unpaused.
 */
export function servingVerdict(c: ContainerDescription): ServingVerdict {
  const s = c.State ?? {};
  if (!s.Running) return { serving: false, reason: "not-running" };
  if (s.Paused) return { serving: false, reason: "paused" };
  if (s.Restarting) return { serving: false, reason: "restarting" };
  const health = s.Health?.Status;
  if (s.Health && health !== "healthy") {
    return { serving: false, reason: health === "unhealthy" ? "unhealthy" : "health-starting" };
  }
  return { serving: true };
}

/** The records of one container and what was skipped on the way, for one log line each. */
export interface ContainerRecords {
  recordSets: RecordSet[];
  /** One per record set, in the same order: the declaration and the port it is published on. */
  instances: { service: ServiceDeclaration; hostPort: number }[];
  /** Services, one per record set, in the same order (for logs). */
  services: string[];
  ignored: boolean;
  /** True for a container of an awsvpc task: the registrar registers it from ECS's task events, not the agent. */
  awsvpcTask: boolean;
  problems: SkipProblem[];
  /** Declared ports left out because the container declared more than the host's cap. */
  portsOverCap: number;
}

/**
 * A container of an ECS task in awsvpc mode: ECS runs it in the network namespace of the task's pause
 * container ("container:<id>"), or it is that pause container, which has no Docker network of its own
 * ("none"). Its address is the task's ENI, which the agent cannot see; the registrar owns its records.
 */
export function isAwsvpcTaskContainer(c: ContainerDescription): boolean {
  if (c.Config?.Labels?.[ECS_TASK_ARN_LABEL] === undefined) return false;
  const mode = c.HostConfig?.NetworkMode ?? "";
  return mode === "none" || mode.startsWith("container:");
}

/** The published host port of `<port>/<proto>`, or undefined when it is not published. */
export function publishedPort(
  c: ContainerDescription,
  containerPort: number,
  protocol: string,
): number | undefined {
  const bindings = c.NetworkSettings?.Ports?.[`${containerPort}/${protocol}`];
  for (const b of bindings ?? []) {
    const port = Number(b.HostPort);
    if (Number.isInteger(port) && port >= 1 && port <= 65535) return port;
  }
  return undefined;
}

/** Record sets a serving container should have; call only for containers that serve. */
export function containerRecordSets(c: ConfirmableDescription, host: HostContext): ContainerRecords {
  const labels = c.Config?.Labels ?? {};
  const declared = parseServiceDeclarations(c.Config?.Env, labels);
  const out: ContainerRecords = {
    recordSets: [],
    instances: [],
    services: [],
    ignored: declared.ignored,
    awsvpcTask: isAwsvpcTaskContainer(c),
    problems: [...declared.problems],
    portsOverCap: 0,
  };
  // The registrar reads and reports this task's declarations; here they are neither published nor warned of.
  if (out.awsvpcTask) return { ...out, problems: [] };
  // A container ECS does not confirm offers nothing: its family and task would be its own word.
  const ecs = c.ecsConfirmation;
  if (ecs && !ecs.confirmed && declared.services.length > 0) {
    out.problems.push({ code: ecs.code, subject: ECS_FAMILY_LABEL, message: ecs.message });
    return out;
  }
  const taskArn = labels[ECS_TASK_ARN_LABEL];
  const taskId = taskIdFromArn(taskArn);
  if (taskArn !== undefined && taskId === undefined) {
    out.problems.push(
      problem("invalid-task-id", ECS_TASK_ARN_LABEL, `label ${ECS_TASK_ARN_LABEL} is not an ECS task ARN`),
    );
  }
  const hostMode = c.HostConfig?.NetworkMode === "host";
  const family = labels[ECS_FAMILY_LABEL];
  const capped = capPorts(declared.services, host.maxPortsPerContainer);
  if (capped.problem) out.problems.push(capped.problem);
  out.portsOverCap = capped.left;
  for (const service of capped.kept) {
    const notOwned = ownershipProblem(host.serviceOwners, service, family);
    if (notOwned) {
      out.problems.push(notOwned);
      continue;
    }
    const hostPort = hostMode
      ? service.containerPort
      : publishedPort(c, service.containerPort, service.protocol);
    if (hostPort === undefined) {
      out.problems.push(
        problem(
          "invalid-port",
          `SERVICE_${service.containerPort}_NAME`,
          `container port ${service.containerPort}/${service.protocol} of ${service.srvName} is not published: publish it (-p) or use host network mode`,
        ),
      );
      continue;
    }
    const built = instanceRecordSet({
      zone: host.zone,
      hostId: host.hostId,
      containerId: c.Id,
      ...(taskId ? { taskId } : {}),
      service,
      hostPort,
      ttl: host.srvTtl,
      routing: host.routing,
      ...(host.deployment !== undefined && { deployment: host.deployment }),
    });
    if ("problems" in built) {
      out.problems.push(...built.problems);
      continue;
    }
    out.recordSets.push(built.recordSet);
    out.instances.push({ service, hostPort });
    out.services.push(service.srvName);
  }
  return out;
}

// The cap is records/portCap.ts's, the registrar's too; exported here as before.
export { capPorts };

/**
 * The host's own A record set, target of every SRV record it writes, and beside it, when the host's AZ is
 * known, its AZ set: one group, so the two are written and deleted together.
 */
export function hostRecordSets(host: HostContext): RecordSet[] {
  const built = hostRecordSet({
    zone: host.zone,
    hostId: host.hostId,
    address: host.address,
    routing: host.routing,
    ...(host.deployment !== undefined && { deployment: host.deployment }),
  });
  if ("problems" in built) throw new Error(built.problems.map((p) => p.message).join("; "));
  if (host.azId === undefined) return [built.recordSet];
  const az = availabilityZoneRecordSet(built.recordSet, host.azId);
  if ("problems" in az) throw new Error(az.problems.map((p) => p.message).join("; "));
  return [built.recordSet, az.recordSet];
}

/**
 * The health checks a container's records declare, one per instance whose port declares a check. The probe
 * goes where consumers go: the address and port the SRV record publishes (the host's address and the
 * published host port in bridge mode, the container port in host mode), which the agent, running in the
 * host's network namespace, reaches as any other host would.
 */
export function checkTargets(
  records: ContainerRecords,
  containerId: string,
  host: HostContext,
): CheckTarget[] {
  const targets: CheckTarget[] = [];
  records.recordSets.forEach((rs, i) => {
    const instance = records.instances[i];
    const check = instance?.service.check;
    if (!instance || !check) return;
    targets.push({
      key: instanceKey(rs),
      group: containerId,
      check,
      address: host.address,
      port: instance.hostPort,
      service: instance.service.srvName,
    });
  });
  return targets;
}

/**
 * The record sets a container should have now, given its checks' state: an instance whose port declares a
 * check is published only while `passing(key)` says so, always with the agent's marker beside it (written
 * first, so the reconciler knows the verdict is the agent's before the instance ever enters DNS).
 */
export function checkedRecordSets(
  records: ContainerRecords,
  passing: (key: string) => boolean,
): { recordSets: RecordSet[]; waiting: string[] } {
  const recordSets: RecordSet[] = [];
  const waiting: string[] = [];
  records.recordSets.forEach((rs, i) => {
    const instance = records.instances[i];
    const check = instance?.service.check;
    if (!instance || !check) {
      recordSets.push(rs);
      return;
    }
    recordSets.push(agentCheckMarker(rs, check.kind));
    if (passing(instanceKey(rs))) recordSets.push(rs);
    else waiting.push(instance.service.srvName);
  });
  return { recordSets, waiting };
}
